"""Cadences turned into periods: the spans in which one 1:1 must happen.

A period is bounded by local days in the owner's timezone, so its length in
hours varies across DST changes (a week may last 167 or 169 hours) while
consecutive periods always tile time with no gap and no overlap.

Python compares and subtracts two datetimes that share a tzinfo by their wall
clocks, ignoring the UTC offset; every comparison here therefore goes through
UTC so that DST folds and gaps cannot mislead it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Cadence, Period, Unit

__all__ = ["period_bounds", "period_containing", "periods_between", "start_of_day"]

_MONTHS_PER_UNIT = {Unit.MONTH: 1, Unit.QUARTER: 3}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Given a local date and a timezone, return the first instant of that day, in ``zone``.

    That is local midnight, except where a DST change skips midnight (Santiago,
    Asunción, Havana): the day then starts when the clocks jump, at 01:00 say.
    """
    # fold=0 reads a skipped wall time with the offset in force before the jump,
    # which lands exactly on the jump when the skipped span starts at midnight,
    # as every such change since 1970 does. Where a fall-back makes midnight
    # occur twice, fold=0 is the earlier one.
    return _utc(datetime.combine(day, time(0), tzinfo=zone)).astimezone(zone)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(cadence: Cadence, anchor: date, day: date) -> tuple[date, date]:
    """Given a cadence, its anchor and a local date, return the first local date of the
    period holding that date and the first local date of the next period."""
    if cadence.unit is Unit.WEEK:
        if cadence.count < 1:
            raise ValueError(f"a cadence of {cadence.count} weeks is not a cadence")
        first_monday = anchor - timedelta(days=anchor.weekday())
        monday = day - timedelta(days=day.weekday())
        # Floor division keeps the blocks aligned before the anchor as well.
        block = ((monday - first_monday).days // 7) // cadence.count
        start = first_monday + timedelta(weeks=block * cadence.count)
        return start, start + timedelta(weeks=cadence.count)
    months = _MONTHS_PER_UNIT[cadence.unit]
    first = date(day.year, day.month - (day.month - 1) % months, 1)
    return first, _add_months(first, months)


def _period(cadence: Cadence, anchor: date, day: date, zone: ZoneInfo) -> Period:
    first, after = period_bounds(cadence, anchor, day)
    return Period(start_of_day(first, zone), start_of_day(after, zone))


def _following(cadence: Cadence, anchor: date, period: Period, zone: ZoneInfo) -> Period:
    _, after = period_bounds(cadence, anchor, period.start.astimezone(zone).date())
    return _period(cadence, anchor, after, zone)


def _preceding(cadence: Cadence, anchor: date, period: Period, zone: ZoneInfo) -> Period:
    first, _ = period_bounds(cadence, anchor, period.start.astimezone(zone).date())
    return _period(cadence, anchor, first - timedelta(days=1), zone)


def period_containing(cadence: Cadence, anchor: date, moment: datetime, zone: ZoneInfo) -> Period:
    """Given a cadence, its anchor date, an aware moment and the owner's timezone, return
    the period that holds the moment; raise ValueError for a naive moment."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no timezone")
    instant = _utc(moment)
    period = _period(cadence, anchor, instant.astimezone(zone).date(), zone)
    # The local date alone can mislead when clocks fall back across midnight
    # (a wall-clock day repeats), so settle on the period by instants.
    while instant >= _utc(period.end):
        period = _following(cadence, anchor, period, zone)
    while instant < _utc(period.start):
        period = _preceding(cadence, anchor, period, zone)
    return period


def periods_between(
    cadence: Cadence, anchor: date, start: datetime, end: datetime, zone: ZoneInfo
) -> list[Period]:
    """Given a cadence, its anchor date, a span ``[start, end)`` and the owner's timezone,
    return every period overlapping the span, in order (none for an empty span)."""
    if _utc(end) <= _utc(start):
        return []
    period = period_containing(cadence, anchor, start, zone)
    periods: list[Period] = []
    while _utc(period.start) < _utc(end):
        periods.append(period)
        period = _following(cadence, anchor, period, zone)
    return periods
