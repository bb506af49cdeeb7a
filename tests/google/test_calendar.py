"""The Google Calendar adapter against the emulator, through the real client: the
shared calendar contract, incremental sync (cancelled, moved, declined, deleted),
an idle read costing one call, 410 and a clean full resync, paging, and what the
store makes of Google's minimal cancelled instances."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cadence.daemon.calendars import CalendarRead
from cadence.daemon.calendars.google import GoogleCalendar
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval, Partstat, Status
from cadence.daemon.store import Store

from tests.adapters.calendar_contract import check_calendar_contract
from tests.google_emulator import GoogleEmulator
from tests.support.google_world import (
    ALICE,
    BERLIN,
    NEXT_WEEK,
    OWNER,
    emulator_with,
    primary_calendar,
    weekly_with,
)

pytestmark = pytest.mark.slow

WINDOW = Interval(datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


@dataclass
class Setup:
    google: GoogleEmulator
    calendar: GoogleCalendar
    series: dict[str, Any]

    def read(self, state: dict[str, str] | None = None) -> CalendarRead:
        return self.calendar.read(WINDOW, state or {})


@pytest.fixture
def setup() -> Iterator[Setup]:
    with emulator_with(OWNER, ALICE, now=datetime(2026, 11, 23, 8, 0, tzinfo=UTC)) as google:
        series = google.create_event(OWNER, weekly_with([OWNER, ALICE]))
        yield Setup(google, primary_calendar(google), series)


def test_the_calendar_contract(setup: Setup) -> None:
    other = Interval(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    check_calendar_contract(setup.calendar, WINDOW, other, secrets=["token"])


def test_a_full_read_gives_the_instances_as_the_ics_adapter_would(setup: Setup) -> None:
    read = setup.read()
    assert read.complete and read.changed
    starts = sorted(o.start for o in read.occurrences)
    assert starts[0] == datetime(2026, 11, 3, 10, 0, tzinfo=BERLIN)
    first = next(o for o in read.occurrences if o.start == starts[0])
    assert first.uid == setup.series["id"]
    assert first.recurrence_id == first.start
    assert first.organizer == OWNER
    assert {a.email for a in first.attendees} == {OWNER, ALICE}
    assert first.end - first.start == timedelta(minutes=30)


def test_an_idle_calendar_costs_one_call_and_reports_no_change(setup: Setup) -> None:
    first = setup.read()
    setup.google.reset_calls()
    again = setup.read(dict(first.state))
    assert not again.changed and again.occurrences == ()
    assert [c.method_id for c in setup.google.calls] == ["calendar.events.list"]
    assert "syncToken" in setup.google.calls[0].query


def test_changes_arrive_incrementally(setup: Setup) -> None:
    google, master = setup.google, setup.series["id"]
    state = dict(setup.read().state)
    google.cancel_instance(OWNER, master, NEXT_WEEK)
    moved_from = NEXT_WEEK + timedelta(weeks=1)
    moved_to = moved_from + timedelta(days=1)
    google.move_instance(OWNER, master, moved_from, moved_to, moved_to + timedelta(minutes=30))
    google.respond(OWNER, master, ALICE, "declined", instance_start=NEXT_WEEK + timedelta(weeks=2))
    single = google.create_event(
        OWNER,
        {
            "summary": "Lunch",
            "start": {"dateTime": "2026-12-03T12:00:00+01:00"},
            "end": {"dateTime": "2026-12-03T13:00:00+01:00"},
        },
    )
    read = setup.read(state)
    assert read.changed and not read.complete
    by_original = {o.original_start: o for o in read.occurrences if o.uid == master}
    assert by_original[moved_from].start == moved_to
    declined = by_original[NEXT_WEEK + timedelta(weeks=2)]
    assert {a.email: a.partstat for a in declined.attendees}[ALICE] is Partstat.DECLINED
    cancelled = [c for c in read.cancelled if c.uid == master] + [
        o for o in read.occurrences if o.uid == master and o.status is Status.CANCELLED
    ]
    assert len(cancelled) == 1
    assert any(o.uid == single["id"] for o in read.occurrences)

    google.delete_event(OWNER, single["id"])
    later = setup.read(dict(read.state))
    assert later.removed == (single["id"],)


def test_an_expired_sync_token_means_a_clean_full_read(setup: Setup) -> None:
    first = setup.read()
    setup.google.invalidate_sync_tokens(OWNER)
    again = setup.read(dict(first.state))
    assert again.complete
    assert {o.key for o in again.occurrences} == {o.key for o in first.occurrences}
    assert [c.status for c in setup.google.calls_to("calendar.events.list")][-2:] == [410, 200]


def test_all_pages_are_read_and_the_token_comes_from_the_last(setup: Setup) -> None:
    setup.calendar.page_size = 3
    read = setup.read()
    lists = setup.google.calls_to("calendar.events.list")
    assert len(lists) >= 4
    assert len({o.key for o in read.occurrences}) == len(read.occurrences) > 9
    assert read.state["sync_token"]


def test_a_refused_authorization_is_this_source_failing(setup: Setup) -> None:
    setup.google.fail("calendar.events.list", 403, "forbidden")
    with pytest.raises(SourceError) as caught:
        setup.read()
    assert caught.value.source == f"google:{OWNER}"
    assert "forbidden" in caught.value.reason


def test_the_store_fills_in_a_cancelled_instance_from_its_series(
    setup: Setup, tmp_path: Path
) -> None:
    # A cancelled instance comes as id + series + original start; the store copies
    # the series' people and length so that the gap knows what was cancelled.
    store = Store(tmp_path / "state.db")
    try:
        now = setup.google.now
        first = setup.read()
        store.observations.record_read(
            "calendar", "google", first.state, WINDOW, first.occurrences, None, now
        )
        setup.google.cancel_instance(OWNER, setup.series["id"], NEXT_WEEK)
        change = setup.read(dict(first.state))
        store.observations.record_read(
            "calendar",
            "google",
            change.state,
            WINDOW,
            change.occurrences,
            None,
            now,
            complete=False,
            cancelled=change.cancelled,
        )
        stored = {o.original_start: o for o in store.observations.occurrences(WINDOW.start)}
        assert stored[NEXT_WEEK].status is Status.CANCELLED
        assert {a.email for a in stored[NEXT_WEEK].attendees} == {OWNER, ALICE}
        assert stored[NEXT_WEEK].end - stored[NEXT_WEEK].start == timedelta(minutes=30)
        assert stored[NEXT_WEEK + timedelta(weeks=1)].status is Status.CONFIRMED
    finally:
        store.close()
