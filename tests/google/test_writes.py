"""The Google writer against the emulator: the writer contract, batches, attachments
that keep what was there, free/busy in chunks, failures named by call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars import EventSpec
from cadence.daemon.calendars.google import GoogleCalendar
from cadence.daemon.calendars.google_writes import DOC_MIME, GoogleWriter
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.model import Interval
from cadence.daemon.google.api import GoogleApiError

from tests.adapters.calendar_writer_contract import (
    check_create_is_idempotent,
    check_end_series_keeps_the_past,
    check_move_puts_the_meeting_at_the_new_time,
)
from tests.google_emulator import GoogleEmulator
from tests.support.google_world import emulator_with, primary_calendar

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = "olivia@example.com"
ALICE = "alice@example.com"
FIRST = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
WINDOW = Interval(datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
DOC = "https://docs.google.com/document/d/abc/edit"


@dataclass
class Setup:
    google: GoogleEmulator
    writer: GoogleWriter
    reader: GoogleCalendar


@pytest.fixture
def setup() -> Iterator[Setup]:
    with emulator_with(OWNER, ALICE, now=datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) as google:
        reader = primary_calendar(google, OWNER)
        yield Setup(google, GoogleWriter(reader, attach_files=True), reader)


def spec(event_id: str = "series0001", **changes: object) -> EventSpec:
    base = EventSpec(
        event_id=event_id,
        person=ALICE,
        summary="1:1 Alice / Olivia",
        description="1:1 between Alice and Olivia.",
        start=FIRST,
        end=FIRST + timedelta(minutes=30),
        zone="Europe/Berlin",
        recurrence=("RRULE:FREQ=WEEKLY",),
        agenda_url=DOC,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_create_is_idempotent(setup: Setup) -> None:
    check_create_is_idempotent(setup.writer, setup.reader, WINDOW, spec())


def test_end_series_keeps_the_past(setup: Setup) -> None:
    check_end_series_keeps_the_past(setup.writer, setup.reader, WINDOW, spec())


def test_move_puts_the_meeting_at_the_new_time(setup: Setup) -> None:
    to = FIRST + timedelta(weeks=1, days=1, hours=4)
    check_move_puts_the_meeting_at_the_new_time(setup.writer, setup.reader, WINDOW, spec(), to)


def test_a_series_is_written_as_google_wants_it(setup: Setup) -> None:
    setup.writer.create([spec()])
    (event,) = setup.google.events(OWNER)
    assert event["start"]["timeZone"] == "Europe/Berlin"
    assert event["recurrence"] == ["RRULE:FREQ=WEEKLY"]
    assert [(a["fileUrl"], a["title"], a["mimeType"]) for a in event["attachments"]] == [
        (DOC, "1:1 agenda", DOC_MIME)
    ]
    assert event["extendedProperties"]["private"]["cadencePerson"] == ALICE
    assert [a["email"] for a in event["attendees"]] == [ALICE]
    (insert,) = setup.google.calls_to("calendar.events.insert")
    assert insert.query["sendUpdates"] == "all"
    assert insert.query["supportsAttachments"] == "true"


def test_many_creates_go_out_as_batches(setup: Setup) -> None:
    specs = [spec(f"series{n:04d}", start=FIRST + timedelta(hours=n % 6)) for n in range(120)]
    specs = [replace(s, end=s.start + timedelta(minutes=30)) for s in specs]
    assert setup.writer.create(specs) == [s.event_id for s in specs]
    inserts = setup.google.calls_to("calendar.events.insert")
    assert len(inserts) == 120 and all(c.in_batch for c in inserts)
    assert len(setup.google.calls_to("batch")) == 3  # 50 + 50 + 20


def test_a_retryable_failure_inside_a_batch_is_retried_alone(setup: Setup) -> None:
    setup.google.fail("calendar.events.insert", 429, "rateLimitExceeded", times=1, retry_after=0)
    results = setup.writer.create([spec("series0001"), spec("series0002")])
    assert results == ["series0001", "series0002"]
    assert {e["id"] for e in setup.google.events(OWNER)} == {"series0001", "series0002"}


def test_a_refused_write_names_the_call_and_reason(setup: Setup) -> None:
    setup.google.fail("calendar.events.insert", 403, "forbidden", times=2)
    failures = setup.writer.create([spec("series0001"), spec("series0002")])
    assert all(isinstance(f, GoogleApiError) for f in failures)
    assert "calendar events.insert" in str(failures[0]) and "forbidden" in str(failures[0])
    assert setup.google.events(OWNER) == []


def test_attaching_keeps_what_was_there_and_happens_once(setup: Setup) -> None:
    theirs = {"fileUrl": "https://docs.google.com/document/d/other", "title": "Notes"}
    event = setup.google.create_event(
        OWNER,
        {
            "summary": "Alice / Olivia",
            "description": "Our weekly.",
            "start": {"dateTime": FIRST.isoformat()},
            "end": {"dateTime": (FIRST + timedelta(minutes=30)).isoformat()},
            "attendees": [{"email": ALICE}],
            "attachments": [theirs],
        },
    )
    assert setup.writer.attach([event["id"]], DOC) == {}
    assert setup.writer.attach([event["id"]], DOC) == {}
    (stored,) = setup.google.events(OWNER)
    assert [a["fileUrl"] for a in stored["attachments"]] == [theirs["fileUrl"], DOC]
    assert stored["description"].startswith("Our weekly.")
    assert stored["description"].count(DOC) == 1
    assert len(setup.google.calls_to("calendar.events.patch")) == 1


def test_attaching_to_a_missing_event_reports_it(setup: Setup) -> None:
    failures = setup.writer.attach(["nosuchevent1"], DOC)
    assert list(failures) == ["nosuchevent1"]
    assert "events.get" in str(failures["nosuchevent1"])


def test_free_busy_is_asked_in_chunks_and_says_who_is_hidden(setup: Setup) -> None:
    setup.google.create_event(
        ALICE,
        {
            "summary": "Dentist",
            "start": {"dateTime": FIRST.isoformat()},
            "end": {"dateTime": (FIRST + timedelta(hours=1)).isoformat()},
        },
    )
    hidden = [f"person{n}@example.com" for n in range(60)]
    for email in hidden:
        setup.google.add_user(email, timezone="Europe/Berlin")
        setup.google.hide_calendar(email)
    window = Interval(FIRST - timedelta(days=1), FIRST + timedelta(days=100))
    found = setup.writer.availability([OWNER, ALICE, *hidden], window)
    assert found.of(ALICE) == [Interval(FIRST, FIRST + timedelta(hours=1))]
    assert found.of(OWNER) == []
    assert found.hidden == frozenset(hidden)
    queries = setup.google.calls_to("calendar.freebusy.query")
    # 100 days: two spans of at most 60 days; 62 calendars: two groups of at most 50.
    assert len(queries) == 4


def test_an_id_held_by_a_deleted_event_is_written_under_a_fresh_one(setup: Setup) -> None:
    assert setup.writer.create([spec("series0001")]) == ["series0001"]
    setup.google.delete_event(OWNER, "series0001")
    assert setup.writer.create([spec("series0001")]) == ["series0001v1"]
    # Tried again (a crash before the id was recorded): the same event, not a third.
    assert setup.writer.create([spec("series0001")]) == ["series0001v1"]
    live = [e["id"] for e in setup.google.events(OWNER)]
    assert live == ["series0001v1"]


def test_a_meeting_someone_else_organizes_is_never_moved(setup: Setup) -> None:
    # Alice organizes; the owner's calendar holds her copy of the invitation.
    theirs = setup.google.create_event(
        ALICE,
        {
            "summary": "Alice / Olivia",
            "start": {"dateTime": FIRST.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {
                "dateTime": (FIRST + timedelta(minutes=30)).isoformat(),
                "timeZone": "Europe/Berlin",
            },
            "recurrence": ["RRULE:FREQ=WEEKLY"],
            "attendees": [{"email": OWNER}],
        },
    )
    later = replace(
        spec(), start=FIRST + timedelta(days=1), end=FIRST + timedelta(days=1, minutes=30)
    )
    with pytest.raises(CadenceError, match=f"organized by {ALICE}: only they can move it"):
        setup.writer.move(theirs["id"], FIRST, later)
    assert setup.google.calls_to("calendar.events.patch") == []
    assert setup.writer.identity(theirs["id"], FIRST) == (theirs["iCalUID"], 0)
