"""Agendas as Google Docs in the owner's Drive, one per person, shared with them.

- Creating and sharing (google_docs_drive): one document per person, made once
  even when a call is cut short, shared with the person in the first way Drive
  allows.
- Reading: Docs ``documents.get``: the text is the document's paragraphs, one
  line each (a list item starts with ``* ``). Headings and task lines are
  written as Markdown text (``## 2024-05-07 ...``, ``- [ ] ...``), so that text
  is the document as the pure :mod:`cadence.daemon.core.agenda` reads it. Drive's
  plain-text export is not used: it adds comments, a trailing newline and other
  lines that are not paragraphs.
- Adding a section: the core decides, on that text, whether the meeting's date
  has a section and what the new one holds (open action items carried over,
  prompts) and where it goes (above the newest section, below the title and
  introduction). Only that run of text is inserted, through
  ``documents.batchUpdate``, at the paragraph the text was read from; its
  headings get heading styles. The write is pinned to the revision read
  (``requiredRevisionId``): if the person edits in between, Google answers 400
  and cadence reads again.

Calls: the first ``ensure`` costs files.create and permissions.create; later
ones none. An idle ``prepare`` (the section is there) costs one documents.get;
adding a section costs documents.get and documents.batchUpdate. Only the
``drive.file`` scope is needed: cadence sees the files it created.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.agendas.google_docs_drive import (
    ATTEMPTS,
    DriveDocuments,
    GoogleClients,
    GoogleSession,
)
from cadence.daemon.agendas.google_docs_text import (
    document_text,
    insertion,
    paragraphs_of,
    section_requests,
)
from cadence.daemon.clock import Clock
from cadence.daemon.core.agenda import prepare_document
from cadence.daemon.core.errors import AgendaError
from cadence.daemon.core.model import Owner, Person
from cadence.daemon.google.api import GoogleApiError, call
from cadence.daemon.store.documents import AgendaDocument, Documents

log = logging.getLogger(__name__)


class GoogleDocsAgendas:
    """The AgendaBackend keeping each person's agenda as a Google Doc.

    ``connect`` returns the clients; it is called at the first call to Google, so
    that an authorization Google refuses is an agenda error (reported, retried)
    rather than a failure to start. ``documents`` records which doc is whose;
    ``zone`` (the owner's) decides a meeting's local date; ``clock`` stamps the
    records; ``sleep`` waits between retries of a call.
    """

    def __init__(
        self,
        connect: Callable[[], GoogleClients],
        documents: Documents,
        zone: ZoneInfo,
        clock: Clock,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._google = GoogleSession(connect, sleep)
        self._drive = DriveDocuments(self._google, documents, clock)
        self.documents = documents
        self.zone = zone
        self.clock = clock

    @property
    def clients(self) -> GoogleClients:
        return self._google.clients

    def url(self, person: Person) -> str | None:
        """Given a person, return their document's link, or None before it exists."""
        found = self.documents.get(person.email)
        return found.url if found is not None and not found.pending else None

    def ensure(self, person: Person, owner: Owner) -> str:
        """Given a person and the owner, create and share the person's document unless
        that was done; return its link. Raise AgendaError when it cannot be created.

        A failure to share is logged, not raised: the link is still worth sending,
        and ``prepare`` retries the sharing (and reports it when it fails).
        """
        document = self._drive.created(person, owner)
        try:
            self._drive.shared(person, document)
        except AgendaError as exc:
            log.warning("%s; will try again", exc)
        return document.url

    def prepare(self, person: Person, owner: Owner, meeting_start: datetime) -> bool:
        """Given a person, the owner and the meeting's aware start, add the meeting's
        section unless its date has one; return whether one was added. Share the
        document if that has not succeeded yet. Raise AgendaError when Google
        refuses, or when the document keeps changing while the section is placed."""
        if meeting_start.tzinfo is None:
            raise ValueError("meeting_start must be timezone-aware")
        document = self._drive.created(person, owner)
        added = self._add_section(person, owner, document, meeting_start)
        self._drive.shared(person, document)
        return added

    def text(self, person: Person) -> str | None:
        """Given a person, return their document's text, or None before it exists."""
        document = self.documents.get(person.email)
        if document is None or document.pending:
            return None
        return self._read(person, document)

    # -- steps ----------------------------------------------------------------

    def _structure(self, person: Person, document: AgendaDocument) -> dict[str, Any]:
        found: dict[str, Any] = self._google.call(
            person,
            "read",
            "docs documents.get",
            lambda g: g.docs.documents().get(documentId=document.doc_id),
        )
        return found

    def _read(self, person: Person, document: AgendaDocument) -> str:
        return document_text(self._structure(person, document))

    def _add_section(
        self, person: Person, owner: Owner, document: AgendaDocument, meeting_start: datetime
    ) -> bool:
        for _ in range(ATTEMPTS):
            structure = self._structure(person, document)
            before = document_text(structure)
            after = prepare_document(before, person, owner, meeting_start, self.zone)
            if after is None:
                return False
            if self._insert(person, document, structure, before, after):
                return True
        raise AgendaError(
            f"the agenda of {person.email} ({document.url}) changed while a section was "
            "being added; will try again later"
        )

    def _insert(
        self,
        person: Person,
        document: AgendaDocument,
        structure: Mapping[str, Any],
        before: str,
        after: str,
    ) -> bool:
        """Insert into the document (``structure``, read as ``before``) what turns it into
        ``after``; return False when the document changed since it was read."""
        offset, added = insertion(before, after)
        paragraphs = list(paragraphs_of((structure.get("body") or {}).get("content", ())))
        number = before.count("\n", 0, offset)
        inside = offset - (before.rfind("\n", 0, offset) + 1) > 0
        target = paragraphs[number]
        body = {
            "requests": section_requests(
                target.end - 1 if inside else target.start,
                added,
                inside=inside,
                bulleted=target.bullet,
            ),
            # Written against the revision just read: an edit meanwhile makes it fail.
            "writeControl": {"requiredRevisionId": structure["revisionId"]},
        }
        name = "docs documents.batchUpdate"
        with self._google.failing_as_agenda_error(person, "add a section to", name):
            try:
                call(
                    self._google.clients.docs.documents().batchUpdate(
                        documentId=document.doc_id, body=body
                    ),
                    name,
                    sleep=self._google.sleep,
                )
            except GoogleApiError as exc:
                if exc.status != 400:
                    raise
                # Whatever status Google gives a stale revision, a 400 on a write pinned
                # to the revision just read means: read again (a bounded number of times).
                log.info("%s; reading the agenda again", exc)
                return False
        return True
