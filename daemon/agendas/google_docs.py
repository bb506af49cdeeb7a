"""Agendas as Google Docs in the owner's Drive, one per person, shared with them.

- Creating: Drive ``files.create`` uploads the header of :func:`new_document` as
  HTML and converts it to a Google Doc (``fields="id,webViewLink"``). The file
  carries ``appProperties.cadencePerson``. The state records the creation as
  pending *before* the call and completes it with the id and link after; an
  attempt cut short in between (a crash, or a 5xx or lost connection after
  which Google may well have made the doc) is known, and the next try first
  looks for the document by its marker (Drive ``files.list``), so no second
  one is made. ``files.create`` is therefore never retried blindly.
- Sharing: ``permissions.create`` as ``writer`` with ``sendNotificationEmail``
  false (the link reaches the person in the calendar event and cadence's own
  emails). Drive refuses that for an address without a Google account
  (400 ``invalidSharingRequest``): then the person is shared with Drive's
  notification, which lets them open the doc, and failing that the doc is
  opened to anyone with its link. A sharing refused every way is recorded and
  not tried again; it is retried only while it failed for other reasons.
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

import html
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.clock import Clock
from cadence.daemon.core.agenda import new_document, prepare_document
from cadence.daemon.core.errors import AgendaError
from cadence.daemon.core.model import Owner, Person
from cadence.daemon.google.api import GoogleApiError, call, service
from cadence.daemon.google.auth import GoogleAuthError
from cadence.daemon.store.documents import AgendaDocument, Documents
from google.auth.credentials import Credentials
from googleapiclient.http import MediaInMemoryUpload

log = logging.getLogger(__name__)

DOC_TYPE = "application/vnd.google-apps.document"
MARKER = "cadencePerson"
_ATTEMPTS = 3
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_BOM = "\ufeff"


@dataclass(frozen=True)
class GoogleClients:
    """The two clients the backend works with: Drive v3 and Docs v1."""

    drive: Any
    docs: Any


def google_clients(credentials: Credentials, env: Any = None) -> GoogleClients:
    """Given credentials, return Drive and Docs clients (honouring $CADENCE_GOOGLE_ROOT)."""
    return GoogleClients(
        service("drive", "v3", credentials, env=env), service("docs", "v1", credentials, env=env)
    )


# -- pure helpers ---------------------------------------------------------------


def exported_text(raw: bytes | str) -> str:
    """Given Drive's text/plain export, return it as the core reads documents: without
    the byte order mark Google puts first, lines ending in "\\n"."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.removeprefix(_BOM).replace("\r\n", "\n")


def _style(line: str) -> str:
    heading = _HEADING.match(line)
    return f"HEADING_{len(heading.group(1))}" if heading else "NORMAL_TEXT"


def document_html(text: str, title: str) -> str:
    """Given a document's text, return the HTML Drive converts into a Doc holding the
    same lines: one paragraph per line, Markdown headings as headings (their ``#``
    kept, for the text to read the same once exported)."""
    paragraphs = []
    for line in text.removesuffix("\n").split("\n"):
        style = _style(line)
        tag = f"h{style.removeprefix('HEADING_')}" if style != "NORMAL_TEXT" else "p"
        paragraphs.append(f"<{tag}>{html.escape(line, quote=False)}</{tag}>")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title, quote=False)}</title></head>"
        f"<body>{''.join(paragraphs)}</body></html>"
    )


def insertion(before: str, after: str) -> tuple[int, str]:
    """Given a text and the same text with one run of whole lines inserted (what the
    core's ``add_section`` returns), return the offset in ``before`` and the run.

    Equal characters around the run (blank lines, ``## 20``) often allow several
    offsets; the one chosen is a line start or the very end, and the run ends
    with a line break, so that it makes paragraphs of its own. Raise ValueError
    when ``after`` is not such an insertion.
    """
    grown = len(after) - len(before)
    same = 0
    while same < len(before) and before[same] == after[same]:
        same += 1
    if grown > 0:
        for offset in range(same, -1, -1):
            boundary = offset in (0, len(before)) or before[offset - 1] == "\n"
            added = after[offset : offset + grown]
            if boundary and added.endswith("\n") and after[offset + grown :] == before[offset:]:
                return offset, added
    raise ValueError("the new text is not the old one with lines inserted")


@dataclass(frozen=True)
class _Paragraph:
    start: int
    end: int
    text: str  # its text runs; a chip, an image or a link preview adds nothing
    bullet: bool

    @property
    def line(self) -> str:
        """The paragraph as a line of the text the core reads (list items as ``* ``)."""
        return f"* {self.text}" if self.bullet else self.text


