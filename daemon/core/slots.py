"""Free times for a 1:1: busy intervals and scheduling rules in, ranked slots out.

This is DESIGN rule 2. All arithmetic is on UTC instants; the owner's and the
person's timezones serve only to find local days, working-hours windows and the
local wall-clock grid, so a day with a DST switch still offers its full local
working hours. Pure: the current time comes in as ``now``.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Interval, Period, Person, Slot, WorkingHours

# A shorter 1:1 beats a skipped one, but below these it stops being a 1:1.
SHORTEST = timedelta(minutes=15)
SHORTER_STEP = timedelta(minutes=5)

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
# Owner and person local dates differ by at most 26 hours (UTC-12 against UTC+14).
_PERSON_DAY_SHIFTS = (-2, -1, 0, 1, 2)


@dataclass(frozen=True)
class SlotRules:
    """The owner's scheduling rules: working hours and zone, buffer, daily limit, notice.

    ``step`` is the granularity of candidate starts on the owner's local wall
    clock, counted from local midnight (15 minutes: :00, :15, :30, :45).
    """

    hours: WorkingHours
    zone: ZoneInfo
    buffer: timedelta = timedelta(minutes=10)
    max_per_day: int = 4
    min_notice: timedelta = timedelta(hours=2)
    step: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.step <= _ZERO:
            raise ValueError(f"step must be positive, got {self.step}")
        if self.buffer < _ZERO:
            raise ValueError(f"buffer must not be negative, got {self.buffer}")
        if self.max_per_day < 0:
            raise ValueError(f"max_per_day must not be negative, got {self.max_per_day}")


class _Candidate(NamedTuple):
    # Field order is the ranking: usual weekday, then usual time, then sooner.
    day_distance: int
    time_distance: int
    start: datetime  # UTC
    room: timedelta  # how long the time from ``start`` stays free and inside the window
    day: date  # owner-local


class _Clearance:
    """Busy time of both sides, widened by the buffer, sorted and merged once.

    Lookups then cost a binary search, so scanning a quarter stays linear in
    candidates plus busy intervals rather than their product.
    """

    def __init__(self, intervals: Iterable[Interval], buffer: timedelta) -> None:
        spans = sorted(
            (i.start.astimezone(UTC) - buffer, i.end.astimezone(UTC) + buffer)
            for i in intervals
            if i.end >= i.start
        )
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []
        for start, end in spans:
            if self._ends and start <= self._ends[-1]:
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def clear_until(self, start: datetime) -> datetime | None:
        """Given a UTC instant, return when the next busy span begins (``start`` itself
        if busy at ``start``), or None if nothing busy follows."""
        index = bisect.bisect_right(self._ends, start)
        if index == len(self._ends):
            return None
        return max(self._starts[index], start)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _windows(day: date, person: Person, rules: SlotRules) -> list[tuple[datetime, datetime]]:
    """Given an owner-local day, return the UTC spans in working hours on both sides."""
    hours = rules.hours
    if day.weekday() not in hours.workdays:
        return []
    start = _instant(day, hours.day_start, rules.zone)
    end = _instant(day, hours.day_end, rules.zone)
    zone = person.zone
    if zone is None:
        return [(start, end)] if start < end else []
    spans = []
    for shift in _PERSON_DAY_SHIFTS:
        theirs = day + timedelta(days=shift)
        if theirs.weekday() in hours.workdays:
            lo = max(start, _instant(theirs, hours.day_start, zone))
            hi = min(end, _instant(theirs, hours.day_end, zone))
            if lo < hi:
                spans.append((lo, hi))
    return spans


def working_windows(day: date, person: Person, rules: SlotRules) -> list[tuple[datetime, datetime]]:
    """Given an owner-local day, return the UTC spans that are working hours for the
    owner and (in their timezone, when known) for the person."""
    return _windows(day, person, rules)


def _grid(day: date, rules: SlotRules) -> Iterator[tuple[datetime, int]]:
    """Given an owner-local day, yield each candidate start in working hours on the
    local wall-clock grid as (UTC instant, seconds after local midnight)."""
    step = int(rules.step.total_seconds())
    first = _seconds(rules.hours.day_start)
    first += -first % step
    midnight = datetime.combine(day, time())
    for offset in range(first, _seconds(rules.hours.day_end), step):
        wall = midnight + timedelta(seconds=offset)
        local = wall.replace(tzinfo=rules.zone)
        before, after = local.utcoffset(), local.replace(fold=1).utcoffset()
        assert before is not None and after is not None  # ZoneInfo always has an offset
        if before == after:
            yield (wall - before).replace(tzinfo=UTC), offset
        elif before > after:
            # Clocks went back: this wall time happens twice, and both are real.
            yield (wall - before).replace(tzinfo=UTC), offset
            yield (wall - after).replace(tzinfo=UTC), offset
        # Otherwise clocks jumped forward over this wall time: it never happens.


def _seconds(at: time) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def _room(
    start: datetime, windows: Sequence[tuple[datetime, datetime]], clear: _Clearance
) -> timedelta:
    """Given a UTC start, return how long it stays inside a window and clear of busy time."""
    for lo, hi in windows:
        if lo <= start < hi:
            until = clear.clear_until(start)
            return (hi if until is None else min(hi, until)) - start
    return _ZERO


def _candidates(
    period: Period,
    person: Person,
    rules: SlotRules,
    now: datetime,
    clear: _Clearance,
    booked_per_day: Counter[date],
) -> list[_Candidate]:
    """Given the period and rules, return every grid start with any free room, unranked."""
    # Aware arithmetic in a named zone is wall-clock arithmetic; notice is real time.
    earliest = max(period.start.astimezone(UTC), now.astimezone(UTC) + rules.min_notice)
    latest = period.end.astimezone(UTC)
    usual = _seconds(person.time)
    found = []
    day = earliest.astimezone(rules.zone).date()
    last = latest.astimezone(rules.zone).date()
    while day <= last:
        if booked_per_day[day] < rules.max_per_day:
            windows = [
                (max(lo, earliest), min(hi, latest)) for lo, hi in _windows(day, person, rules)
            ]
            windows = [(lo, hi) for lo, hi in windows if lo < hi]
            distance = abs(day.weekday() - person.day)
            for start, offset in _grid(day, rules) if windows else ():
                room = _room(start, windows, clear)
                if room > _ZERO:
                    found.append(_Candidate(distance, abs(offset - usual), start, room, day))
        day += _DAY
    return found


def _fallback_length(duration: timedelta, longest: timedelta) -> timedelta | None:
    """Given the usual duration and the longest free room, return the longest shorter
    length that fits (5-minute steps down, at least half and at least 15 minutes)."""
    shortest = max(duration / 2, SHORTEST)
    length = duration - SHORTER_STEP
    while length >= shortest:
        if length <= longest:
            return length
        length -= SHORTER_STEP
    return None


def _spread(ranked: Sequence[_Candidate], length: timedelta, limit: int) -> list[_Candidate]:
    """Given candidates best first, return up to ``limit`` of them, one per day while
    days last, then further ones that do not overlap those already chosen."""
    chosen: list[_Candidate] = []
    days: set[date] = set()
    for candidate in ranked:
        if len(chosen) < limit and candidate.day not in days:
            chosen.append(candidate)
            days.add(candidate.day)
    for candidate in ranked:
        if len(chosen) == limit:
            break
        if all(abs(candidate.start - other.start) >= length for other in chosen):
            chosen.append(candidate)
    return sorted(chosen)


def find_slots(
    period: Period,
    person: Person,
    rules: SlotRules,
    *,
    now: datetime,
    busy: Sequence[Interval],
    person_busy: Sequence[Interval] = (),
    booked: Sequence[Interval] = (),
    limit: int = 3,
) -> list[Slot]:
    """Given a period, a person, the owner's rules, the current time and busy time
    (``busy`` the owner's, ``person_busy`` the person's, ``booked`` the owner's
    existing 1:1s), return up to ``limit`` ranked slots of the person's duration.

    When no full-length slot exists in the whole period, return shorter ones
    marked ``shorter``; when nothing fits, return []. Existing 1:1s are also
    treated as busy, whether or not ``busy`` repeats them.
    """
    if limit <= 0 or person.duration <= _ZERO:
        return []
    clear = _Clearance([*busy, *person_busy, *booked], rules.buffer)
    booked_per_day = Counter(b.start.astimezone(rules.zone).date() for b in booked)
    candidates = _candidates(period, person, rules, now, clear, booked_per_day)
    longest = max((c.room for c in candidates), default=_ZERO)
    length: timedelta | None = person.duration
    if longest < person.duration:
        length = _fallback_length(person.duration, longest)
    if length is None:
        return []
    ranked = sorted(c for c in candidates if c.room >= length)
    return [
        Slot(
            c.start.astimezone(rules.zone),
            (c.start + length).astimezone(rules.zone),
            shorter=length < person.duration,
        )
        for c in _spread(ranked, length, limit)
    ]


def slot_is_free(
    slot: Slot,
    person: Person,
    rules: SlotRules,
    *,
    now: datetime,
    busy: Sequence[Interval],
    person_busy: Sequence[Interval] = (),
    booked: Sequence[Interval] = (),
) -> bool:
    """Given a slot and the same inputs as ``find_slots``, return whether the slot
    still obeys every rule except lying in a period (the caller knows the period)."""
    start, end = slot.start.astimezone(UTC), slot.end.astimezone(UTC)
    if end <= start or start < now.astimezone(UTC) + rules.min_notice:
        return False
    day = slot.start.astimezone(rules.zone).date()
    if sum(1 for b in booked if b.start.astimezone(rules.zone).date() == day) >= rules.max_per_day:
        return False
    if not any(lo <= start and end <= hi for lo, hi in _windows(day, person, rules)):
        return False
    until = _Clearance([*busy, *person_busy, *booked], rules.buffer).clear_until(start)
    return until is None or until >= end
