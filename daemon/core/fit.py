"""Whether a person's usual 1:1 fits the working hours: the warnings ``person add``
and ``person set`` give (values only; today comes in as an argument).

None of these refuses anything: a 1:1 outside the usual hours may be what both
sides want. They say what cadence will and will not do about it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cadence.daemon.core.dates import DAY_NAMES
from cadence.daemon.core.model import Person
from cadence.daemon.core.slots import SlotRules, working_windows


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def fit_warnings(person: Person, rules: SlotRules, today: date) -> list[str]:
    """Given a person, the owner's rules and the owner's local date, return what does
    not fit: the usual weekday off the workdays, the usual time and duration outside
    the working hours (the owner's, or the person's in their timezone), a timezone
    sharing no working hours with the owner's."""
    hours, zone = rules.hours, rules.zone
    warnings: list[str] = []
    weekday = DAY_NAMES[person.day]
    if person.day not in hours.workdays:
        warnings.append(
            f"{weekday} is not one of your workdays (schedule.workdays): cadence proposes "
            "new times only on workdays"
        )
    usual = today + timedelta(days=(person.day - today.weekday()) % 7)
    start = datetime.combine(usual, person.time, tzinfo=zone)
    end = start + person.duration
    span = f"{start:%H:%M}–{end:%H:%M}"
    day_start = datetime.combine(usual, hours.day_start, tzinfo=zone)
    day_end = datetime.combine(usual, hours.day_end, tzinfo=zone)
    if start < day_start or end > day_end:
        warnings.append(
            f"{span} is outside your working hours ({hours.day_start:%H:%M}–"
            f"{hours.day_end:%H:%M}, schedule.day_start and day_end): cadence proposes "
            "new times only inside them"
        )
    theirs = person.zone
    if theirs is None or theirs.key == zone.key:
        return warnings
    local_start, local_end = start.astimezone(theirs), end.astimezone(theirs)
    their_start = datetime.combine(local_start.date(), hours.day_start, tzinfo=theirs)
    their_end = datetime.combine(local_start.date(), hours.day_end, tzinfo=theirs)
    shared = _longest_shared(person, rules, today)
    if shared == timedelta(0):
        warnings.append(
            f"{theirs.key} shares no working hours with yours ({zone.key}): cadence can "
            "propose no new time to them"
        )
    elif shared < person.duration:
        warnings.append(
            f"{theirs.key} shares at most {_minutes(shared)} minutes of working hours a day "
            f"with yours, less than the {_minutes(person.duration)}-minute 1:1"
        )
    elif local_start < their_start or local_end > their_end:
        warnings.append(
            f"your {span} is {DAY_NAMES[local_start.weekday()]} "
            f"{local_start:%H:%M}–{local_end:%H:%M} in {theirs.key}, outside their working "
            "hours"
        )
    return warnings


def _longest_shared(person: Person, rules: SlotRules, today: date) -> timedelta:
    """Return the longest span of a day in the coming week that is working time on
    both sides."""
    spans = (
        hi - lo
        for offset in range(7)
        for lo, hi in working_windows(today + timedelta(days=offset), person, rules)
    )
    return max(spans, default=timedelta(0))
