"""Google Docs agendas against the emulator, through the real client: the shared agenda
contract, one doc per person created through Drive's HTML conversion and shared
without an email, dated sections inserted through the Docs API once per meeting,
carry-over of open action items, edits that are never overwritten, failures midway
that the next call repairs without a second doc, and what each operation costs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.agendas.google_docs import GoogleDocsAgendas
from cadence.daemon.agendas.google_docs_drive import GoogleClients
from cadence.daemon.agendas.google_docs_text import document_html, exported_text, insertion
from cadence.daemon.config import load_config
from cadence.daemon.core.agenda import open_action_items, prepare_document, section_dates
from cadence.daemon.core.errors import AgendaError, ConfigError
from cadence.daemon.core.model import Cadence, Kind, Person
from cadence.daemon.engine import Engine
from cadence.daemon.google.api import Connection
from cadence.daemon.google.auth import SCOPES
from cadence.daemon.store import Store
from hypothesis import given
from hypothesis import strategies as st

from tests.adapters.agenda_contract import check_agenda_backend, inserted_text
from tests.google_emulator import GoogleEmulator
from tests.google_emulator.schemas import validate_response
from tests.support.configs import write_config
from tests.support.docs_agendas import (
    ALICE,
    BERLIN,
    GET,
    MEETING,
    NOW,
    OWNER,
    SCOPE,
    UPDATE,
    Setup,
    docs_setup,
    insert_text,
    u16,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with docs_setup(tmp_path) as found:
        yield found


def test_the_agenda_contract(setup: Setup) -> None:
    agendas: AgendaBackend = setup.agendas
    check_agenda_backend(agendas, ALICE, OWNER, setup.write)
    assert len(setup.google.documents()) == 1


def test_ensure_creates_one_doc_from_html_and_shares_it_without_an_email(setup: Setup) -> None:
    google = setup.google
    link = setup.agendas.ensure(ALICE, OWNER)
    assert setup.methods() == ["drive.files.create", "drive.permissions.create"]
    create, share = [c for c in google.calls if c.method_id != "token"]
    assert create.path == "/upload/drive/v3/files"
    assert create.query["uploadType"] == "multipart" and create.query["fields"] == "id,webViewLink"
    assert b"application/vnd.google-apps.document" in create.body
    assert b"Content-Type: text/html" in create.body and b"<h1>" in create.body
    assert b'"appProperties": {"cadencePerson": "alice@example.com"}' in create.body
    assert link == create.response["webViewLink"] == setup.agendas.url(ALICE)
    assert share.query["sendNotificationEmail"] == "false"
    assert share.body == {"type": "user", "role": "writer", "emailAddress": ALICE.email}
    [permission] = google.permissions(setup.doc_id())
    assert (permission.email_address, permission.role, permission.notified) == (
        ALICE.email,
        "writer",
        False,
    )
    google.reset_calls()
    assert setup.agendas.ensure(ALICE, OWNER) == link
    assert setup.methods() == []  # known and shared: nothing to ask Google
    [document] = google.documents()
    assert document["title"] == "1:1 agenda: Alice Example and Olivia Lead"
    assert setup.paragraphs()[0]["paragraphStyle"]["namedStyleType"] == "HEADING_1"


def test_a_dated_section_is_inserted_once_per_meeting_newest_first(setup: Setup) -> None:
    agendas, google = setup.agendas, setup.google
    agendas.ensure(ALICE, OWNER)
    header = agendas.text(ALICE)
    google.reset_calls()
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    assert setup.methods() == [GET, UPDATE]
    [update] = google.calls_to(UPDATE)
    assert "requiredRevisionId" in update.body["writeControl"]
    google.reset_calls()
    assert agendas.prepare(ALICE, OWNER, MEETING + timedelta(hours=2)) is False
    assert setup.methods() == [GET]  # idle: one read, no write

    assert agendas.prepare(ALICE, OWNER, MEETING + timedelta(weeks=1)) is True
    text = agendas.text(ALICE)
    assert text is not None and header is not None
    assert text.startswith(header)  # below the title and introduction
    assert section_dates(text) == [date(2024, 5, 14), date(2024, 5, 7)]
    assert len(google.calls_to(UPDATE)) == 1  # since the idle prepare
    styles = {
        "".join(e["textRun"]["content"] for e in p["elements"]).strip(): p["paragraphStyle"][
            "namedStyleType"
        ]
        for p in setup.paragraphs()
    }
    assert styles["## 2024-05-14 Tue 10:00, 30 min"] == "HEADING_2"
    assert styles["### Notes"] == "HEADING_3"
    assert styles["### Open action items"] == "HEADING_3"
    assert styles["Nothing open."] == "NORMAL_TEXT"
    assert styles["- [ ]"] == "NORMAL_TEXT"


def test_open_items_are_carried_over_and_what_the_person_wrote_stays(setup: Setup) -> None:
    agendas = setup.agendas
    agendas.prepare(ALICE, OWNER, MEETING)
    text = agendas.text(ALICE)
    assert text is not None
    edited = text.replace(
        "### New action items\n\n- [ ] ",
        "### New action items\n\n- [ ] Alice: draft the hiring plan (due 2024-05-20)\n"
        "- [x] @olivia: book the offsite\n- [ ] ",
    ).replace("### Notes\n", "### Notes\n\nWe talked about the reorg. 🚀\n")
    setup.write(ALICE, edited)
    assert agendas.prepare(ALICE, OWNER, MEETING + timedelta(weeks=1)) is True
    after = agendas.text(ALICE)
    assert after is not None
    added = inserted_text(edited, after)
    assert added is not None, "text the person wrote was changed"
    assert "- [ ] Alice: draft the hiring plan (due 2024-05-20)\n" in added
    assert "book the offsite" not in added
    assert [i.text for i in open_action_items(after)] == ["draft the hiring plan"]


def line_index(google: GoogleEmulator, doc_id: str, line: str) -> int:
    """The Docs index where the paragraph holding exactly ``line`` starts."""
    body = google.document_text(doc_id)
    return 1 + u16(body[: body.index("\n" + line + "\n") + 1])


def test_list_items_typed_in_docs_are_read_and_sections_never_join_a_list(setup: Setup) -> None:
    agendas, google = setup.agendas, setup.google
    agendas.ensure(ALICE, OWNER)
    doc_id = setup.doc_id()
    docs = google.service("docs", "v1", google.user_credentials(ALICE.email, [SCOPE + "documents"]))

    def edit(*requests: dict[str, Any]) -> None:
        docs.documents().batchUpdate(documentId=doc_id, body={"requests": requests}).execute()

    # The introduction's last line becomes a list item: a section added after it
    # must not become one too.
    last = google.document_text(doc_id).split("\n")[-2]
    at = line_index(google, doc_id, last)
    edit({"createParagraphBullets": {"range": {"startIndex": at, "endIndex": at + 1}}})
    listed = agendas.text(ALICE)
    assert listed is not None and listed.endswith("\n* " + last)
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    # The doc reads exactly as the core made it: nothing else changed, no stray item.
    assert agendas.text(ALICE) == prepare_document(listed, ALICE, OWNER, MEETING, BERLIN)
    # Docs turns a typed "- " into a list item; the export shows it as "* ".
    items = "[ ] send the deck\n[ ] call the vendor\n"
    at = line_index(google, doc_id, "### Notes")
    edit(
        insert_text(at, items),
        {"createParagraphBullets": {"range": {"startIndex": at, "endIndex": at + u16(items) - 1}}},
    )
    before = agendas.text(ALICE)
    assert before is not None and "\n* [ ] send the deck\n* [ ] call the vendor\n" in before
    assert agendas.prepare(ALICE, OWNER, MEETING + timedelta(weeks=1)) is True
    after = agendas.text(ALICE)
    assert after is not None
    added = inserted_text(before, after)
    assert added is not None
    assert "\n- [ ] send the deck\n- [ ] call the vendor\n" in added
    bullets = [
        "".join(e["textRun"]["content"] for e in p["elements"]).strip()
        for p in setup.paragraphs()
        if "bullet" in p
    ]
    assert bullets == [last, "[ ] send the deck", "[ ] call the vendor"]


def test_a_failed_share_is_retried_until_it_succeeds_without_a_second_doc(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    agendas, google = setup.agendas, setup.google
    google.fail("drive.permissions.create", 500, "backendError", times=5)
    with caplog.at_level(logging.WARNING):
        link = agendas.ensure(ALICE, OWNER)  # the link is worth having even unshared
    assert link and "drive permissions.create" in caplog.text and "backendError" in caplog.text
    assert len(setup.waits) == 4  # retried with backoff, without sleeping here
    assert google.permissions(setup.doc_id()) == []

    google.fail("drive.permissions.create", 500, "backendError", times=5)
    with pytest.raises(AgendaError) as caught:
        agendas.prepare(ALICE, OWNER, MEETING)
    message = str(caught.value)
    assert ALICE.email in message and "drive permissions.create" in message
    assert "backendError" in message

    assert agendas.prepare(ALICE, OWNER, MEETING) is False  # the section went in before
    assert [p.email_address for p in google.permissions(setup.doc_id())] == [ALICE.email]
    assert len(google.calls_to("drive.files.create")) == 1
    assert len(google.documents()) == 1
    google.reset_calls()
    agendas.prepare(ALICE, OWNER, MEETING)
    assert setup.methods() == [GET]


def test_a_refused_section_is_an_agenda_error_and_the_next_try_adds_it(setup: Setup) -> None:
    agendas, google = setup.agendas, setup.google
    google.fail(UPDATE, 403, "forbidden")
    with pytest.raises(AgendaError) as caught:
        agendas.prepare(ALICE, OWNER, MEETING)
    message = str(caught.value)
    assert ALICE.email in message and "docs documents.batchUpdate" in message
    assert "HTTP 403" in message and "FORBIDDEN" in message
    assert setup.waits == []  # a refusal is not retried
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    text = agendas.text(ALICE)
    assert text is not None and section_dates(text) == [date(2024, 5, 7)]
    assert len(google.calls_to("drive.files.create")) == 1
    assert [p.email_address for p in google.permissions(setup.doc_id())] == [ALICE.email]


def test_a_creation_that_failed_is_made_once_by_the_next_call(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    agendas, google = setup.agendas, setup.google
    google.fail("drive.files.create", 403, "forbidden")
    with pytest.raises(AgendaError, match=r"drive files\.create failed \(HTTP 403, forbidden\)"):
        agendas.ensure(ALICE, OWNER)
    assert setup.store.documents.get(ALICE.email) is None  # refused: certainly nothing made
    google.fail("drive.files.create", 503, times=5)
    with pytest.raises(AgendaError, match=r"create the agenda of alice@example\.com.*503"):
        agendas.ensure(ALICE, OWNER)
    assert google.documents() == [] and agendas.url(ALICE) is None
    assert agendas.text(ALICE) is None
    pending = setup.store.documents.get(ALICE.email)
    assert pending is not None and pending.pending  # the attempt is on record
    google.reset_calls()
    link = agendas.ensure(ALICE, OWNER)
    # Searched for first (Google might have made it), found nothing, made it once.
    assert [c.method_id for c in google.calls][:2] == ["drive.files.list", "drive.files.create"]
    assert len(google.documents()) == 1 and agendas.url(ALICE) == link


def test_a_crash_between_creating_and_recording_finds_the_doc_when_retried(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    agendas, google, documents = setup.agendas, setup.google, setup.store.documents
    record = documents.record

    def crash(*args: Any) -> Any:
        raise SystemExit("killed")

    monkeypatch.setattr(documents, "record", crash)
    with pytest.raises(SystemExit):
        agendas.ensure(ALICE, OWNER)
    monkeypatch.setattr(documents, "record", record)
    [made] = google.documents()
    link = agendas.ensure(ALICE, OWNER)
    # Found by its marker: no second doc, and the one made is the one shared.
    assert len(google.documents()) == 1
    assert made["documentId"] in link and setup.doc_id() == made["documentId"]
    assert [p.email_address for p in google.permissions(made["documentId"])] == [ALICE.email]


def test_an_edit_while_the_section_is_placed_is_kept(setup: Setup) -> None:
    agendas, google = setup.agendas, setup.google
    agendas.prepare(ALICE, OWNER, MEETING)
    text = agendas.text(ALICE)
    assert text is not None
    edits = iter([text.replace("### Notes\n", "### Notes\n\nAlice was here.\n")])

    class EditsAfterReading:
        """A documents.get after which the person saves an edit (once)."""

        def __init__(self, request: Any) -> None:
            self.request = request

        def execute(self) -> Any:
            result = self.request.execute()
            edit = next(edits, None)
            if edit is not None:
                setup.write(ALICE, edit)
            return result

    class Documents:
        def __init__(self, real: Any) -> None:
            self.real = real

        def get(self, **query: Any) -> EditsAfterReading:
            return EditsAfterReading(self.real.get(**query))

        def batchUpdate(self, **query: Any) -> Any:
            return self.real.batchUpdate(**query)

    class RacingDocs:
        def __init__(self, real: Any) -> None:
            self.real = real

        def documents(self) -> Documents:
            return Documents(self.real.documents())

    clients = agendas.clients
    racing = GoogleClients(clients.drive, RacingDocs(clients.docs))
    agendas._google.connection = Connection(lambda: racing)
    google.reset_calls()
    assert agendas.prepare(ALICE, OWNER, MEETING + timedelta(weeks=1)) is True
    # The write pinned to the revision read was refused; cadence read again.
    mine = [c.status for c in google.calls_to(UPDATE) if c.user == OWNER.email]
    assert mine == [400, 200]
    after = agendas.text(ALICE)
    assert after is not None and "Alice was here." in after
    assert section_dates(after) == [date(2024, 5, 14), date(2024, 5, 7)]


def test_a_revoked_authorization_says_to_authorize_again(setup: Setup) -> None:
    setup.agendas.ensure(ALICE, OWNER)
    setup.google.revoke(OWNER.email)
    with pytest.raises(AgendaError) as caught:
        setup.agendas.prepare(ALICE, OWNER, MEETING)
    message = str(caught.value)
    assert ALICE.email in message and "cadence auth google" in message
    assert "1//0emu" not in message and "ya29" not in message  # no token in the message


def test_every_answer_matches_google_schemas(setup: Setup) -> None:
    setup.agendas.prepare(ALICE, OWNER, MEETING)
    answered = [c for c in setup.google.calls if c.method_id != "token"]
    assert {c.method_id for c in answered} == {
        "drive.files.create",
        "drive.permissions.create",
        GET,
        UPDATE,
    }
    problems = {
        c.method_id: validate_response(c.method_id, c.response)
        for c in answered
        if c.response is not None
    }
    assert {m: found for m, found in problems.items() if found} == {}


def test_the_engine_builds_it_for_a_google_calendar(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    google = setup.google
    token = tmp_path / "token.json"
    token.write_text(google.user_credentials(OWNER.email, list(SCOPES)).to_json())
    token.chmod(0o600)
    monkeypatch.setenv("CADENCE_GOOGLE_ROOT", google.root)
    config = {
        "owner": {"name": OWNER.name, "email": OWNER.email},
        "state": {"path": "engine.db"},
        "calendar": {"backend": "google", "google": {"token": token.name}},
        "agenda": {"backend": "google-docs"},
    }
    path = write_config(tmp_path, config)
    engine = Engine(load_config(path), lambda: NOW)
    try:
        assert isinstance(engine.agendas, GoogleDocsAgendas)
        engine.add_person(ALICE)
        link = engine.agenda_url(ALICE.email)
        assert link.startswith("https://docs.google.com/document/d/")
        assert "1:1 agenda: Alice Example" in engine.agenda_text(ALICE.email)
    finally:
        engine.close()
    write_config(tmp_path, config, {"calendar": {"backend": "ics", "ics": {"url": "feed.ics"}}})
    with pytest.raises(ConfigError, match=r"google-docs needs calendar\.backend = google"):
        _ = Engine(load_config(path), lambda: NOW).agendas


# -- the pure parts ---------------------------------------------------------------------


def test_the_created_html_holds_the_lines_as_paragraphs() -> None:
    html = document_html("# Title & more\n\nA <b> line\n## 2024-05-07\n", "T & t")
    assert "<title>T &amp; t</title>" in html
    assert "<h1># Title &amp; more</h1><p></p><p>A &lt;b&gt; line</p><h2>## 2024-05-07</h2>" in html
    assert exported_text(b"\xef\xbb\xbfa\r\nb") == "a\nb"


LINES = st.lists(
    st.sampled_from(
        ["", "# Title", "intro", "## 2024-04-30 Tue", "- [ ] @sam: ship it", "- [x] done", "## "]
    ),
    max_size=12,
)


@given(LINES, st.booleans(), st.integers(min_value=0, max_value=60))
def test_the_section_is_one_run_of_whole_lines(lines: list[str], newline: bool, days: int) -> None:
    before = "\n".join(lines) + ("\n" if newline and lines else "")
    meeting = datetime(2024, 4, 1, 8, 0, tzinfo=UTC) + timedelta(days=days)
    person = Person("sam@example.com", "Sam", Cadence.parse("weekly"), kind=Kind.PEER)
    after = prepare_document(before, person, OWNER, meeting, BERLIN)
    if after is None:
        return
    offset, added = insertion(before, after)
    assert before[:offset] + added + before[offset:] == after
    assert offset in (0, len(before)) or before[offset - 1] == "\n"
    assert added.endswith("\n")


def test_the_store_records_pending_created_and_shared_docs(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        documents = store.documents
        assert documents.get("alice@example.com") is None
        pending = documents.begin("Alice@Example.com", NOW)
        assert pending.pending and pending.person == "alice@example.com"
        documents.cancel("alice@example.com")
        assert documents.get("alice@example.com") is None
        documents.begin("alice@example.com", NOW)
        later = NOW + timedelta(minutes=5)
        created = documents.record("alice@example.com", "doc1", "https://docs/d/doc1", later)
        assert not created.pending and created.shared_at is None and created.created_at == later
        documents.begin("alice@example.com", later)  # a recorded doc is never replaced
        documents.cancel("alice@example.com")  # nor dropped as if pending
        assert documents.get("alice@example.com") == created
        shared = documents.mark_shared("alice@example.com", later)
        assert shared.shared_at == later and shared.doc_id == "doc1"
        assert documents.forget("alice@example.com") is True
        assert documents.get("alice@example.com") is None
