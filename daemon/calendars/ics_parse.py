"""Read an iCalendar feed into the occurrences that overlap a window.

The feed decides everything here: an instance is cancelled when the feed says so
(``STATUS:CANCELLED`` on an override, or an ``EXDATE`` of its series), moved when
an override gives it a new start. Nothing is interpreted beyond what the
exporters (Google, Outlook/Exchange, Apple, Thunderbird) write.

How: the feed is split into components without parsing (ics_split), the events
that can matter to the window are picked from their raw times (ics_select),
and only those are parsed, one UID at a time (ics_components), their properties
read (ics_properties), series expanded within bounds (ics_expand) and the
whole read run on a budget (ics_limits). A
broken event costs only itself: it is skipped and named in the log; what
cadence does not need of an event is never parsed at all.

Times: a ``TZID`` names an IANA zone, a Windows zone (Outlook; mapped through
the CLDR table icalendar ships) or a ``VTIMEZONE`` of the feed; a zone nobody
defines is read as the owner's, with a warning. Floating times belong to
``X-WR-TIMEZONE`` (Google) when present, else to the owner's zone, except
next to a ``DTSTART`` with a zone, whose zone they share. All-day events start
and end at local midnights in the owner's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone
from cadence.daemon.calendars.ics_components import Zones, parse_event, parse_timezone, short
from cadence.daemon.calendars.ics_expand import Instance, expand_series
from cadence.daemon.calendars.ics_limits import Budget, GroupTimeout, ReadLimits
from cadence.daemon.calendars.ics_properties import (
    end_of,
    excluded_dates,
    moment_of,
    placement_problem,
    read_event,
    sequence_of,
    start_of,
)
from cadence.daemon.calendars.ics_select import group_events, select_events
from cadence.daemon.calendars.ics_split import RawCalendar, RawEvent, split_feed
from cadence.daemon.calendars.windows_zones import zone_named
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval, Occurrence, Status

__all__ = ["ParsedCalendar", "ReadLimits", "parse_calendar"]

DEFAULT_ZONE = ZoneInfo("UTC")

_RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class ParsedCalendar:
    """The occurrences of a feed in a window; the events that could not be read
    (``skipped``, with why in ``problems``); and what was wrong but ignored
    (``notes``: an unreadable property, a zone nobody defines, ...)."""

    occurrences: list[Occurrence]
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_calendar(
    body: bytes,
    window: Interval,
    *,
    source: str,
    default_zone: ZoneInfo = DEFAULT_ZONE,
    select: bool = True,
    progress: Callable[[], None] = _nothing,
    limits: ReadLimits = ReadLimits(),  # noqa: B008 - frozen, shared on purpose
) -> ParsedCalendar:
    """Given an iCalendar body and an aware window, return every occurrence overlapping
    the window (cancelled ones included, each ``(UID, RECURRENCE-ID)`` once, sorted by
    start) with the events skipped as unreadable and why; raise SourceError naming
    ``source`` when the body is not a readable calendar at all, or reading it costs
    more than ``limits``. ``select=False`` parses every event instead of only those
    that can matter (the same result, slower); ``progress`` is called while reading
    makes progress."""
    if window.start.tzinfo is None or window.end.tzinfo is None:
        raise ValueError("the window must be given in aware datetimes")
    feed = split_feed(body, source)
    reader = _Reader(window, default_zone, Budget(limits, source, progress), select=select)
    for calendar in feed.calendars:
        reader.read(calendar, source)
    occurrences = sorted(reader.occurrences, key=lambda o: (o.start, o.uid, o.end))
    return ParsedCalendar(occurrences, reader.skipped, reader.problems, reader.notes)


class _Reader:
    """Collects the occurrences of one or more VCALENDARs of a feed."""

    def __init__(self, window: Interval, zone: ZoneInfo, budget: Budget, *, select: bool) -> None:
        self.window = window
        self.zone = zone
        self.budget = budget
        self.select = select
        self.occurrences: list[Occurrence] = []
        self.skipped = 0
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._seen: set[tuple[str, datetime]] = set()
        self._renamed: dict[str, str] = {}

    def read(self, calendar: RawCalendar, source: str) -> None:
        if calendar.calscale and calendar.calscale.upper() != "GREGORIAN":
            raise SourceError(source, "the calendar is not Gregorian (CALSCALE); cannot read it")
        xwr_name = calendar.x_wr_timezone
        xwr_zone = zone_named(xwr_name) if xwr_name else None
        if xwr_name and xwr_zone is None:
            self.notes.append(
                f"unknown X-WR-TIMEZONE {xwr_name!r}: floating times read in {self.zone.key}"
            )
        zones = Zones(self.zone, self._renamed)
        for timezone in calendar.timezones:
            problem = parse_timezone(calendar, timezone, zones)
            if problem:
                self.notes.append(problem)
        events = calendar.events
        groups = select_events(events, self.window) if self.select else group_events(events)
        group = _Group(calendar, zones, xwr_zone)
        for uid, raws in groups.items():
            self.budget.tick()
            try:
                with self.budget.group():
                    found = self._read_group(group, uid, raws)
            except GroupTimeout:
                self.budget.tick()  # raises when the whole read is over its time
                seconds = self.budget.limits.group_seconds
                self._skip(uid, f"took longer than {seconds:g} s to read", len(raws))
                continue
            except SourceError:
                raise
            except Exception as error:  # one bad event must not hide the rest
                self._skip(uid, f"unreadable ({type(error).__name__}: {short(error)})", len(raws))
                continue
            for occurrence in found:
                self._add(occurrence)
        for tzid, count in zones.unknown.items():
            self.notes.append(
                f"unknown time zone {tzid!r} (and no VTIMEZONE for it): "
                f"{count} time(s) read in {self.zone.key}"
            )

    def _read_group(self, group: _Group, uid: str, raws: list[RawEvent]) -> list[Occurrence]:
        """Parse the events of one UID and return their occurrences in the window."""
        events: list[icalendar.Component] = []
        for raw in raws:
            try:
                event, notes = parse_event(group.calendar, raw, group.zones, only_read=self.select)
            except ValueError as error:
                self._skip(uid, str(error))
                continue
            problem = placement_problem(event, group.xwr_zone or self.zone)
            if problem:
                self._skip(uid, problem)
                continue
            self.notes.extend(f"event {_name(uid)}: {note}" for note in notes)
            events.append(event)
        if not events:
            return []
        templates = _Templates()
        if len(events) == 1 and not any(p in events[0] for p in _RECURRENCE_PROPERTIES):
            # Most of a feed is single events: placing them directly spares the
            # expansion machinery, which costs as much per event as the parse.
            event = events[0]
            start, end = self._aware(start_of(event)), self._aware(end_of(event))
            start, end = min(start, end), max(start, end)
            return [templates.at(event, start, end, None)] if self._in_window(start, end) else []
        return self._series(uid, events, group.xwr_zone, templates)

    def _series(
        self,
        uid: str,
        events: list[icalendar.Component],
        xwr_zone: ZoneInfo | None,
        templates: _Templates,
    ) -> list[Occurrence]:
        if xwr_zone is not None:
            # Google writes some series in UTC meaning "in the calendar's zone": their
            # recurrences must follow that zone's wall clock across DST changes.
            holder = icalendar.Calendar()
            holder.subcomponents = events
            events = list(x_wr_timezone.to_standard(holder, timezone=xwr_zone).subcomponents)
        master: icalendar.Component | None = None
        recurring = False
        for event in events:
            if "RECURRENCE-ID" in event:
                recurring = True
            elif "RRULE" in event or "RDATE" in event:
                recurring = True
                if master is None or sequence_of(event) >= sequence_of(master):
                    master = event
        reading = expand_series(events, self.window, self.zone, self.budget, master)
        if reading.problem:
            self._skip(uid, f"cannot expand its recurrence: {reading.problem}", len(events))
            return []
        if reading.dense is not None:
            dense = reading.dense
            start, end = max(dense.start, self.window.start), min(dense.end, self.window.end)
            if start >= end or master is None:
                return []
            self.notes.append(
                f"event {_name(uid)}: {dense.why}: read as busy from "
                f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
            )
            return [templates.at(master, start, end, None)]
        found = []
        for instance in reading.instances:
            occurrence = self._instance(instance, recurring, templates)
            if occurrence is not None:
                found.append(occurrence)
        if master is not None:
            found += self._excluded(master, templates)
        return found

    def _instance(
        self, instance: Instance, recurring: bool, templates: _Templates
    ) -> Occurrence | None:
        start, end = self._aware(instance.start), self._aware(instance.end)
        if not self._in_window(start, end):
            return None
        recurrence_id: datetime | None = None
        original = moment_of(instance.source, "RECURRENCE-ID")
        if instance.is_override and instance.this_and_future:
            # The override and every later instance it moved: each keeps its own slot.
            recurrence_id = self._aware(instance.start - instance.moved_by)
        elif instance.is_override and original is not None:
            recurrence_id = self._aware(original)
        elif recurring:
            recurrence_id = start
        return templates.at(instance.source, start, end, recurrence_id)

    def _excluded(self, master: icalendar.Component, templates: _Templates) -> list[Occurrence]:
        """Report each EXDATE of a series inside the window as a cancelled instance.

        The expansion drops excluded instances silently, but an excluded 1:1 is
        exactly what cadence must see.
        """
        exdates = master.get("EXDATE")
        if exdates is None:
            return []
        first_raw = start_of(master)
        first = self._aware(first_raw)
        duration = self._duration(master)
        found = []
        for value in excluded_dates(exdates):
            if not isinstance(value, datetime) and isinstance(first_raw, datetime):
                # A date excluding an instance of a timed series means that day's instance.
                value = datetime.combine(value, first_raw.timetz())
            start = self._aware(value).astimezone(first.tzinfo)
            end = start + duration
            if start >= first and self._in_window(start, end):
                found.append(templates.at(master, start, end, start, Status.CANCELLED))
        return found

    def _add(self, occurrence: Occurrence) -> None:
        if occurrence.recurrence_id is not None:
            key = (occurrence.uid, occurrence.recurrence_id.astimezone(UTC))
            if key in self._seen:
                return
            self._seen.add(key)
        self.occurrences.append(occurrence)

    def _in_window(self, start: datetime, end: datetime) -> bool:
        if start == end:  # an instant belongs to the window that contains it
            return self.window.contains(start)
        return start < self.window.end and self.window.start < end

    def _duration(self, event: icalendar.Component) -> timedelta:
        start, end = start_of(event), end_of(event)
        if isinstance(start, datetime) or isinstance(end, datetime):
            return abs(self._aware(end) - self._aware(start))
        return abs(end - start)

    def _aware(self, value: date) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=self.zone)
        return datetime.combine(value, time(0), tzinfo=self.zone)

    def _skip(self, uid: str, problem: str, events: int = 1) -> None:
        self.skipped += events
        self.problems.append(f"event {_name(uid)}: {problem}")


@dataclass(frozen=True)
class _Group:
    """What the events of one calendar are read against."""

    calendar: RawCalendar
    zones: Zones
    xwr_zone: ZoneInfo | None


class _Templates:
    """What the occurrences of one VEVENT share, read once per group: a series shares
    one VEVENT across all its instances."""

    def __init__(self) -> None:
        # Keyed by id(); holding the VEVENT too keeps the id from being reused.
        self._known: dict[int, tuple[icalendar.Component, Occurrence]] = {}

    def at(
        self,
        event: icalendar.Component,
        start: datetime,
        end: datetime,
        recurrence_id: datetime | None,
        status: Status | None = None,
    ) -> Occurrence:
        known = self._known.get(id(event))
        if known is None:
            known = self._known[id(event)] = (event, read_event(event))
        template = known[1]
        return replace(
            template,
            start=start,
            end=end,
            recurrence_id=recurrence_id,
            status=status or template.status,
        )


def _name(uid: str) -> str:
    return uid if len(uid) <= 60 else uid[:57] + "..."
