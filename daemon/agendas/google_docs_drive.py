"""The agenda Google Docs in the owner's Drive: the clients, each call's failure
as an AgendaError, a person's document created once, and shared with them.

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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cadence.daemon.agendas.google_docs_text import document_html
from cadence.daemon.clock import Clock
from cadence.daemon.core.agenda import new_document
from cadence.daemon.core.errors import AgendaError
from cadence.daemon.core.model import Owner, Person
from cadence.daemon.google.api import Connection, GoogleApiError, call, service
from cadence.daemon.google.auth import GoogleAuthError
from cadence.daemon.store.documents import AgendaDocument, Documents
from google.auth.credentials import Credentials
from googleapiclient.http import MediaInMemoryUpload

log = logging.getLogger(__name__)

DOC_TYPE = "application/vnd.google-apps.document"
MARKER = "cadencePerson"
ATTEMPTS = 3


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


class GoogleSession:
    """The clients, connected at the first call to Google (``connect``), and the calls
    made through them; ``sleep`` waits between retries of a call."""

    def __init__(
        self, connect: Callable[[], GoogleClients], sleep: Callable[[float], None]
    ) -> None:
        self.connection = Connection(connect)
        self.sleep = sleep

    @property
    def clients(self) -> GoogleClients:
        return self.connection.get()

    @contextmanager
    def failing_as_agenda_error(self, person: Person, doing: str, name: str) -> Iterator[None]:
        """Turn a failed Google call (``name``) into an AgendaError naming the person,
        the step, the call and Google's reason."""
        what = f"cannot {doing} the agenda of {person.email}"
        try:
            yield
        except GoogleApiError as exc:  # its message names the call and the reason
            raise AgendaError(f"{what}: {exc}") from None
        except GoogleAuthError as exc:  # its message says to run `cadence auth google`
            self.connection.forget()
            raise AgendaError(f"{what}: Google {name}: {exc}") from None

    def call(
        self, person: Person, doing: str, name: str, request: Callable[[GoogleClients], Any]
    ) -> Any:
        """Run one call to Google (with its retries) for the person's agenda."""
        with self.failing_as_agenda_error(person, doing, name):
            return call(request(self.clients), name, sleep=self.sleep)


class DriveDocuments:
    """Each person's agenda document in Drive: ``documents`` records which doc is
    whose, ``clock`` stamps the records."""

    def __init__(self, google: GoogleSession, documents: Documents, clock: Clock) -> None:
        self.google = google
        self.documents = documents
        self.clock = clock

    def _find(self, person: Person) -> dict[str, Any] | None:
        """Return the oldest document this app made for the person (by its marker)."""
        value = person.email.replace("\\", "\\\\").replace("'", "\\'")
        query = f"appProperties has {{ key='{MARKER}' and value='{value}' }} and trashed = false"
        found = self.google.call(
            person,
            "find",
            "drive files.list",
            lambda c: c.drive.files().list(q=query, fields="files(id,webViewLink)"),
        )
        files: list[dict[str, Any]] = found.get("files") or []
        return files[0] if files else None

    def created(self, person: Person, owner: Owner) -> AgendaDocument:
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
        for attempt in range(1, ATTEMPTS + 1):
            with self.google.failing_as_agenda_error(person, "create", name):
                # Connected first: a refusal creates nothing.
                files = self.google.clients.drive.files()
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
                    if attempt == ATTEMPTS:
                        raise
                    log.info("%s; looking for the doc before trying again", exc)
                    self.google.sleep(float(2**attempt))
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

    def shared(self, person: Person, document: AgendaDocument) -> None:
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
            with self.google.failing_as_agenda_error(person, "share", name):
                request = self.google.clients.drive.permissions().create(
                    fileId=document.doc_id, sendNotificationEmail=notify, body=permission
                )
                try:
                    call(request, name, sleep=self.google.sleep)
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


def _refused(exc: GoogleApiError | GoogleAuthError) -> bool:
    """Whether Google certainly did not act on a request: it refused it outright (an
    authorization it would not take, a 4xx other than a rate limit) rather than
    failing in a way that leaves the outcome unknown (5xx, a lost connection)."""
    if isinstance(exc, GoogleAuthError):
        return True
    return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429)
