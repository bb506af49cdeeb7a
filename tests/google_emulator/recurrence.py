"""Recurring events expanded the way Google Calendar expands them.

A master carries ``recurrence``: RRULE, EXRULE, RDATE and EXDATE lines (never
DTSTART; the start comes from ``start``). Google interprets them in
``start.timeZone`` on the wall clock, so a 10:00 Europe/Berlin series stays at
10:00 local across a DST change, and names each instance
``<masterId>_<start in UTC as YYYYMMDDTHHMMSSZ>`` (``_<YYYYMMDD>`` when all-day).
The emulator expands with python-dateutil on naive wall-clock times in the
series' zone, then attaches the zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

from .errors import invalid
from .times import EventTime, zone

_NAMES = {"RRULE", "EXRULE", "RDATE", "EXDATE"}
_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)
_PROBE_START = datetime(2000, 1, 3, 9, 0)


def check(lines: object) -> list[str]:
    """Given a ``recurrence`` body, return its lines; raise 400 if Google would refuse it."""
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise invalid("Invalid recurrence rule.")
    for line in lines:
        name = line.partition(":")[0].split(";")[0].upper()
        if name not in _NAMES:
            # Google refuses DTSTART and unknown lines; its exact wording is unverified.
            raise invalid("Invalid recurrence rule.")
    try:
        _ruleset(lines, _PROBE_START, ZoneInfo("UTC"), all_day=False)
    except (ValueError, TypeError):
        raise invalid("Invalid recurrence rule.") from None
    return list(lines)


def occurrences(
    start: EventTime,
    end: EventTime,
    lines: list[str],
    lo: datetime,
    hi: datetime,
    calendar_tz: ZoneInfo,
) -> list[EventTime]:
    """The original starts of the series' instances that overlap ``[lo, hi)``, in order."""
    series_tz = zone(start.tz) if start.tz else None
    series_tz = series_tz or calendar_tz
    first = _wall(start, series_tz)
    rules = _ruleset(lines, first, series_tz, all_day=start.all_day)
    length = end.start_instant(calendar_tz) - start.start_instant(calendar_tz)
    lo_wall = lo.astimezone(series_tz).replace(tzinfo=None) - length - timedelta(days=1)
    hi_wall = hi.astimezone(series_tz).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for wall in rules.between(lo_wall, hi_wall, inc=True):
        occurrence = _event_time(wall, start, series_tz)
        begin = occurrence.start_instant(calendar_tz)
        if begin < hi and begin + length > lo:
            found.append(occurrence)
    return found


def is_occurrence(
    start: EventTime, end: EventTime, lines: list[str], original: EventTime, calendar_tz: ZoneInfo
) -> bool:
    """Whether ``original`` is the start of one of the series' instances."""
    begin = original.start_instant(calendar_tz)
    window = occurrences(start, end, lines, begin, begin + timedelta(seconds=1), calendar_tz)
    return any(found.stamp() == original.stamp() for found in window)


def shifted_end(start: EventTime, end: EventTime, occurrence: EventTime) -> EventTime:
    """The end of the instance starting at ``occurrence``: the master's length after it."""
    if start.day is not None and end.day is not None and occurrence.day is not None:
        return EventTime(day=occurrence.day + (end.day - start.day), tz=end.tz)
    assert start.instant is not None and end.instant is not None
    assert occurrence.instant is not None
    return EventTime(instant=occurrence.instant + (end.instant - start.instant), tz=end.tz)


def _wall(start: EventTime, series_tz: ZoneInfo) -> datetime:
    if start.day is not None:
        return datetime.combine(start.day, time())
    assert start.instant is not None
    return start.instant.astimezone(series_tz).replace(tzinfo=None)


def _event_time(wall: datetime, start: EventTime, series_tz: ZoneInfo) -> EventTime:
    if start.all_day:
        return EventTime(day=wall.date(), tz=start.tz)
    return EventTime(instant=wall.replace(tzinfo=series_tz).astimezone(UTC), tz=start.tz)


def _ruleset(lines: list[str], first: datetime, series_tz: ZoneInfo, *, all_day: bool) -> rruleset:
    rules = rruleset()
    for line in lines:
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        name = name.upper()
        if name in ("RRULE", "EXRULE"):
            rule = rrulestr(_wall_until(value, series_tz, all_day=all_day), dtstart=first)
            assert isinstance(rule, rrule)
            if name == "RRULE":
                rules.rrule(rule)
            else:
                rules.exrule(rule)
            continue
        for item in value.split(","):
            moment = _wall_value(item.strip(), params, first, series_tz, all_day=all_day)
            if name == "RDATE":
                rules.rdate(moment)
            else:
                rules.exdate(moment)
    return rules


def _wall_until(rule: str, series_tz: ZoneInfo, *, all_day: bool) -> str:
    """UNTIL rewritten as naive wall time in the series' zone, as dateutil needs it."""

    def rewrite(match: re.Match[str]) -> str:
        value = match.group(1).upper()
        if len(value) == 8:
            # A date-only UNTIL includes that whole day (the emulator's reading).
            return f"UNTIL={value}T235959"
        if value.endswith("Z"):
            instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            wall = instant.astimezone(series_tz).replace(tzinfo=None)
            if all_day:
                return f"UNTIL={wall:%Y%m%d}T235959"
            return f"UNTIL={wall:%Y%m%dT%H%M%S}"
        return f"UNTIL={value}"

    return _UNTIL.sub(rewrite, rule)


def _wall_value(
    item: str, params: list[str], first: datetime, series_tz: ZoneInfo, *, all_day: bool
) -> datetime:
    """An RDATE/EXDATE value as naive wall time in the series' zone."""
    tzid = next((p.split("=", 1)[1] for p in params if p.upper().startswith("TZID=")), None)
    if len(item) == 8:
        day = date(int(item[:4]), int(item[4:6]), int(item[6:]))
        return datetime.combine(day, time() if all_day else first.time())
    if item.upper().endswith("Z"):
        value = datetime.strptime(item.upper(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    else:
        value = datetime.strptime(item, "%Y%m%dT%H%M%S")
        source = zone(tzid) if tzid else None
        value = value.replace(tzinfo=source or series_tz)
    wall = value.astimezone(series_tz).replace(tzinfo=None)
    return datetime.combine(wall.date(), time()) if all_day else wall
