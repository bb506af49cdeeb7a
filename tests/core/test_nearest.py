"""The nearest options for a gap no slot fits (DESIGN rule 11): each bends one rule,
says which, and is still free of everyone's busy time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Cadence, Interval, Period, Person, WorkingHours
from cadence.daemon.core.nearest import nearest_options, widened
from cadence.daemon.core.slots import SlotRules, find_slots
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2025, 1, 13)
BEFORE = datetime(2025, 1, 12, 12, 0, tzinfo=BERLIN)
RULES = SlotRules(WorkingHours(), BERLIN, buffer=timedelta(minutes=10))
WEEK = Period(datetime(2025, 1, 13, tzinfo=BERLIN), datetime(2025, 1, 20, tzinfo=BERLIN))
NEXT = Period(datetime(2025, 1, 20, tzinfo=BERLIN), datetime(2025, 1, 27, tzinfo=BERLIN))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def ada(duration: int = 30) -> Person:
    return Person("ada@example.com", "Ada", Cadence.parse("weekly"), day=1,
                  duration=timedelta(minutes=duration))  # fmt: skip


def workdays_busy(
    first: date, days: int, start: tuple[int, int] = (9, 0), end: tuple[int, int] = (17, 0)
) -> list[Interval]:
    return [
        Interval(at(first + timedelta(days=n), *start), at(first + timedelta(days=n), *end))
        for n in range(days)
    ]


def test_the_working_day_is_widened_by_two_hours_within_seven_to_nine() -> None:
    assert widened(RULES).hours == WorkingHours(RULES.hours.workdays, time(7), time(19))
    late = SlotRules(WorkingHours(day_start=time(8), day_end=time(20)), BERLIN)
    assert widened(late).hours.day_start == time(7) and widened(late).hours.day_end == time(21)
    night = SlotRules(WorkingHours(day_start=time(5), day_end=time(23)), BERLIN)
    assert widened(night).hours == night.hours  # never narrower


def test_a_full_week_offers_times_outside_the_hours_and_early_next_week() -> None:
    busy = workdays_busy(MONDAY, 5)
    assert find_slots(WEEK, ada(), RULES, now=BEFORE, busy=busy) == []
    hours, following = nearest_options(WEEK, NEXT, ada(), RULES, now=BEFORE, busy=busy)
    assert hours.bends == "hours" and not hours.shorter
    local = hours.start.astimezone(BERLIN)
    assert local.date() == date(2025, 1, 14)  # the usual weekday is still preferred
    assert local.time() < time(9) or local.time() >= time(17)
    assert following.bends == "next-period"
    assert following.start == at(date(2025, 1, 20), 9)  # the earliest of the next week
    assert following.end - following.start == timedelta(minutes=30)


def test_a_long_1_1_with_only_short_holes_is_offered_15_minutes() -> None:
    # A 60-minute 1:1: the search stops at 30 minutes; with the buffers, 20 minutes
    # are free each hour.
    busy = [
        Interval(at(MONDAY + timedelta(days=d), h, 40), at(MONDAY + timedelta(days=d), h + 1))
        for d in range(5)
        for h in range(9, 17)
    ]
    wide = workdays_busy(MONDAY, 5, (7, 0), (9, 0)) + workdays_busy(MONDAY, 5, (17, 0), (19, 0))
    busy += wide
    assert find_slots(WEEK, ada(60), RULES, now=BEFORE, busy=busy) == []
    shorter, *rest = nearest_options(WEEK, NEXT, ada(60), RULES, now=BEFORE, busy=busy)
    assert shorter.bends == "shorter" and shorter.shorter
    assert shorter.end - shorter.start == timedelta(minutes=15)
    assert [o.bends for o in rest] == ["next-period"]


@given(
    busy_days=st.integers(0, 5),
    evenings=st.booleans(),
    duration=st.sampled_from([30, 45, 60]),
    extra=st.lists(
        st.tuples(st.integers(0, 13), st.integers(6, 20), st.integers(1, 8)), max_size=8
    ),
)
def test_every_option_is_free_and_bends_only_what_it_says(
    busy_days: int, evenings: bool, duration: int, extra: list[tuple[int, int, int]]
) -> None:
    busy = workdays_busy(MONDAY, busy_days)
    if evenings:
        busy += workdays_busy(MONDAY, busy_days, (6, 0), (9, 0))
    busy += [
        Interval(at(MONDAY + timedelta(days=d), h), at(MONDAY + timedelta(days=d), h) +
                 timedelta(minutes=15 * q))
        for d, h, q in extra
    ]  # fmt: skip
    options = nearest_options(WEEK, NEXT, ada(duration), RULES, now=BEFORE, busy=busy)
    assert len(options) <= 3
    assert len({o.bends for o in options}) == len(options)
    wide = widened(RULES)
    for option in options:
        for interval in busy:
            assert (
                option.end.astimezone(UTC) + RULES.buffer <= interval.start.astimezone(UTC)
                or option.start.astimezone(UTC) >= interval.end.astimezone(UTC) + RULES.buffer
            )
        local_start = option.start.astimezone(BERLIN)
        local_end = option.end.astimezone(BERLIN)
        assert wide.hours.day_start <= local_start.time() and local_end.time() <= time(19)
        assert local_start.weekday() < 5
        if option.bends == "next-period":
            assert NEXT.contains(option.start)
            assert time(9) <= local_start.time() and local_end.time() <= time(17)
        else:
            assert WEEK.contains(option.start)
        if option.bends == "shorter":
            assert option.end - option.start == timedelta(minutes=15)
