"""Dates and spans as cadence writes them for people: one style everywhere.

A day is ``Tue 01 Dec``, with the time ``Tue 01 Dec 10:00``; a period is shown
with its last day, not the midnight after it: ``30 Nov–06 Dec``, ``Dec`` for a
month, ``Oct–Dec`` for a quarter. Names are spelled out here rather than taken
from strftime, which follows the process locale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Interval

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYS = tuple(name[:3] for name in DAY_NAMES)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(moment: datetime | date, *, year: bool = False) -> str:
    """Return ``Tue 01 Dec`` (``Tue 01 Dec 2026`` with ``year``) for a local date or datetime."""
    text = f"{DAYS[moment.weekday()]} {moment.day:02d} {MONTHS[moment.month - 1]}"
    return f"{text} {moment.year}" if year else text


def day_time(moment: datetime, zone: ZoneInfo) -> str:
    """Return ``Tue 01 Dec 10:00``: the instant on the wall clock of ``zone``."""
    local = moment.astimezone(zone)
    return f"{day(local)} {local:%H:%M}"


def last_day(span: Interval, zone: ZoneInfo) -> date:
    """Return the last local day of a span that ends at a local midnight (exclusive)."""
    start = span.start.astimezone(zone).date()
    end = span.end.astimezone(zone)
    last = end.date() - timedelta(days=1) if end.time() == end.time().min else end.date()
    return max(start, last)


def span_text(span: Interval, zone: ZoneInfo) -> str:
    """Return a period with its ends inclusive: ``30 Nov–06 Dec``; whole months by
    name (``Dec``, ``Oct–Dec``); one day as that day."""
    first = span.start.astimezone(zone).date()
    last = last_day(span, zone)
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        if (first.year, first.month) == (last.year, last.month):
            return MONTHS[first.month - 1]
        return f"{MONTHS[first.month - 1]}–{MONTHS[last.month - 1]}"
    if first == last:
        return day(first)
    return f"{first.day:02d} {MONTHS[first.month - 1]}–{last.day:02d} {MONTHS[last.month - 1]}"
