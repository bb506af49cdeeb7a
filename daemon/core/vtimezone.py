"""A VTIMEZONE as Google and Outlook write it: one STANDARD and one DAYLIGHT
observance, each repeating by a yearly RRULE (pure).

Outlook reads only the TZID, DTSTART, RRULE and offsets of a VTIMEZONE
([MS-STANOICAL] 2.2.47): a list of RDATEs, which is what a generic converter
writes, leaves it guessing, and the summer meetings of a recurring 1:1 then
show an hour off. So the rule is derived from the zone's own transitions over
the coming years ("the last Sunday of March at 02:00"), checked against every
one of them, and written as ``RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``. A zone
whose changes follow no yearly weekday rule (Morocco's Ramadan breaks) keeps
the listed transitions: exact, if less widely understood.
"""

from __future__ import annotations

import calendar as month_days
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How far ahead the rule is checked against the zone: meetings are booked for
# the coming months, and a series runs for years.
YEARS = 12
# Onsets written from 1970, as Google writes them: every later date is covered.
_EPOCH_YEAR = 1970


@dataclass(frozen=True)
class _Change:
    """One transition: when (UTC), the local wall time it happens at (in the
    offset before it), the offsets, and whether daylight time begins."""

    at: datetime
    wall: datetime
    before: timedelta
    after: timedelta
    daylight: bool
    name: str


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    found = moment.astimezone(zone).utcoffset()
    assert found is not None
    return found


def _changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[_Change]:
    """Every change of the zone's UTC offset in ``[start, end)``, found by day and
    narrowed to the second."""
    moment, step = start, timedelta(days=1)
    current = _offset(zone, moment)
    while moment < end:
        later = moment + step
        if _offset(zone, later) == current:
            moment = later
            continue
        low, high = moment, later
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if _offset(zone, middle) == current:
                low = middle
            else:
                high = middle
        high = high.replace(microsecond=0)
        after = _offset(zone, high)
        local = high.astimezone(zone)
        yield _Change(
            at=high,
            wall=(high + current).replace(tzinfo=None),
            before=current,
            after=after,
            daylight=bool(local.dst()),
            name=local.tzname() or "",
        )
        current, moment = after, high


def _is_last(day: date) -> bool:
    return day.day > month_days.monthrange(day.year, day.month)[1] - 7


