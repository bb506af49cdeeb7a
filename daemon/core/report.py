"""Adherence: which periods of each person's cadence held a 1:1, read from the calendar.

Pure: the observed occurrences, the people (with when they were added and when
they were on hold) and the current moment come in; per-period outcomes and
figures go out.

A 1:1 was *held* when it is live (confirmed or tentative, declined by neither
side) and its end is in the past. Each period of the person's cadence gets one
outcome:

- ``held``: a 1:1 was held in it, as planned;
- ``rescheduled``: a 1:1 was held in it, but the one meant for it was
  cancelled, declined, deleted or moved (held at another time, same period);
- ``missed``: the period is over and no 1:1 was held in it;
- ``upcoming``: the current period, no 1:1 held in it yet;
- ``paused``: no 1:1 held and the person was on hold at the period's last
  moment (up to now), the rule the proposals follow too; counts for nothing;
- ``untracked``: before cadence knew of the person (added later, and no 1:1
  of theirs in the calendar yet) or before the kept history; counts for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Occurrence, Owner, Period, Person
from cadence.daemon.core.periods import periods_between, start_of_day
from cadence.daemon.core.reconcile import is_live, one_on_ones

__all__ = [
    "Adherence",
    "Cell",
    "Outcome",
    "Pause",
    "Report",
    "Tracked",
    "adherence",
    "build_report",
    "pause_span",
    "report_weeks",
]

_TICK = timedelta(microseconds=1)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class Cell(StrEnum):
    """What one period of a person's cadence came to."""

    HELD = "held"
    RESCHEDULED = "rescheduled"
    MISSED = "missed"
    UPCOMING = "upcoming"
    PAUSED = "paused"
    UNTRACKED = "untracked"

    @property
    def counts(self) -> bool:
        """Whether the period counts at all (paused and untracked ones do not)."""
        return self not in (Cell.PAUSED, Cell.UNTRACKED)

    @property
    def held(self) -> bool:
        return self in (Cell.HELD, Cell.RESCHEDULED)


@dataclass(frozen=True)
class Pause:
    """A span ``[start, end)`` in which the person's 1:1s were on hold (end None: still)."""

    start: datetime
    end: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        if _utc(moment) < _utc(self.start):
            return False
        return self.end is None or _utc(moment) < _utc(self.end)


def pause_span(
    started_at: datetime, until: date | None, ended_at: datetime | None, zone: ZoneInfo
) -> Pause:
    """Given a recorded pause (when it began, the local date the person is back, when
    it was ended by hand or replaced) and the owner's timezone, return its span."""
    ends = [e for e in (ended_at, start_of_day(until, zone) if until else None) if e is not None]
    end = min(ends, key=_utc) if ends else None
    if end is not None and _utc(end) < _utc(started_at):
        end = started_at
    return Pause(started_at, end)


@dataclass(frozen=True)
class Tracked:
    """A person as the report needs them: since when cadence knows of them, and their pauses."""

    person: Person
    added_at: datetime
    pauses: tuple[Pause, ...] = ()

    def paused_at(self, moment: datetime) -> bool:
        return any(p.covers(moment) for p in self.pauses)


@dataclass(frozen=True)
class Outcome:
    """One period and what it came to. ``held_at`` is the start of the last 1:1 held
    in it; ``cancelled`` says a 1:1 meant for it was cancelled, declined or deleted."""

    period: Period
    cell: Cell
    held_at: datetime | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class Adherence:
    """A person's periods in the report's range and the figures drawn from them.

    ``outcomes`` are the periods shown, oldest first, and ``spans`` how many of the
    report's week columns each covers. ``periods`` counts the outcomes that count
    (not paused, not untracked); ``held`` includes ``rescheduled``; so
    ``held + missed + upcoming == periods``. ``streak`` counts the held periods
    back from now through the whole kept history, stepping over paused periods
    and the current one while it is still open.
    """

    person: Person
    outcomes: tuple[Outcome, ...]
    spans: tuple[int, ...]
    periods: int
    held: int
    cancelled: int
    rescheduled: int
    missed: int
    paused: int
    upcoming: int
    last_held: datetime | None
    streak: int
    at_risk: bool
    overdue_days: int | None

    @property
    def current(self) -> Outcome | None:
        return self.outcomes[-1] if self.outcomes else None


@dataclass(frozen=True)
class Report:
    """Everyone's adherence over the weeks ``weeks`` (their Mondays), most at risk first."""

    now: datetime
    zone: ZoneInfo
    weeks: tuple[date, ...]
    people: tuple[Adherence, ...]


def report_weeks(now: datetime, weeks: int, zone: ZoneInfo) -> tuple[date, ...]:
    """Given now, a number of weeks and the owner's timezone, return the Mondays of the
    last ``weeks`` local weeks, the current one last; raise ValueError below one."""
    if weeks < 1:
        raise ValueError(f"a report needs at least one week, not {weeks}")
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return tuple(monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1))


def _within(moment: datetime, period: Period) -> bool:
    return _utc(period.start) <= _utc(moment) < _utc(period.end)