def _paragraphs(content: Sequence[Mapping[str, Any]]) -> Iterator[_Paragraph]:
    """Given a document's body content, yield its paragraphs in order (table cells too)."""
    for element in content:
        paragraph = element.get("paragraph")
        if paragraph is not None:
            runs = [part.get("textRun") or {} for part in paragraph.get("elements", ())]
            text = "".join(str(run.get("content", "")) for run in runs)
            yield _Paragraph(
                start=int(element["startIndex"]),
                end=int(element["endIndex"]),
                text=text.removesuffix("\n").replace("\n", " ").replace("\x0b", " "),
                bullet="bullet" in paragraph,
            )
        for row in (element.get("table") or {}).get("tableRows", ()):
            for cell in row.get("tableCells", ()):
                yield from _paragraphs(cell.get("content", ()))


def document_text(structure: Mapping[str, Any]) -> str:
    """Given a document as documents.get returns it, return its text: one line per
    paragraph, as the core reads agendas."""
    content = (structure.get("body") or {}).get("content", ())
    return "\n".join(p.line for p in _paragraphs(content))


def _u16(text: str) -> int:
    """Docs counts indexes in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def section_requests(index: int, added: str, *, inside: bool, bulleted: bool) -> list[Any]:
    """Given where the run goes (a Docs index), the run, whether it goes at the end of
    a paragraph's text (rather than before a paragraph) and whether that paragraph is
    a list item, return the batchUpdate requests that insert it.

    New paragraphs take the style of the paragraph the text went into (a heading,
    a list item); each gets its own: headings for ``#`` lines, normal text else.
    """
    requests: list[Any] = [{"insertText": {"location": {"index": index}, "text": added}}]
    # Inserted before a paragraph, the run's lines are the new paragraphs. Inserted
    # at the end of a paragraph's text, its first line break ends that paragraph, and
    # the paragraph after its last line break (holding the old one's break) is new.
    lead = added.index("\n") + 1 if inside else 0
    lines = added[lead:].split("\n")
    start = position = index + _u16(added[:lead])
    runs: list[tuple[str, int, int]] = []
    for line in lines if inside else lines[:-1]:
        stop = position + _u16(line) + 1
        style = _style(line)
        if runs and runs[-1][0] == style:
            runs[-1] = (style, runs[-1][1], stop)
        else:
            runs.append((style, position, stop))
        position = stop
    requests += [
        {
            "updateParagraphStyle": {
                "range": {"startIndex": first, "endIndex": last},
                "paragraphStyle": {"namedStyleType": style},
                "fields": "namedStyleType",
            }
        }
        for style, first, last in runs
    ]
    if bulleted and position > start:
        requests.append(
            {"deleteParagraphBullets": {"range": {"startIndex": start, "endIndex": position}}}
        )
    return requests


# -- the backend ------------------------------------------------------------------


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
        self._connect = connect
        self._clients: GoogleClients | None = None
        self.documents = documents
        self.zone = zone
        self.clock = clock
        self.sleep = sleep

    @property
    def clients(self) -> GoogleClients:
        if self._clients is None:
            self._clients = self._connect()
        return self._clients

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
        document = self._created(person, owner)
        try:
            self._shared(person, document)
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
        document = self._created(person, owner)
        added = self._add_section(person, owner, document, meeting_start)
        self._shared(person, document)
        return added

    def text(self, person: Person) -> str | None:
        """Given a person, return their document's text, or None before it exists."""
        document = self.documents.get(person.email)
        if document is None or document.pending:
            return None
        return self._read(person, document)

    # -- steps ----------------------------------------------------------------

    @contextmanager
    def _google(self, person: Person, doing: str, name: str) -> Iterator[None]:
        """Turn a failed Google call (``name``) into an AgendaError naming the person,
        the step, the call and Google's reason."""
        what = f"cannot {doing} the agenda of {person.email}"
        try:
            yield
        except GoogleApiError as exc:  # its message names the call and the reason
            raise AgendaError(f"{what}: {exc}") from None
        except GoogleAuthError as exc:  # its message says to run `cadence auth google`
            self._clients = None  # try the saved authorization afresh next time
            raise AgendaError(f"{what}: Google {name}: {exc}") from None

    def _call(
        self, person: Person, doing: str, name: str, request: Callable[[GoogleClients], Any]
    ) -> Any:
        """Run one call to Google (with its retries) for the person's agenda."""
        with self._google(person, doing, name):
            return call(request(self.clients), name, sleep=self.sleep)

    def _find(self, person: Person) -> dict[str, Any] | None:
        """Return the oldest document this app made for the person (by its marker)."""
        value = person.email.replace("\\", "\\\\").replace("'", "\\'")
        query = f"appProperties has {{ key='{MARKER}' and value='{value}' }} and trashed = false"
        found = self._call(
            person,
            "find",
            "drive files.list",
            lambda c: c.drive.files().list(q=query, fields="files(id,webViewLink)"),
        )
        files: list[dict[str, Any]] = found.get("files") or []
        return files[0] if files else None

    def _created(self, person: Person, owner: Owner) -> AgendaDocument:
        """Return the person's recorded document, creating it first if there is none."""
        found = self.documents.get(person.email)
        if found is not None and not found.pending:
            return found
        if found is not None:
            lost = self._lost(person)
            if lost is not None:
                return lost
        header = new_document(person, owner)
        title = header.split("\n", 1)[0].lstrip("# ").strip()
        media = MediaInMemoryUpload(document_html(header, title).encode(), mimetype="text/html")
        metadata = {"name": title, "mimeType": DOC_TYPE, "appProperties": {MARKER: person.email}}
        name = "drive files.create"
        for attempt in range(1, _ATTEMPTS + 1):
            with self._google(person, "create", name):
                files = self.clients.drive.files()  # connected first: a refusal creates nothing
                self.documents.begin(person.email, self.clock())
                try:
                    # One try only: a create that failed with a 5xx or a lost connection
                    # may have made the doc, so the next try looks for it first.
                    created = call(
                        files.create(body=metadata, media_body=media, fields="id,webViewLink"),
                        name,
                        attempts=1,
                    )
                except (GoogleApiError, GoogleAuthError) as exc:
                    if _refused(exc):
                        self.documents.cancel(person.email)
                        raise
                    if attempt == _ATTEMPTS:
                        raise
                    log.info("%s; looking for the doc before trying again", exc)
                    self.sleep(float(2**attempt))
                    lost = self._lost(person)
                    if lost is not None:
                        return lost
                    continue
            log.info("created the agenda of %s: %s", person.email, created["webViewLink"])
            return self.documents.record(
                person.email, str(created["id"]), str(created["webViewLink"]), self.clock()
            )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _lost(self, person: Person) -> AgendaDocument | None:
        """Google may have created the doc and the answer been lost: record the document
        found by its marker, if there is one."""
        lost = self._find(person)
        if lost is None:
            return None
        log.info("found the agenda of %s created before an interruption", person.email)
        return self.documents.record(
            person.email, str(lost["id"]), str(lost["webViewLink"]), self.clock()
        )

    def _shared(self, person: Person, document: AgendaDocument) -> None:
        """Give the person write access unless that was settled before: silently when
        Drive allows it; else with Drive's notification (an address without a Google
        account); else to anyone with the link. When Drive refuses every way, record
        that and stop asking."""
        if document.shared_at is not None:
            return
        user = {"type": "user", "role": "writer", "emailAddress": person.email}
        ways: tuple[tuple[str, dict[str, Any], bool], ...] = (
            ("silently", user, False),
            ("with Drive's notification", user, True),
            ("to anyone with the link", {"type": "anyone", "role": "writer"}, False),
        )
        refusals: list[str] = []
        name = "drive permissions.create"
        for how, permission, notify in ways:
            with self._google(person, "share", name):
                request = self.clients.drive.permissions().create(
                    fileId=document.doc_id, sendNotificationEmail=notify, body=permission
                )
                try:
                    call(request, name, sleep=self.sleep)
                except GoogleApiError as exc:
                    if not _refused(exc) or exc.status == 401:
                        raise  # may heal: tried again at the next run
                    log.info("%s; sharing another way", exc)
                    refusals.append(str(exc))
                    continue
            if refusals:
                log.warning("shared the agenda of %s %s", person.email, how)
            self.documents.mark_shared(person.email, self.clock(), how)
            return
        log.warning(
            "Drive refuses to share the agenda of %s (%s): share %s with them by hand",
            person.email,
            refusals[-1],
            document.url,
        )
        self.documents.mark_shared(person.email, self.clock(), "refused")

    def _structure(self, person: Person, document: AgendaDocument) -> dict[str, Any]:
        found: dict[str, Any] = self._call(
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
        for _ in range(_ATTEMPTS):
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
        paragraphs = list(_paragraphs((structure.get("body") or {}).get("content", ())))
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
        with self._google(person, "add a section to", name):
            try:
                call(
                    self.clients.docs.documents().batchUpdate(
                        documentId=document.doc_id, body=body
                    ),
                    name,
                    sleep=self.sleep,
                )
            except GoogleApiError as exc:
                if exc.status != 400:
                    raise
                # Whatever status Google gives a stale revision, a 400 on a write pinned
                # to the revision just read means: read again (a bounded number of times).
                log.info("%s; reading the agenda again", exc)
                return False
        return True


def _refused(exc: GoogleApiError | GoogleAuthError) -> bool:
    """Whether Google certainly did not act on a request: it refused it outright (an
    authorization it would not take, a 4xx other than a rate limit) rather than
    failing in a way that leaves the outcome unknown (5xx, a lost connection)."""
    if isinstance(exc, GoogleAuthError):
        return True
    return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429)