def _rule_of(changes: list[_Change]) -> dict[str, object] | None:
    """Given one kind of change (all to daylight, or all to standard time), one a
    year, return the yearly rule they all follow, or None when there is none: the
    same month, weekday and wall time, and the same nth weekday of the month (the
    2nd Sunday) or always the last one."""
    first = changes[0]
    for change in changes:
        if (change.wall.month, change.wall.weekday(), change.wall.time()) != (
            first.wall.month,
            first.wall.weekday(),
            first.wall.time(),
        ):
            return None
        if (change.before, change.after) != (first.before, first.after):
            return None
    nths = {(c.wall.day - 1) // 7 + 1 for c in changes}
    if len(nths) == 1 and min(nths) <= 4:
        nth = min(nths)
    elif all(_is_last(c.wall.date()) for c in changes):
        nth = -1
    else:
        return None
    weekday = _ICAL_DAYS[first.wall.weekday()]
    return {"FREQ": "YEARLY", "BYMONTH": first.wall.month, "BYDAY": f"{nth}{weekday}"}


def _onset(rule: dict[str, object], wall: datetime) -> datetime:
    """The first date in 1970 the rule gives, at the change's wall time."""
    month = int(str(rule["BYMONTH"]))
    byday = str(rule["BYDAY"])
    nth, weekday = int(byday[:-2]), _ICAL_DAYS.index(byday[-2:])
    days = [
        date(_EPOCH_YEAR, month, d)
        for d in range(1, month_days.monthrange(_EPOCH_YEAR, month)[1] + 1)
        if date(_EPOCH_YEAR, month, d).weekday() == weekday
    ]
    day = days[nth - 1] if nth > 0 else days[nth]
    return datetime.combine(day, wall.time())


def _observance(kind: type[icalendar.cal.Component], change: _Change) -> icalendar.cal.Component:
    part = kind()
    part.add("tzoffsetfrom", change.before)
    part.add("tzoffsetto", change.after)
    if change.name:
        part.add("tzname", change.name)
    return part


def _by_rule(tzid: str, changes: list[_Change]) -> icalendar.Timezone | None:
    daylight = [c for c in changes if c.daylight]
    standard = [c for c in changes if not c.daylight]
    years = {c.wall.year for c in changes}
    if len(daylight) != len(years) or len(standard) != len(years):
        return None  # not one change each way a year
    timezone = icalendar.Timezone()
    timezone.add("tzid", tzid)
    for kind, group in (
        (icalendar.TimezoneStandard, standard),
        (icalendar.TimezoneDaylight, daylight),
    ):
        rule = _rule_of(group)
        if rule is None:
            return None
        part = _observance(kind, group[0])
        part.add("dtstart", _onset(rule, group[0].wall))
        part.add("rrule", rule)
        timezone.add_component(part)
    return timezone


def _fixed(tzid: str, zone: ZoneInfo, at: datetime) -> icalendar.Timezone:
    """A zone without changes in the years that matter: one STANDARD observance."""
    offset = _offset(zone, at)
    timezone = icalendar.Timezone()
    timezone.add("tzid", tzid)
    part = icalendar.TimezoneStandard()
    part.add("dtstart", datetime(_EPOCH_YEAR, 1, 1))
    part.add("tzoffsetfrom", offset)
    part.add("tzoffsetto", offset)
    name = at.astimezone(zone).tzname()
    if name:
        part.add("tzname", name)
    timezone.add_component(part)
    return timezone


def _listed(
    tzid: str, zone: ZoneInfo, first: datetime, changes: list[_Change]
) -> icalendar.Timezone:
    """A zone whose changes follow no yearly rule: each kind of change as an
    observance listing its dates (RDATE, the first one included, so that readers
    which take only listed dates as onsets see it), after the offset the years
    checked begin with."""
    start = first.astimezone(zone)
    opening = _Change(
        at=first,
        wall=datetime(_EPOCH_YEAR, 1, 1),
        before=_offset(zone, first),
        after=_offset(zone, first),
        daylight=bool(start.dst()),
        name=start.tzname() or "",
    )
    groups: dict[tuple[bool, timedelta, timedelta, str], list[_Change]] = {}
    for change in (opening, *changes):
        groups.setdefault((change.daylight, change.before, change.after, change.name), []).append(
            change
        )
    timezone = icalendar.Timezone()
    timezone.add("tzid", tzid)
    for (daylight, *_), group in groups.items():
        part = _observance(
            icalendar.TimezoneDaylight if daylight else icalendar.TimezoneStandard, group[0]
        )
        part.add("dtstart", group[0].wall)
        part.add("rdate", [c.wall for c in group])
        timezone.add_component(part)
    return timezone


def vtimezone(tzid: str, start: datetime) -> icalendar.Timezone:
    """Given an IANA zone name and the first moment an event in it needs, return its
    VTIMEZONE: a yearly STANDARD/DAYLIGHT rule pair when the zone's changes over the
    next :data:`YEARS` years all follow one (as Google and Outlook write it), one
    STANDARD observance when it has none, else its changes listed as RDATEs.
    Raise ValueError for an unknown zone."""
    try:
        zone = ZoneInfo(tzid)
    except (KeyError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {tzid!r}") from exc
    first = datetime(start.astimezone(UTC).year, 1, 1, tzinfo=UTC)
    last = datetime(first.year + YEARS, 1, 1, tzinfo=UTC)
    changes = list(_changes(zone, first, last))
    if not changes:
        return _fixed(tzid, zone, first)
    found = _by_rule(tzid, changes)
    return found if found is not None else _listed(tzid, zone, first, changes)
