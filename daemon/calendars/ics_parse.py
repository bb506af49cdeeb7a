"""Read an iCalendar feed into the occurrences that overlap a window.

The feed decides everything here: an instance is cancelled when the feed says so
(``STATUS:CANCELLED`` on an override, or an ``EXDATE`` of its series), moved when
an override gives it a new start. Nothing is interpreted beyond what the
exporters (Google, Outlook/Exchange, Apple, Thunderbird) write.

Times: a ``TZID`` names an IANA zone, a Windows zone (Outlook; mapped through
the CLDR table icalendar ships) or a ``VTIMEZONE`` of the feed. Floating times
belong to ``X-WR-TIMEZONE`` (Google) when present, else to the owner's zone.
All-day events start and end at local midnights in the owner's zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone
from cadence.daemon.calendars.windows_zones import UnknownZoneError, place_times, zone_named
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Attendee, Cutype, Interval, Occurrence, Partstat, Status
from recurring_ical_events import CalendarQuery, ComponentsWithName, EventAdapter
from recurring_ical_events import Occurrence as _LibraryOccurrence

__all__ = ["ParsedCalendar", "parse_calendar"]

DEFAULT_ZONE = ZoneInfo("UTC")

# Properties whose values are times; a broken one makes the event unplaceable.
_TIME_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_PLACEMENT_PROPERTIES = frozenset((*_TIME_PROPERTIES, "DURATION", "RRULE"))
_RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")

# The expansion library reads dates and floating times in the query's zone, which
# is not the zone we place them in; asking for a day more on each side and
# filtering exactly afterwards keeps edge events from being lost.
_QUERY_SLACK = timedelta(days=1)

_PARTSTATS = {
    "NEEDS-ACTION": Partstat.NEEDS_ACTION,
    "ACCEPTED": Partstat.ACCEPTED,
    "DECLINED": Partstat.DECLINED,
    "TENTATIVE": Partstat.TENTATIVE,
    "DELEGATED": Partstat.DELEGATED,
}
_STATUSES = {"TENTATIVE": Status.TENTATIVE, "CANCELLED": Status.CANCELLED}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ParsedCalendar:
    """The occurrences of a feed in a window, and the events that could not be read."""

    occurrences: list[Occurrence]
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def parse_calendar(
    body: bytes, window: Interval, *, source: str, default_zone: ZoneInfo = DEFAULT_ZONE
) -> ParsedCalendar:
    """Given an iCalendar body and an aware window, return every occurrence overlapping
    the window (cancelled ones included, each ``(UID, RECURRENCE-ID)`` once, sorted by
    start) with the count of events skipped as unreadable and why; raise SourceError
    naming ``source`` when the body is not a readable calendar at all."""
    reader = _Reader(window, default_zone)
    for calendar in _calendars(body, source):
        reader.read(calendar, source)
    occurrences = sorted(reader.occurrences, key=lambda o: (o.start, o.uid, o.end))
    return ParsedCalendar(occurrences, reader.skipped, reader.problems)


def _calendars(body: bytes, source: str) -> list[icalendar.Component]:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        # Older Outlook exports are Windows-1252; read them as such rather than
        # turning every accented name into replacement characters.
        body = body.decode("cp1252", errors="replace").encode("utf-8")
    try:
        components = icalendar.Calendar.from_ical(body, multiple=True)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise SourceError(source, f"the feed is not valid iCalendar: {_short(error)}") from error
    calendars: list[icalendar.Component] = [c for c in components if c.name == "VCALENDAR"]
    if not calendars:
        raise SourceError(source, "the feed holds no VCALENDAR")
    return calendars


class _EventAdapter(EventAdapter):  # type: ignore[misc]
    """Lets an expanded instance reach its source VEVENT without copying it."""

    @property
    def source(self) -> icalendar.Component:
        return self._component  # type: ignore[no-any-return]


class _Instance(_LibraryOccurrence):  # type: ignore[misc]
    """One expanded instance: where it is now, and the VEVENT that says so.

    The library's own ``as_component`` copies the whole VEVENT per instance, which
    costs more than the parse itself on a large feed; we only read from it.
    """

    def __init__(self, adapter: _EventAdapter, *args: Any, **kwargs: Any) -> None:
        super().__init__(adapter, *args, **kwargs)
        self.source = adapter.source
        self.is_override = bool(adapter.is_modification())


class _Reader:
    """Collects the occurrences of one or more VCALENDARs of a feed."""

    def __init__(self, window: Interval, zone: ZoneInfo) -> None:
        if window.start.tzinfo is None or window.end.tzinfo is None:
            raise ValueError("the window must be given in aware datetimes")
        self.window = window
        self.zone = zone
        self.occurrences: list[Occurrence] = []
        self.skipped = 0
        self.problems: list[str] = []
        self._seen: set[tuple[str, datetime]] = set()
        # Keyed by id(); holding the VEVENT too keeps the id from being reused.
        self._templates: dict[int, tuple[icalendar.Component, Occurrence]] = {}

    def read(self, calendar: icalendar.Component, source: str) -> None:
        if _text(calendar.get("CALSCALE", "GREGORIAN")).upper() != "GREGORIAN":
            raise SourceError(source, "the calendar is not Gregorian (CALSCALE); cannot read it")
        xwr_name = _text(calendar.get("X-WR-TIMEZONE")).strip()
        xwr_zone = zone_named(xwr_name) if xwr_name else None
        if xwr_name and xwr_zone is None:
            self.problems.append(
                f"unknown X-WR-TIMEZONE {xwr_name!r}: floating times read in {self.zone.key}"
            )
        groups: dict[str, list[icalendar.Component]] = {}
        for event in self._placeable_events(calendar, xwr_zone or self.zone):
            groups.setdefault(str(event["UID"]), []).append(event)
        series: list[icalendar.Component] = []
        for uid, group in groups.items():
            if len(group) == 1 and not any(p in group[0] for p in _RECURRENCE_PROPERTIES):
                # Most of a feed is single events: placing them directly spares the
                # expansion machinery, which costs as much per event as the parse.
                self._add_single(uid, group[0])
            else:
                series.extend(group)
        if series:
            self._add_series(series, xwr_zone, source)

    def _placeable_events(
        self, calendar: icalendar.Component, floating_zone: ZoneInfo
    ) -> Iterator[icalendar.Component]:
        for component in calendar.subcomponents:
            if component.name != "VEVENT":
                continue
            problem = _placement_problem(component, floating_zone)
            if problem:
                self._skip(str(component.get("UID", "")), problem)
            else:
                yield component

    def _add_single(self, uid: str, event: icalendar.Component) -> None:
        start, end = self._aware(_start(event)), self._aware(_end(event))
        start, end = min(start, end), max(start, end)
        if self._in_window(start, end):
            self._add(self._template(event), start, end, None)

    def _add_series(
        self, components: list[icalendar.Component], xwr_zone: ZoneInfo | None, source: str
    ) -> None:
        holder = icalendar.Calendar()
        holder.subcomponents = components
        if xwr_zone is not None:
            # Google writes some series in UTC meaning "in the calendar's zone": their
            # recurrences must follow that zone's wall clock across DST changes.
            holder = x_wr_timezone.to_standard(holder, timezone=xwr_zone)
        events_per_uid = Counter(str(e["UID"]) for e in holder.subcomponents)
        masters: dict[str, icalendar.Component] = {}
        recurring: set[str] = set()
        for event in holder.subcomponents:
            uid = str(event["UID"])
            if "RECURRENCE-ID" in event:
                recurring.add(uid)
            elif "RRULE" in event or "RDATE" in event:
                recurring.add(uid)
                if uid not in masters or _sequence(event) >= _sequence(masters[uid]):
                    masters[uid] = event
        expanded = self._expand(holder, recurring, events_per_uid, source)
        for uid, master in masters.items():
            if uid in expanded:
                self._add_excluded(uid, master)

    def _expand(
        self,
        calendar: icalendar.Component,
        recurring: set[str],
        events_per_uid: Counter[str],
        source: str,
    ) -> set[str]:
        selection = ComponentsWithName("VEVENT", adapter=_EventAdapter, occurrence=_Instance)
        try:
            query = CalendarQuery(calendar, False, [selection], True)
        except ValueError as error:
            raise SourceError(source, f"cannot expand the calendar: {_short(error)}") from error
        start, end = self.window.start - _QUERY_SLACK, self.window.end + _QUERY_SLACK
        expanded: set[str] = set()
        for series in query.series:
            uid = str(series.uid)
            try:
                instances = list(series.between(start, end))
            except Exception as error:  # one bad series must not hide the rest
                self._skip(uid, f"cannot expand its recurrence: {_short(error)}", events_per_uid)
                continue
            expanded.add(uid)
            for instance in instances:
                self._add_instance(uid, instance, uid in recurring)
        for uid in events_per_uid.keys() - {str(s.uid) for s in query.series}:
            self._skip(uid, "cannot expand its recurrence", events_per_uid)
        return expanded

    def _add_instance(self, uid: str, instance: _Instance, recurring: bool) -> None:
        start, end = self._aware(instance.start), self._aware(instance.end)
        if not self._in_window(start, end):
            return
        recurrence_id: datetime | None = None
        original = _moment_of(instance.source, "RECURRENCE-ID")
        if instance.is_override and original is not None:
            recurrence_id = self._aware(original)
        elif recurring:
            recurrence_id = start
        self._add(self._template(instance.source), start, end, recurrence_id)

    def _add_excluded(self, uid: str, master: icalendar.Component) -> None:
        """Report each EXDATE of a series inside the window as a cancelled instance.

        The expansion drops excluded instances silently, but an excluded 1:1 is
        exactly what cadence must see.
        """
        exdates = master.get("EXDATE")
        if exdates is None:
            return
        first_raw = _start(master)
        first = self._aware(first_raw)
        duration = self._duration(master)
        cancelled = replace(self._template(master), status=Status.CANCELLED)
        for value in _values(exdates):
            if not isinstance(value, datetime) and isinstance(first_raw, datetime):
                # A date excluding an instance of a timed series means that day's instance.
                value = datetime.combine(value, first_raw.timetz())
            start = self._aware(value).astimezone(first.tzinfo)
            end = start + duration
            if start >= first and self._in_window(start, end):
                self._add(cancelled, start, end, start)

    def _add(
        self, template: Occurrence, start: datetime, end: datetime, recurrence_id: datetime | None
    ) -> None:
        if recurrence_id is not None:
            key = (template.uid, recurrence_id.astimezone(UTC))
            if key in self._seen:
                return
            self._seen.add(key)
        self.occurrences.append(
            replace(template, start=start, end=end, recurrence_id=recurrence_id)
        )

    def _template(self, event: icalendar.Component) -> Occurrence:
        # A series shares one VEVENT across all its instances: read it once.
        known = self._templates.get(id(event))
        if known is None:
            known = self._templates[id(event)] = (event, _read_event(event))
        return known[1]

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

    def _skip(self, uid: str, problem: str, events_per_uid: Counter[str] | None = None) -> None:
        self.skipped += events_per_uid[uid] if events_per_uid else 1
        name = uid if len(uid) <= 60 else uid[:57] + "..."
        self.problems.append(f"event {name or '(no UID)'}: {problem}")


def _placement_problem(event: icalendar.Component, floating_zone: ZoneInfo) -> str | None:
    """Given a VEVENT, return why it cannot be placed in time, or None.

    Also brings its times into comparable zones, in place: Windows TZIDs to their
    IANA zone, floating times to ``floating_zone``.
    """
    if not str(event.get("UID", "")).strip():
        return "has no UID"
    for name, message in event.errors:
        if name in _PLACEMENT_PROPERTIES:
            return f"unreadable {name}: {_short(message)}"
    if _moment_of(event, "DTSTART") is None:
        return "has no DTSTART"
    try:
        place_times(event, _TIME_PROPERTIES, floating_zone)
    except UnknownZoneError as error:
        return str(error)
    return None


def _read_event(event: icalendar.Component) -> Occurrence:
    """Given a VEVENT, return what its occurrences share, placed nowhere yet."""
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


def _short(error: object, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
