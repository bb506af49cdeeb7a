"""Expand one recurring series into its instances in a window, within bounds.

The expansion itself is recurring-ical-events' (overrides, EXDATE, RDATE,
``RANGE=THISANDFUTURE``). Before a rule reaches it, two checks keep a hostile
or absurd rule from eating the cycle:

* the rule as written: an ``INTERVAL`` below 1, ``FREQ=SECONDLY`` narrowed by
  ``BY...`` parts, or ``BYSETPOS`` on a rule finer than a day make the series
  unreadable (the library would search second by second, possibly until the
  year 9999); a plain ``FREQ=SECONDLY``/``MINUTELY`` rule repeating more often
  than every 15 minutes is busy over its whole span, without a single instance
  being made;
* the rule walked lazily, instance by instance, up to the window's end: a
  series that turns out to repeat more often than every 15 minutes on average
  (or more often than that fills the window) is busy over its span too, and one
  that takes more steps before the window than any real series is unreadable.

What passes is expanded; the instances are bounded by the checks above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from cadence.daemon.calendars.ics_limits import Budget
from cadence.daemon.core.model import Interval
from recurring_ical_events import CalendarQuery, ComponentsWithName, EventAdapter
from recurring_ical_events import Occurrence as _LibraryOccurrence

__all__ = ["Dense", "Instance", "SeriesReading", "expand_series", "screen_rules"]

# The expansion library reads dates and floating times in the query's zone, which
# is not the zone we place them in; asking for a day more on each side and
# filtering exactly afterwards keeps edge events from being lost.
QUERY_SLACK = timedelta(days=1)
_STEP = {"SECONDLY": timedelta(seconds=1), "MINUTELY": timedelta(minutes=1)}
_FINER_THAN_DAILY = ("SECONDLY", "MINUTELY", "HOURLY")
_FREQUENCIES = frozenset((*_FINER_THAN_DAILY, "DAILY", "WEEKLY", "MONTHLY", "YEARLY"))
# Instances looked at before judging how often a series repeats on average.
_SAMPLE = 1000


class _EventAdapter(EventAdapter):  # type: ignore[misc]
    """Lets an expanded instance reach its source VEVENT without copying it."""

    @property
    def source(self) -> icalendar.Component:
        return self._component  # type: ignore[no-any-return]


class Instance(_LibraryOccurrence):  # type: ignore[misc]
    """One expanded instance: where it is now, the VEVENT that says so, and the
    start it was meant to have (None when the VEVENT itself says: an override).

    The library's own ``as_component`` copies the whole VEVENT per instance, which
    costs more than the parse itself on a large feed; we only read from it.
    """

    def __init__(self, adapter: _EventAdapter, *args: Any, **kwargs: Any) -> None:
        super().__init__(adapter, *args, **kwargs)
        self.source = adapter.source
        self.is_override = bool(adapter.is_modification())
        # A RANGE=THISANDFUTURE override moves every later instance by as much as
        # it moved its own: each keeps its own original start.
        self.this_and_future = bool(adapter.this_and_future)
        self.moved_by: timedelta = adapter.move_recurrences_by


@dataclass(frozen=True)
class Dense:
    """A series read as busy over a span instead of instance by instance."""

    start: datetime
    end: datetime
    why: str


@dataclass
class SeriesReading:
    """What one series gave: its instances, or a busy span, or why neither."""

    instances: list[Instance]
    dense: Dense | None = None
    problem: str | None = None


def screen_rules(event: icalendar.Component, dense: timedelta) -> tuple[str | None, timedelta]:
    """Given a series' master, return why its rules cannot be read (or None) and the
    spacing of its instances when the rules alone show it is denser than ``dense``
    (else a zero timedelta)."""
    spacing = timedelta(0)
    for rule in _as_list(event.get("RRULE", [])):
        freq = str(_first(rule.get("FREQ", ""))).upper()
        interval = _first(rule.get("INTERVAL", 1))
        parts = [key for key in rule if str(key).upper().startswith("BY")]
        if freq not in _FREQUENCIES:
            return f"RRULE with FREQ={freq or '(none)'}", spacing
        if not isinstance(interval, int) or interval < 1:
            return f"RRULE with INTERVAL={interval}", spacing
        if freq == "SECONDLY" and parts:
            return "FREQ=SECONDLY narrowed by " + ",".join(parts) + " is not read", spacing
        if freq in _FINER_THAN_DAILY and "BYSETPOS" in parts:
            return f"BYSETPOS on FREQ={freq} is not read", spacing
        if freq in _STEP and not parts and _STEP[freq] * interval < dense:
            step = _STEP[freq] * interval
            spacing = min(spacing, step) if spacing else step
    return None, spacing


def expand_series(
    components: list[icalendar.Component],
    window: Interval,
    zone: ZoneInfo,
    budget: Budget,
    master: icalendar.Component | None,
) -> SeriesReading:
    """Given the VEVENTs of one series (its UID), return its instances overlapping
    the window (widened by a day), or the span it keeps busy when it repeats too
    often, or why it cannot be read. ``master`` is the VEVENT the rules come from."""
    limits = budget.limits
    for component in components:  # the library may choose another master than ours
        if "RRULE" in component:
            problem, _ = screen_rules(component, limits.dense)
            if problem:
                return SeriesReading([], problem=problem)
    if master is not None:
        _, spacing = screen_rules(master, limits.dense)
        if spacing:
            span = _planned_span(master, spacing, window, zone)
            why = f"it repeats every {_duration_text(spacing)}"
            return SeriesReading([], dense=Dense(*span, why) if span else None)
    holder = icalendar.Calendar()
    holder.subcomponents = components
    selection = ComponentsWithName("VEVENT", adapter=_EventAdapter, occurrence=Instance)
    query = CalendarQuery(holder, False, [selection], True)
    start, end = window.start - QUERY_SLACK, window.end + QUERY_SLACK
    instances: list[Instance] = []
    for series in query.series:
        walked = _walk(series, Interval(start, end), zone, budget)
        if isinstance(walked, str):
            return SeriesReading([], problem=walked)
        if walked is not None:
            return SeriesReading([], dense=walked)
        found = list(series.between(start, end))
        if not series.recurrence.has_core:
            budget.count(len(found))  # (a series with rules is counted by its walk)
        instances.extend(found)
    return SeriesReading(instances)


def _walk(series: Any, window: Interval, zone: ZoneInfo, budget: Budget) -> Dense | str | None:
    """Walk the series' rules lazily up to the window's end: return the busy span if it
    repeats too often, why it cannot be read if it takes too many steps to get there,
    or None when it may be expanded."""
    limits = budget.limits
    if not series.recurrence.has_core:
        return None  # overrides only: as many instances as the feed writes
    cap = int((window.end - window.start) / limits.dense) + 1
    duration = _as_timedelta(series.recurrence.core)
    for rule in series.recurrence.rrules:
        inside = 0
        first: datetime | None = None
        for seen, value in enumerate(rule, 1):
            if not seen % 1024:
                budget.tick()
            moment = _aware(value, zone)
            first = first or moment
            if moment >= window.end:
                break
            if moment + duration > window.start:
                inside += 1
            elif seen > limits.steps_before_window:
                return f"it repeats more than {limits.steps_before_window:,} times before"
            average = (moment - first) / max(seen - 1, 1)
            if inside > cap or (seen >= _SAMPLE and average < limits.dense):
                end = _estimated_end(rule, moment, average, seen, window)
                span = (max(first, window.start), min(end + duration, window.end))
                why = f"it repeats every {_duration_text(average)} on average"
                return Dense(*span, why)  # an empty span: no instance in the window
        budget.count(inside)
    return None


def _estimated_end(
    rule: Any, moment: datetime, average: timedelta, seen: int, window: Interval
) -> datetime:
    until: datetime | None = getattr(rule, "_until", None)
    count: int | None = getattr(rule, "_count", None)
    if until is not None:
        return min(_aware(until, moment.tzinfo), window.end)
    if count is not None:
        try:
            return min(moment + average * max(count - seen, 0), window.end)
        except OverflowError:
            return window.end
    return window.end


def _planned_span(
    master: icalendar.Component, spacing: timedelta, window: Interval, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The span a too-dense plain rule covers, from its DTSTART, UNTIL and COUNT."""
    start: Any = master["DTSTART"]
    first = _aware(start.dt, zone)
    duration = _as_timedelta(master)
    ends = []
    for rule in _as_list(master.get("RRULE", [])):
        until, count = _first(rule.get("UNTIL")), _first(rule.get("COUNT"))
        if until is not None:
            ends.append(_aware(until, zone))
        elif isinstance(count, int):
            ends.append(first + spacing * max(count - 1, 0))
        else:
            ends.append(window.end)
    try:
        end = max(ends) + duration
    except OverflowError:
        end = window.end
    start, end = max(first, window.start), min(end, window.end)
    return (start, end) if start < end else None


def _as_timedelta(component: Any) -> timedelta:
    """The length of a series' instances (its master's DTEND - DTSTART or DURATION)."""
    if component is None:
        return timedelta(0)
    event = getattr(component, "source", component)
    start = getattr(event.get("DTSTART"), "dt", None)
    end = getattr(event.get("DTEND"), "dt", None)
    length = getattr(event.get("DURATION"), "dt", None)
    if isinstance(length, timedelta):
        return abs(length)
    if isinstance(start, datetime) and isinstance(end, datetime):
        try:
            return abs(end - start)
        except TypeError:  # one aware, one floating
            return timedelta(0)
    if isinstance(start, date) and isinstance(end, date):
        return abs(end - start)
    all_day = isinstance(start, date) and not isinstance(start, datetime)
    return timedelta(days=1) if all_day else timedelta(0)


def _aware(value: date, zone: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def _duration_text(length: timedelta) -> str:
    seconds = int(length.total_seconds())
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _as_list(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else [value]
