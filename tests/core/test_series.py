"""The pure rules of the series cadence writes: rule, first meeting, free recurring slot, end."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Cadence, Interval, Owner, Person, WorkingHours
from cadence.daemon.core.periods import period_containing
from cadence.daemon.core.series import (
    choose_start,
    end_rule,
    event_id,
    preferred_start,
    repeats,
    rrule_line,
    settings_of,
)
from cadence.daemon.core.slots import SlotRules
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia", "olivia@example.com", "Europe/Berlin")
RULES = SlotRules(hours=WorkingHours(), zone=BERLIN)
MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def person(every: str = "weekly", day: int = 1, at: time = time(10, 0)) -> Person:
    return Person(
        "alice@example.com", "Alice", Cadence.parse(every), day=day, time=at, anchor=MONDAY
    )


cadences = st.sampled_from(["weekly", "biweekly", "3w", "monthly", "quarterly"])


@given(cadences, st.integers(0, 4), st.integers(0, 400))
def test_the_preferred_start_is_the_usual_weekday_and_time_not_too_early(
    every: str, day: int, offset_days: int
) -> None:
    who = person(every, day)
    earliest = NOW + timedelta(days=offset_days, hours=2)
    period = period_containing(who.cadence, who.anchor, NOW, BERLIN)
    start = preferred_start(who, OWNER, period, earliest)
    assert start >= earliest
    assert start.weekday() == day and start.timetz().replace(tzinfo=None) == time(10, 0)
    # It is the first such start: the one a period earlier would be too early or absent.
    home = period_containing(who.cadence, who.anchor, start, BERLIN)
    assert home.start >= period.start


@given(cadences, st.integers(0, 4), st.integers(0, 700))
def test_a_series_repeats_once_per_period_on_the_wall_clock(
    every: str, day: int, offset_days: int
) -> None:
    who = person(every, day)
    period = period_containing(who.cadence, who.anchor, NOW + timedelta(days=offset_days), BERLIN)
    first = preferred_start(who, OWNER, period, period.start)
    meetings = repeats(rrule_line(who.cadence, first), first, 6)
    assert meetings[0] == first
    homes = [period_containing(who.cadence, who.anchor, m, BERLIN) for m in meetings]
    # One meeting per period, in consecutive periods (weekly ones), at 10:00 local
    # even across DST changes.
    assert len(set(homes)) == len(homes)
    assert all(m.astimezone(BERLIN).time() == time(10, 0) for m in meetings)
    assert all(m.weekday() == day for m in meetings)
    if who.cadence.unit.value == "week":
        for a, b in itertools.pairwise(homes):
            assert a.end == b.start


def test_the_rule_lines_match_the_cadence() -> None:
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
    assert rrule_line(Cadence.parse("weekly"), tuesday) == "RRULE:FREQ=WEEKLY"
    assert rrule_line(Cadence.parse("3w"), tuesday) == "RRULE:FREQ=WEEKLY;INTERVAL=3"
    assert rrule_line(Cadence.parse("monthly"), tuesday) == "RRULE:FREQ=MONTHLY;BYDAY=4TU"
    last = datetime(2026, 12, 29, 10, 0, tzinfo=BERLIN)  # a fifth Tuesday
    assert (
        rrule_line(Cadence.parse("quarterly"), last) == "RRULE:FREQ=MONTHLY;INTERVAL=3;BYDAY=-1TU"
    )


def test_a_taken_usual_time_moves_to_a_free_recurring_slot() -> None:
    who = person()
    first = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
    # Every Tuesday 10:00-11:00 is taken for the next weeks.
    busy = [
        Interval(first + timedelta(weeks=n), first + timedelta(weeks=n, hours=1)) for n in range(8)
    ]
    period = period_containing(who.cadence, who.anchor, NOW, BERLIN)
    start = choose_start(who, OWNER, RULES, period, now=NOW, busy=busy)
    assert start.date() == first.date()
    for n in range(4):
        meeting = Interval(start + timedelta(weeks=n), start + timedelta(weeks=n, minutes=30))
        assert not any(meeting.overlaps(b) for b in busy)
    # Free: the usual time it is.
    assert choose_start(who, OWNER, RULES, period, now=NOW, busy=[]) == first


def test_a_week_with_no_free_time_keeps_the_usual_time() -> None:
    who = person()
    week = period_containing(who.cadence, who.anchor, NOW, BERLIN)
    everything = [Interval(week.start, week.end + timedelta(weeks=8))]
    assert choose_start(who, OWNER, RULES, week, now=NOW, busy=everything) == datetime(
        2026, 11, 24, 10, 0, tzinfo=BERLIN
    )


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1)))
def test_ending_a_rule_keeps_what_came_before_and_is_idempotent(moment: datetime) -> None:
    before = moment.replace(tzinfo=UTC)
    ended = end_rule(["RRULE:FREQ=WEEKLY;COUNT=10", "EXDATE:20261201T090000Z"], before)
    assert ended[1] == "EXDATE:20261201T090000Z"
    assert "COUNT" not in ended[0]
    (until,) = re.findall(r"UNTIL=(\d{8}T\d{6}Z)", ended[0])
    assert datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) < before
    assert end_rule(ended, before) == ended
    # A later end never extends an earlier one.
    assert end_rule(ended, before + timedelta(days=30)) == ended


def test_event_ids_are_stable_base32hex() -> None:
    one = event_id("series", "alice@example.com", "weekly|1|10:00|30", "2026-11-24T10:00")
    assert one == event_id("series", "alice@example.com", "weekly|1|10:00|30", "2026-11-24T10:00")
    assert re.fullmatch(r"[0-9a-v]{32}", one)
    assert one != event_id("series", "alice@example.com", "weekly|1|10:00|30", "2026-12-01T10:00")


def test_settings_name_every_rule_a_series_is_made_from() -> None:
    base = settings_of(person())
    assert settings_of(person("biweekly")) != base
    assert settings_of(person(day=3)) != base
    assert settings_of(person(at=time(14, 0))) != base