def _outcome(
    tracked: Tracked,
    owner: Owner,
    ones: Sequence[Occurrence],
    period: Period,
    tracked_from: datetime,
    now: datetime,
) -> Outcome:
    person = tracked.person
    held = [
        o
        for o in ones
        if _within(o.start, period) and _utc(o.end) <= _utc(now) and is_live(o, owner, person)
    ]
    meant = [o for o in ones if _within(o.original_start, period)]
    cancelled = any(not is_live(o, owner, person) for o in meant)
    moved = any(is_live(o, owner, person) and o.start != o.original_start for o in meant)
    if held:
        cell = Cell.RESCHEDULED if cancelled or moved else Cell.HELD
        return Outcome(period, cell, max((o.start for o in held), key=_utc), cancelled)
    last = min(_utc(period.end), _utc(now)) - _TICK
    if tracked.paused_at(last):
        cell = Cell.PAUSED
    elif _within(now, period):
        cell = Cell.UPCOMING
    elif _utc(period.start) < _utc(tracked_from) and not meant:
        cell = Cell.UNTRACKED
    else:
        cell = Cell.MISSED
    return Outcome(period, cell, None, cancelled)


def _column_moment(monday: date, zone: ZoneInfo, now: datetime) -> datetime:
    """The moment that decides which period a week column shows: the week's Thursday
    (so a week straddling two months belongs to the one holding most of it), or now
    for the current week, which must show the current period."""
    thursday = datetime.combine(monday + timedelta(days=3), time(12), tzinfo=zone)
    return min(thursday, now, key=_utc)


def _streak(outcomes: Iterable[Outcome]) -> int:
    count = 0
    for outcome in reversed(list(outcomes)):
        if outcome.cell in (Cell.PAUSED, Cell.UPCOMING):
            continue
        if not outcome.cell.held:
            break
        count += 1
    return count


def adherence(
    tracked: Tracked,
    owner: Owner,
    occurrences: Sequence[Occurrence],
    now: datetime,
    weeks: Sequence[date],
    history_start: datetime,
) -> Adherence:
    """Given a tracked person, the owner, the observed occurrences, now, the Mondays of
    the weeks to show and the start of the kept history, return the person's adherence."""
    person, zone = tracked.person, owner.zone
    ones = one_on_ones(person, owner, occurrences)
    first_seen = min((o.original_start for o in ones), key=_utc, default=tracked.added_at)
    known = min(tracked.added_at, first_seen, key=_utc)
    tracked_from = max(known, history_start, key=_utc)
    moments = [_column_moment(monday, zone, now) for monday in weeks]
    begin = min([tracked_from, *moments], key=_utc)
    periods = periods_between(person.cadence, person.anchor, begin, now + _TICK, zone)
    every = [_outcome(tracked, owner, ones, p, tracked_from, now) for p in periods]

    shown: list[Outcome] = []
    spans: list[int] = []
    for moment in moments:
        outcome = next(o for o in every if _within(moment, o.period))
        if shown and shown[-1] is outcome:
            spans[-1] += 1
        else:
            shown.append(outcome)
            spans.append(1)

    counted = [o for o in shown if o.cell.counts]
    held_starts = [
        o.start
        for o in ones
        if _utc(o.end) <= _utc(now)
        and is_live(o, owner, person)
        and _utc(o.start) >= _utc(history_start)
    ]
    last_held = max(held_starts, key=_utc, default=None)
    current = every[-1]
    at_risk = current.cell is Cell.UPCOMING and not any(
        _within(o.start, current.period) and _utc(o.end) > _utc(now) and is_live(o, owner, person)
        for o in ones
    )
    overdue: int | None = None
    if at_risk:
        due = (last_held or tracked_from) + person.cadence.nominal
        late = (now.astimezone(zone).date() - due.astimezone(zone).date()).days
        overdue = max(late, 0)
    return Adherence(
        person=person,
        outcomes=tuple(shown),
        spans=tuple(spans),
        periods=len(counted),
        held=sum(o.cell.held for o in counted),
        cancelled=sum(o.cancelled for o in counted),
        rescheduled=sum(o.cell is Cell.RESCHEDULED for o in counted),
        missed=sum(o.cell is Cell.MISSED for o in counted),
        paused=sum(o.cell is Cell.PAUSED for o in shown),
        upcoming=sum(o.cell is Cell.UPCOMING for o in counted),
        last_held=last_held,
        streak=_streak(every),
        at_risk=at_risk,
        overdue_days=overdue,
    )


def _risk(entry: Adherence) -> tuple[bool, int, float, int, str, str]:
    """Sort key, most at risk first: at risk now, longest overdue, most missed, shortest
    streak; then by name."""
    missed_share = entry.missed / entry.periods if entry.periods else 0.0
    return (
        not entry.at_risk,
        -(entry.overdue_days or 0),
        -missed_share,
        entry.streak,
        entry.person.name.casefold(),
        entry.person.email,
    )


def build_report(
    people: Sequence[Tracked],
    owner: Owner,
    occurrences: Sequence[Occurrence],
    now: datetime,
    weeks: int,
    history_start: datetime,
) -> Report:
    """Given the tracked people, the owner, the observed occurrences, now, the number of
    weeks and the start of the kept history, return the report, most at risk first."""
    mondays = report_weeks(now, weeks, owner.zone)
    entries = [adherence(t, owner, occurrences, now, mondays, history_start) for t in people]
    return Report(now, owner.zone, mondays, tuple(sorted(entries, key=_risk)))
