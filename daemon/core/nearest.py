"""The nearest bookable times for a gap no slot fits (DESIGN rule 11; pure).

When the rules leave no time in a period, not even a shorter one, the gap is
not let pass in silence: the owner gets the nearest options, each bending one
rule and saying which, and books one by reply like any proposal's slot:

- ``shorter``: a 15-minute 1:1 inside the working hours, when the usual
  search stopped at half the usual length;
- ``hours``: outside the usual working hours but inside the day (up to two
  hours earlier or later, not before 07:00 nor after 21:00);
- ``next-period``: the earliest free time early in the next period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import partial

from cadence.daemon.core.model import Interval, Period, Person, Slot, WorkingHours
from cadence.daemon.core.slots import SHORTEST, SlotRules, find_slots

__all__ = ["BENDS", "nearest_options", "widened"]

# What each option bends, as its email says it.
BENDS = {
    "shorter": "shorter than usual",
    "hours": "outside your working hours",
    "next-period": "early in the next period",
}
_EARLIEST, _LATEST = time(7, 0), time(21, 0)
_WIDER = timedelta(hours=2)


def _moved(at: time, by: timedelta) -> time:
    moment = datetime.combine(date(2000, 1, 1), at) + by
    if moment.date() != date(2000, 1, 1):
        return time.min if by < timedelta(0) else time.max
    return moment.time()


def widened(rules: SlotRules) -> SlotRules:
    """The rules with the working day widened by up to two hours on each side, within
    07:00 to 21:00 (never narrower than the working hours themselves)."""
    hours = rules.hours
    start = min(hours.day_start, max(_EARLIEST, _moved(hours.day_start, -_WIDER)))
    end = max(hours.day_end, min(_LATEST, _moved(hours.day_end, _WIDER)))
    return replace(rules, hours=WorkingHours(hours.workdays, start, end))


def nearest_options(
    period: Period,
    following: Period,
    person: Person,
    rules: SlotRules,
    *,
    now: datetime,
    busy: Sequence[Interval],
    person_busy: Sequence[Interval] = (),
    booked: Sequence[Interval] = (),
) -> tuple[Slot, ...]:
    """Given a period no slot fits, the period after it, and the inputs of
    :func:`find_slots`, return up to three options, one per rule bent (in the order
    of :data:`BENDS`), each free of every busy time with the buffer."""
    search = partial(find_slots, now=now, busy=busy, person_busy=person_busy, booked=booked)
    options: list[Slot] = []
    if max(person.duration / 2, SHORTEST) > SHORTEST:
        found = search(period, replace(person, duration=SHORTEST), rules)
        options += [replace(s, shorter=True, bends="shorter") for s in found[:1]]
    found = search(period, person, widened(rules))
    options += [replace(s, bends="hours") for s in found[:1]]
    # "Early": ranked as if the usual time were the first hour of the period's first day.
    first = following.start.astimezone(rules.zone)
    early = replace(person, day=first.weekday(), time=rules.hours.day_start)
    later = search(following, early, rules)
    earliest = sorted(later, key=lambda s: s.start)[:1]
    options += [replace(s, bends="next-period") for s in earliest]
    return tuple(options)
