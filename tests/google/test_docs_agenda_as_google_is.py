"""Google Docs agendas where real Google differs from the happy path: a person without a
Google account, whom Drive will not share with silently; a doc with comments, whose
export carries lines that are no paragraphs; a stale revision answered with another
status; a files.create that made the doc and still answered 503."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cadence.daemon.core.agenda import section_dates
from cadence.daemon.core.errors import AgendaError

from tests.support.docs_agendas import ALICE, MEETING, OWNER, UPDATE, Setup, docs_setup

pytestmark = pytest.mark.slow

# Someone outside Google Workspace: no Google account for this address.
SAM = replace(ALICE, email="sam@partner.example", name="Sam Partner")
SHARE = "drive.permissions.create"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with docs_setup(tmp_path) as found:
        yield found


def shares(setup: Setup) -> list[tuple[bool, int]]:
    return [
        (c.query.get("sendNotificationEmail") == "true", c.status)
        for c in setup.google.calls_to(SHARE)
    ]


def test_a_person_without_a_google_account_is_shared_with_drives_notification(
    setup: Setup,
) -> None:
    setup.agendas.ensure(SAM, OWNER)
    doc = setup.doc_id(SAM)
    assert shares(setup) == [(False, 400), (True, 200)]
    (permission,) = setup.google.permissions(doc)
    assert (permission.email_address, permission.role, permission.notified) == (
        SAM.email,
        "writer",
        True,
    )
    recorded = setup.store.documents.get(SAM.email)
    assert recorded is not None and recorded.shared_how == "with Drive's notification"
    setup.google.reset_calls()
    setup.agendas.ensure(SAM, OWNER)
    assert setup.google.calls_to(SHARE) == []  # settled: not asked again


def test_a_share_refused_every_way_is_recorded_and_not_asked_again(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    # A domain that allows no sharing outside: every way is refused.
    setup.google.fail(SHARE, 403, "forbidden", times=3)
    with caplog.at_level(logging.WARNING):
        url = setup.agendas.ensure(SAM, OWNER)
    assert shares(setup) == [(False, 403), (True, 403), (False, 403)]
    assert f"share {url} with them by hand" in caplog.text
    recorded = setup.store.documents.get(SAM.email)
    assert recorded is not None and recorded.shared_how == "refused"
    setup.google.reset_calls()
    assert setup.agendas.prepare(SAM, OWNER, MEETING) is True
    assert setup.google.calls_to(SHARE) == []


def test_an_agenda_with_comments_gets_its_section_all_the_same(setup: Setup) -> None:
    agendas, google = setup.agendas, setup.google
    agendas.ensure(ALICE, OWNER)
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    google.add_comment(setup.doc_id(), "Notes", "Shall we talk about the offsite?")
    export = google.service("drive", "v3", google.user_credentials(OWNER.email))
    raw = export.files().export(fileId=setup.doc_id(), mimeType="text/plain").execute()
    assert b"[a]Shall we talk about the offsite?\r\n" in raw  # not lines of the doc
    assert agendas.prepare(ALICE, OWNER, MEETING.replace(day=14)) is True
    text = agendas.text(ALICE)
    assert text is not None and "[a]" not in text
    assert [d.day for d in section_dates(text)] == [14, 7]


@pytest.mark.parametrize("status", ["INVALID_ARGUMENT", "FAILED_PRECONDITION", "ABORTED"])
def test_a_stale_revision_is_read_again_whatever_its_status(setup: Setup, status: str) -> None:
    agendas, google = setup.agendas, setup.google
    google.settings.stale_revision_status = status
    agendas.ensure(ALICE, OWNER)
    # Someone's edit lands between cadence's read and its write, once.
    google.fail(UPDATE, 400, times=1)
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    assert [c.status for c in google.calls_to(UPDATE)] == [400, 200]
    # A write refused every time is an error after a few reads, not a loop.
    google.fail(UPDATE, 400, times=10)
    with pytest.raises(AgendaError):
        agendas.prepare(ALICE, OWNER, MEETING.replace(day=14))
    assert len(google.calls_to(UPDATE)) == 2 + 3


def test_a_create_answered_503_after_making_the_doc_finds_it_instead_of_a_second(
    setup: Setup,
) -> None:
    google = setup.google
    google.fail("drive.files.create", 503, after=True)
    url = setup.agendas.ensure(ALICE, OWNER)
    assert [c.status for c in google.calls_to("drive.files.create")] == [503]
    assert len(google.calls_to("drive.files.list")) == 1
    (document,) = google.documents()
    assert url.endswith(f"/d/{document['documentId']}/edit?usp=drivesdk")
    assert setup.doc_id() == document["documentId"]


def test_a_create_that_failed_before_making_the_doc_is_made_once(setup: Setup) -> None:
    google = setup.google
    google.fail("drive.files.create", 503)
    setup.agendas.ensure(ALICE, OWNER)
    assert [c.status for c in google.calls_to("drive.files.create")] == [503, 200]
    assert len(google.documents()) == 1
