"""Which events of a feed can matter to a window: the pre-filter.

A cycle reads a window of months from a feed that holds years. Parsing an event
costs far more than looking at its raw times, so the events are sorted out from
their index (see :mod:`ics_split`) before the parser sees any of them:

* every event of a recurring series (a UID with an ``RRULE``, ``RDATE`` or any
  ``RECURRENCE-ID``) is kept, except overrides that can no longer matter: one
  whose original start and new place both lie outside the window, with no
  ``RANGE=THISANDFUTURE`` and no rule of its own. All overrides of the same
  instance go or stay together, so the one with the highest ``SEQUENCE`` still
  wins;
* other events are kept when their span can overlap the window; several events
  sharing a UID go or stay together for the same reason.

Times are compared as written, without their zones: the window is widened by
two days on each side, more than any zone offset, so nothing that can touch the
window is left out. Whatever cannot be read cheaply is kept and left to the
parser to judge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from cadence.daemon.calendars.ics_split import RawEvent, split_value
from cadence.daemon.core.model import Interval

__all__ = ["SLACK", "group_events", "select_events"]

# More than any UTC offset a zone (or a VTIMEZONE: under 24 h) can have, plus the
# day the reader widens its own query by.
SLACK = timedelta(days=2)

_MOMENT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?Z?)?")
_DURATION = re.compile(
    r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.I
)
# A naive datetime (the window's bounds are aware) and whether it was a date.
_Moment = tuple[datetime, bool]


def group_events(events: Iterable[RawEvent]) -> dict[str, list[RawEvent]]:
    """Group events by UID, in the order their UIDs first appear."""
    groups: dict[str, list[RawEvent]] = {}
    for event in events:
        groups.setdefault(event.uid, []).append(event)
    return groups


def select_events(events: Iterable[RawEvent], window: Interval) -> dict[str, list[RawEvent]]:
    """Given a calendar's events and an aware window, return the events that can
    matter to it, grouped by UID (each group in the order written)."""
    low = (window.start.astimezone(UTC) - SLACK).replace(tzinfo=None)
    high = (window.end.astimezone(UTC) + SLACK).replace(tzinfo=None)
    selected: dict[str, list[RawEvent]] = {}
    for uid, group in group_events(events).items():
        if any(e.recurs or e.recurrence_id is not None for e in group):
            kept = _series_part(group, low, high)
        else:
            kept = group if any(_may_overlap(e, low, high) for e in group) else []
        if kept:
            selected[uid] = kept
    return selected


def _series_part(group: list[RawEvent], low: datetime, high: datetime) -> list[RawEvent]:
    """The masters of a series and the overrides that can still matter, in order."""
    by_instance: dict[str, list[RawEvent]] = {}
    for event in group:
        if event.recurrence_id is not None:
            key = split_value(event.recurrence_id)[1].strip().upper()
            by_instance.setdefault(key, []).append(event)
    dropped: set[int] = set()
    for overrides in by_instance.values():
        if not any(_override_matters(o, low, high) for o in overrides):
            dropped.update(id(o) for o in overrides)
    return [e for e in group if id(e) not in dropped]


def _override_matters(event: RawEvent, low: datetime, high: datetime) -> bool:
    assert event.recurrence_id is not None
    params, value = split_value(event.recurrence_id)
    if event.recurs or "THISANDFUTURE" in params.upper():
        return True  # it changes more than its own instance
    original = _moment(value)
    if original is None or low <= original[0] <= high:
        return True
    return _may_overlap(event, low, high)


def _may_overlap(event: RawEvent, low: datetime, high: datetime) -> bool:
    """Whether the event's own span can touch [low, high]; True when unsure."""
    start = _moment(split_value(event.start)[1]) if event.start else None
    if start is None:
        return True
    moment, is_date = start
    try:
        if event.end is not None:
            end = _moment(split_value(event.end)[1])
            if end is None or end[1] != is_date:
                return True  # the reader decides what a mismatched end means
            finish = end[0]
        elif event.duration is not None:
            length = _duration(split_value(event.duration)[1])
            if length is None:
                return True
            finish = moment + length
        else:
            finish = moment + timedelta(days=1) if is_date else moment
    except OverflowError:
        return True
    first, last = min(moment, finish), max(moment, finish)
    return first <= high and last >= low


def _moment(value: str) -> _Moment | None:
    """Given a DATE or DATE-TIME value, return it as a naive datetime and whether it
    was a date, or None when it is not one (a list, a period, garbage)."""
    match = _MOMENT.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        return (
            datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            ),
            hour is None,
        )
    except ValueError:
        return None


def _duration(value: str) -> timedelta | None:
    match = _DURATION.fullmatch(value.strip())
    if match is None or not any(match.groups()[1:]):
        return None
    sign, weeks, days, hours, minutes, seconds = match.groups()
    length = timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=int(seconds or 0),
    )
    return -length if sign == "-" else length
