"""Read an iCalendar feed into the occurrences that overlap a window.

The feed decides everything here: an instance is cancelled when the feed says so
(``STATUS:CANCELLED`` on an override, or an ``EXDATE`` of its series), moved when
an override gives it a new start. Nothing is interpreted beyond what the
exporters (Google, Outlook/Exchange, Apple, Thunderbird) write.

How: the feed is split into components without parsing (ics_split), the events
that can matter to the window are picked from their raw times (ics_select),
and only those are parsed, one UID at a time (ics_components), series expanded
within bounds (ics_expand) and the whole read run on a budget (ics_limits). A
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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone
from cadence.daemon.calendars.ics_components import (
    PLACEMENT_PROPERTIES,
    TIME_PROPERTIES,
    Zones,
    parse_event,
    parse_timezone,
    short,
)
from cadence.daemon.calendars.ics_expand import Instance, expand_series
from cadence.daemon.calendars.ics_limits import Budget, GroupTimeout, ReadLimits
from cadence.daemon.calendars.ics_select import group_events, select_events
from cadence.daemon.calendars.ics_split import RawCalendar, RawEvent, split_feed
from cadence.daemon.calendars.windows_zones import UnknownZoneError, place_times, zone_named
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Attendee, Cutype, Interval, Occurrence, Partstat, Status

__all__ = ["ParsedCalendar", "ReadLimits", "parse_calendar"]

DEFAULT_ZONE = ZoneInfo("UTC")

_RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
_PARTSTATS = {
    "NEEDS-ACTION": Partstat.NEEDS_ACTION,
    "ACCEPTED": Partstat.ACCEPTED,
    "DECLINED": Partstat.DECLINED,
    "TENTATIVE": Partstat.TENTATIVE,
    "DELEGATED": Partstat.DELEGATED,
}
_STATUSES = {"TENTATIVE": Status.TENTATIVE, "CANCELLED": Status.CANCELLED}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
            problem = _placement_problem(event, group.xwr_zone or self.zone)
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
            start, end = self._aware(_start(event)), self._aware(_end(event))
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
                if master is None or _sequence(event) >= _sequence(master):
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
        original = _moment_of(instance.source, "RECURRENCE-ID")
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
        first_raw = _start(master)
        first = self._aware(first_raw)
        duration = self._duration(master)
        found = []
        for value in _values(exdates):
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
        start, end = _start(event), _end(event)
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
            known = self._known[id(event)] = (event, _read_event(event))
        template = known[1]
        return replace(
            template,
            start=start,
            end=end,
            recurrence_id=recurrence_id,
            status=status or template.status,
        )


def _placement_problem(event: icalendar.Component, floating_zone: ZoneInfo) -> str | None:
    """Given a VEVENT, return why it cannot be placed in time, or None.

    Also brings its times into comparable zones, in place: Windows TZIDs to their
    IANA zone, floating times to ``floating_zone`` (or DTSTART's zone).
    """
    for name, message in event.errors:
        if name in PLACEMENT_PROPERTIES:
            return f"unreadable {name}: {short(message)}"
    if _moment_of(event, "DTSTART") is None:
        return "has no DTSTART"
    try:
        place_times(event, TIME_PROPERTIES, floating_zone)
    except UnknownZoneError as error:
        return str(error)
    return None


def _read_event(event: icalendar.Component) -> Occurrence:
    """Given a VEVENT, return what its occurrences share, placed nowhere yet.

    Every property read here must be in ics_components.PROPERTIES_READ: no other
    reaches the parser.
    """
    start = _start(event)
    all_day = not isinstance(start, datetime) or _text(
        event.get("X-MICROSOFT-CDO-ALLDAYEVENT")
    ).upper() in ("TRUE", "1")
    busy = _text(event.get("X-MICROSOFT-CDO-BUSYSTATUS")).upper()
    transparent = _text(event.get("TRANSP")).upper() == "TRANSPARENT" or busy == "FREE"
    attendees = []
    for value in _as_list(event.get("ATTENDEE", [])):
        email = _address(value)
        if email:
            params = getattr(value, "params", {})
            partstat = str(params.get("PARTSTAT", "NEEDS-ACTION"))
            attendees.append(
                Attendee(
                    email,
                    _PARTSTATS.get(partstat.upper(), Partstat.NEEDS_ACTION),
                    # A room, resource or group booked with the 1:1 is no person in it.
                    Cutype.parse(str(params.get("CUTYPE") or "") or None),
                )
            )
    person = _text(event.get("X-CADENCE-PERSON")).strip()
    return Occurrence(
        uid=str(event["UID"]),
        start=_EPOCH,
        end=_EPOCH,
        summary=_text(event.get("SUMMARY")),
        status=_STATUSES.get(_text(event.get("STATUS")).upper(), Status.CONFIRMED),
        organizer=_address(event.get("ORGANIZER")),
        attendees=tuple(attendees),
        person=_strip_mailto(person).lower() if person else None,
        all_day=all_day,
        transparent=transparent,
    )


def _address(value: Any) -> str | None:
    """Given an ORGANIZER or ATTENDEE value, return its lower-cased email, or None."""
    if value is None:
        return None
    address = _strip_mailto(str(value).strip())
    if "@" not in address:
        # Some servers write a URN and carry the address in the EMAIL parameter.
        address = _strip_mailto(str(getattr(value, "params", {}).get("EMAIL", "")).strip())
    return address.lower() if "@" in address else None


def _strip_mailto(text: str) -> str:
    return text[7:] if text[:7].lower() == "mailto:" else text


def _start(event: icalendar.Component) -> date:
    start = _moment_of(event, "DTSTART")
    if start is None:  # such events never get past _placement_problem
        raise ValueError("a VEVENT without DTSTART")
    return start


def _moment_of(event: icalendar.Component, name: str) -> date | None:
    value = getattr(event.get(name), "dt", None)
    return value if isinstance(value, date) else None


def _end(event: icalendar.Component) -> date:
    """Given a VEVENT, return its end as written: DTEND, DTSTART + DURATION, or the default."""
    start = _start(event)
    end = _moment_of(event, "DTEND")
    if end is not None and isinstance(end, datetime) == isinstance(start, datetime):
        return end
    duration = getattr(event.get("DURATION"), "dt", None)
    if isinstance(duration, timedelta):
        if not isinstance(start, datetime) and duration % timedelta(days=1):
            start = datetime.combine(start, time(0))
        return start + duration
    # RFC 5545: a date-only event lasts the day; a timed one is an instant.
    return start if isinstance(start, datetime) else start + timedelta(days=1)


def _values(prop: Any) -> Iterator[date]:
    """Given an EXDATE property (one line or several), yield each date or date-time."""
    for line in _as_list(prop):
        for value in getattr(line, "dts", ()):
            if isinstance(value.dt, date):
                yield value.dt


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _sequence(event: icalendar.Component) -> int:
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a repeated property: the first one counts
        return _text(value[0]) if value else ""
    return str(value)


def _name(uid: str) -> str:
    return uid if len(uid) <= 60 else uid[:57] + "..."
