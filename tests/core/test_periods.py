"""Periods: calendar arithmetic in the owner's timezone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.core.model import Cadence, Period, Unit
from cadence.daemon.core.periods import (
    period_bounds,
    period_containing,
    periods_between,
    start_of_day,
)
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
SANTIAGO = ZoneInfo("America/Santiago")
ASUNCION = ZoneInfo("America/Asuncion")

WEEKLY = Cadence(Unit.WEEK)
MONTHLY = Cadence(Unit.MONTH)
QUARTERLY = Cadence(Unit.QUARTER)
ANCHOR = date(2024, 1, 1)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def hours(period: Period) -> float:
    return (utc(period.end) - utc(period.start)) / timedelta(hours=1)


def local(moment: datetime, zone: ZoneInfo) -> tuple[date, time]:
    moment = moment.astimezone(zone)
    return moment.date(), moment.time()


# --- examples -------------------------------------------------------------------------


def test_weekly_period_is_the_iso_week_in_the_owner_zone() -> None:
    period = period_containing(WEEKLY, ANCHOR, datetime(2024, 5, 15, 12, tzinfo=BERLIN), BERLIN)
    assert period.start == datetime(2024, 5, 13, tzinfo=BERLIN)
    assert period.end == datetime(2024, 5, 20, tzinfo=BERLIN)
    assert hours(period) == 168


@pytest.mark.parametrize(
    ("zone", "moment", "monday", "length"),
    [
        (BERLIN, datetime(2024, 3, 31, 12), date(2024, 3, 25), 167),
        (BERLIN, datetime(2024, 10, 27, 12), date(2024, 10, 21), 169),
        (NEW_YORK, datetime(2024, 3, 10, 12), date(2024, 3, 4), 167),
        (NEW_YORK, datetime(2024, 11, 3, 12), date(2024, 10, 28), 169),
        (LORD_HOWE, datetime(2024, 10, 6, 12), date(2024, 9, 30), 167.5),
        (LORD_HOWE, datetime(2024, 4, 7, 12), date(2024, 4, 1), 168.5),
        (KOLKATA, datetime(2024, 3, 31, 12), date(2024, 3, 25), 168),
    ],
)
def test_a_week_holding_a_dst_change_is_shorter_or_longer(
    zone: ZoneInfo, moment: datetime, monday: date, length: float
) -> None:
    period = period_containing(WEEKLY, ANCHOR, moment.replace(tzinfo=zone), zone)
    assert local(period.start, zone) == (monday, time(0))
    assert hours(period) == length


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    # Chile moves from -04 to -03 at midnight: 2024-09-08 has no 00:00.
    assert start_of_day(date(2024, 9, 8), SANTIAGO) == datetime(2024, 9, 8, 4, tzinfo=UTC)
    assert local(start_of_day(date(2024, 9, 8), SANTIAGO), SANTIAGO) == (
        date(2024, 9, 8),
        time(1),
    )


def test_a_month_starting_on_a_skipped_midnight_starts_at_one() -> None:
    # Paraguay began DST on Sunday 2023-10-01 at midnight.
    moment = datetime(2023, 10, 15, tzinfo=ASUNCION)
    for cadence in (MONTHLY, QUARTERLY):
        period = period_containing(cadence, ANCHOR, moment, ASUNCION)
        assert period.start == datetime(2023, 10, 1, 4, tzinfo=UTC)
        before = period_containing(
            cadence, ANCHOR, datetime(2023, 10, 1, 3, 59, tzinfo=UTC), ASUNCION
        )
        assert before.end == period.start


def test_a_skipped_calendar_day_does_not_break_the_weeks() -> None:
    apia = ZoneInfo("Pacific/Apia")  # 2011-12-30 never happened in Samoa
    period = period_containing(WEEKLY, ANCHOR, datetime(2011, 12, 31, 12, tzinfo=apia), apia)
    assert local(period.start, apia) == (date(2011, 12, 26), time(0))
    assert local(period.end, apia) == (date(2012, 1, 2), time(0))
    assert hours(period) == 144


def test_the_moment_may_be_in_any_timezone() -> None:
    # Sunday 23:30 UTC is already Monday in Berlin and Kolkata, still Sunday in New York.
    moment = datetime(2024, 5, 19, 23, 30, tzinfo=UTC)
    assert period_containing(WEEKLY, ANCHOR, moment, BERLIN).start.date() == date(2024, 5, 20)
    assert period_containing(WEEKLY, ANCHOR, moment, KOLKATA).start.date() == date(2024, 5, 20)
    assert period_containing(WEEKLY, ANCHOR, moment, NEW_YORK).start.date() == date(2024, 5, 13)


def test_period_bounds_are_half_open() -> None:
    period = period_containing(WEEKLY, ANCHOR, datetime(2024, 5, 15, tzinfo=BERLIN), BERLIN)
    assert period_containing(WEEKLY, ANCHOR, period.start, BERLIN) == period
    last = utc(period.end) - timedelta(microseconds=1)
    assert period_containing(WEEKLY, ANCHOR, last, BERLIN) == period
    assert period_containing(WEEKLY, ANCHOR, period.end, BERLIN).start == period.end


@pytest.mark.parametrize(
    ("cadence", "anchor", "day", "expected"),
    [
        (Cadence(Unit.WEEK, 2), date(2024, 1, 10), date(2024, 1, 10), date(2024, 1, 8)),
        (Cadence(Unit.WEEK, 2), date(2024, 1, 10), date(2024, 1, 21), date(2024, 1, 8)),
        (Cadence(Unit.WEEK, 2), date(2024, 1, 10), date(2024, 1, 22), date(2024, 1, 22)),
        (Cadence(Unit.WEEK, 2), date(2024, 1, 10), date(2024, 1, 7), date(2023, 12, 25)),
        (Cadence(Unit.WEEK, 3), date(2024, 1, 1), date(2023, 12, 31), date(2023, 12, 11)),
        (Cadence(Unit.WEEK, 4), date(2024, 2, 29), date(2024, 6, 1), date(2024, 5, 20)),
        (MONTHLY, ANCHOR, date(2024, 2, 29), date(2024, 2, 1)),
        (MONTHLY, ANCHOR, date(2024, 12, 31), date(2024, 12, 1)),
        (QUARTERLY, ANCHOR, date(2024, 3, 31), date(2024, 1, 1)),
        (QUARTERLY, ANCHOR, date(2024, 4, 1), date(2024, 4, 1)),
        (QUARTERLY, ANCHOR, date(2024, 11, 30), date(2024, 10, 1)),
    ],
)
def test_period_bounds(cadence: Cadence, anchor: date, day: date, expected: date) -> None:
    first, after = period_bounds(cadence, anchor, day)
    assert first == expected
    assert first <= day < after


def test_months_and_quarters_roll_over_the_year() -> None:
    assert period_bounds(MONTHLY, ANCHOR, date(2024, 12, 5)) == (
        date(2024, 12, 1),
        date(2025, 1, 1),
    )
    assert period_bounds(QUARTERLY, ANCHOR, date(2024, 12, 5)) == (
        date(2024, 10, 1),
        date(2025, 1, 1),
    )


def test_periods_between_lists_every_overlapping_period() -> None:
    start = datetime(2024, 1, 31, 23, tzinfo=BERLIN)
    end = datetime(2024, 4, 1, 0, 0, 1, tzinfo=BERLIN)
    periods = periods_between(MONTHLY, ANCHOR, start, end, BERLIN)
    assert [p.start.date() for p in periods] == [date(2024, m, 1) for m in (1, 2, 3, 4)]


def test_periods_between_an_empty_span_is_empty() -> None:
    moment = datetime(2024, 5, 15, tzinfo=BERLIN)
    assert periods_between(WEEKLY, ANCHOR, moment, moment, BERLIN) == []
    assert periods_between(WEEKLY, ANCHOR, moment, moment - timedelta(days=9), BERLIN) == []


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        period_containing(WEEKLY, ANCHOR, datetime(2024, 5, 15), BERLIN)


def test_a_cadence_of_zero_weeks_is_refused() -> None:
    with pytest.raises(ValueError, match="0 weeks"):
        period_bounds(Cadence(Unit.WEEK, 0), ANCHOR, ANCHOR)


# --- properties -----------------------------------------------------------------------

ZONES = [
    BERLIN,
    NEW_YORK,
    LORD_HOWE,
    KOLKATA,
    SANTIAGO,
    ASUNCION,
    ZoneInfo("America/Havana"),
    ZoneInfo("Pacific/Chatham"),
    ZoneInfo("Asia/Tehran"),
    ZoneInfo("Africa/Casablanca"),
    ZoneInfo("UTC"),
]
zones = st.sampled_from(ZONES)
# Any IANA zone, for the properties that must hold however odd its history.
any_zones = st.one_of(zones, st.timezones())
cadences = st.one_of(
    st.builds(Cadence, st.just(Unit.WEEK), st.integers(1, 12)),
    st.sampled_from([MONTHLY, QUARTERLY]),
)
anchors = st.dates(date(1990, 1, 1), date(2036, 12, 31))
moments = st.datetimes(
    datetime(1990, 1, 1), datetime(2036, 12, 31), timezones=st.sampled_from([*ZONES, UTC])
)


def is_start_of_local_day(moment: datetime, zone: ZoneInfo) -> bool:
    """Local midnight, or the first instant of a day whose midnight was skipped."""
    day, _ = local(moment, zone)
    before, _ = local(utc(moment) - timedelta(microseconds=1), zone)
    return before < day


def assert_starts_a_period(
    cadence: Cadence, anchor: date, moment: datetime, zone: ZoneInfo
) -> None:
    day, clock = local(moment, zone)
    assert is_start_of_local_day(moment, zone)
    if zone in ZONES:  # their midnights are skipped by at most an hour
        assert clock <= time(1)
    if cadence.unit is Unit.WEEK:
        assert day.weekday() == 0
        first_monday = anchor - timedelta(days=anchor.weekday())
        assert (day - first_monday).days % (7 * cadence.count) == 0
    else:
        assert day.day == 1
        if cadence.unit is Unit.QUARTER:
            assert day.month in (1, 4, 7, 10)


@given(cadences, anchors, moments, any_zones)
def test_the_period_containing_a_moment_contains_it(
    cadence: Cadence, anchor: date, moment: datetime, zone: ZoneInfo
) -> None:
    period = period_containing(cadence, anchor, moment, zone)
    assert utc(period.start) <= utc(moment) < utc(period.end)
    assert_starts_a_period(cadence, anchor, period.start, zone)
    assert_starts_a_period(cadence, anchor, period.end, zone)
    assert period.start.tzinfo is zone and period.end.tzinfo is zone


@given(cadences, anchors, moments, zones)
def test_period_length_is_nominal_give_or_take_a_dst_change(
    cadence: Cadence, anchor: date, moment: datetime, zone: ZoneInfo
) -> None:
    period = period_containing(cadence, anchor, moment, zone)
    days = (period.end.astimezone(zone).date() - period.start.astimezone(zone).date()).days
    if cadence.unit is Unit.WEEK:
        assert days == 7 * cadence.count
    else:
        assert days in ((28, 29, 30, 31) if cadence.unit is Unit.MONTH else (90, 91, 92))
    # Offsets move by at most a couple of hours per period in these zones.
    assert abs(hours(period) - 24 * days) <= 2


@given(cadences, anchors, moments, st.integers(0, 400 * 24), any_zones)
def test_periods_tile_the_span_without_gap_or_overlap(
    cadence: Cadence, anchor: date, start: datetime, span_hours: int, zone: ZoneInfo
) -> None:
    # Arithmetic in UTC: on a zoned datetime Python adds wall-clock time.
    start = utc(start)
    end = start + timedelta(hours=span_hours, minutes=1)
    periods = periods_between(cadence, anchor, start, end, zone)
    assert periods
    assert utc(periods[0].start) <= utc(start) < utc(periods[0].end)
    assert utc(periods[-1].start) < utc(end) <= utc(periods[-1].end)
    for earlier, later in pairwise(periods):
        assert utc(earlier.end) == utc(later.start)
        assert utc(earlier.start) < utc(earlier.end)


@given(cadences, anchors, moments, st.integers(1, 200 * 24), any_zones, st.data())
def test_every_moment_lies_in_exactly_one_period(
    cadence: Cadence,
    anchor: date,
    start: datetime,
    span_hours: int,
    zone: ZoneInfo,
    data: st.DataObject,
) -> None:
    start = utc(start)
    end = start + timedelta(hours=span_hours)
    periods = periods_between(cadence, anchor, start, end, zone)
    offset = data.draw(st.timedeltas(timedelta(0), end - start - timedelta(microseconds=1)))
    moment = start + offset
    holding = [p for p in periods if utc(p.start) <= utc(moment) < utc(p.end)]
    assert len(holding) == 1
    assert holding[0] == period_containing(cadence, anchor, moment, zone)


@given(cadences, anchors, moments, any_zones)
def test_a_period_boundary_belongs_to_the_later_period(
    cadence: Cadence, anchor: date, moment: datetime, zone: ZoneInfo
) -> None:
    period = period_containing(cadence, anchor, moment, zone)
    following = period_containing(cadence, anchor, period.end, zone)
    assert utc(following.start) == utc(period.end)
    last = utc(period.end) - timedelta(microseconds=1)
    assert period_containing(cadence, anchor, last, zone) == period
