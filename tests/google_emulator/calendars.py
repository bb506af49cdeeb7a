"""Calendars and their events, stored the way Google Calendar stores them.

Google keeps three kinds of event on a calendar: single events, recurring
masters (with ``recurrence``) and exceptions (one instance of a series that was
moved, changed or cancelled; it has ``recurringEventId`` and
``originalStartTime`` and replaces the instance the master would generate).
The emulator stores exactly those; every other instance is generated from its
master on demand, under the id Google gives it, with an etag derived from the
master's so that a change to the master changes every instance.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import recurrence
from .clock import derived_etag
from .times import EventTime, utc_millis, zone

# Event fields a client writes, in the order Google returns them.
WRITABLE = (
    "summary",
    "description",
    "location",
    "colorId",
    "start",
    "end",
    "endTimeUnspecified",
    "recurrence",
    "transparency",
    "visibility",
    "attendees",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "anyoneCanAddSelf",
    "extendedProperties",
    "attachments",
    "reminders",
    "source",
    "status",
    "eventType",
    "outOfOfficeProperties",
    "focusTimeProperties",
    "workingLocationProperties",
    "birthdayProperties",
)

# What Google puts under each event type's own key (the rest of the event is as usual).
TYPE_PROPERTIES = {
    "outOfOffice": "outOfOfficeProperties",
    "focusTime": "focusTimeProperties",
    "workingLocation": "workingLocationProperties",
    "birthday": "birthdayProperties",
}
EVENT_TYPES = ("default", *TYPE_PROPERTIES, "fromGmail")


@dataclass
class StoredEvent:
    """A single event, a recurring master, an exception, or a generated instance."""

    id: str
    data: dict[str, Any]
    created: datetime
    updated: datetime
    etag: str
    changed: int
    creator: str
    organizer: str
    ical_uid: str
    sequence: int = 0
    recurring_event_id: str | None = None
    original_start: EventTime | None = None

    @property
    def cancelled(self) -> bool:
        return self.data.get("status") == "cancelled"

    @property
    def recurrence(self) -> list[str]:
        return list(self.data.get("recurrence") or [])

    @property
    def is_master(self) -> bool:
        return bool(self.recurrence) and self.recurring_event_id is None

    def start(self) -> EventTime:
        return EventTime.parse(self.data["start"], "start")

    def end(self) -> EventTime:
        return EventTime.parse(self.data["end"], "end")

    def private_properties(self) -> dict[str, str]:
        props = (self.data.get("extendedProperties") or {}).get("private") or {}
        return dict(props)


@dataclass
class Calendar:
    """A calendar: a user's primary one (its id is the user's email), a secondary one
    the user owns (``secondary``; its id is Google's ``...@group.calendar.google.com``),
    or a room's (``resource``).

    ``aliases`` are other addresses of the owner (a primary calendar only): Google
    marks entries naming any of them, or the calendar itself, with ``self: true``.
    """

    id: str
    owner: str
    timezone: str = "UTC"
    hidden: bool = False
    sync_epoch: int = 0
    events: dict[str, StoredEvent] = field(default_factory=dict)
    summary: str = ""
    aliases: tuple[str, ...] = ()
    secondary: bool = False
    resource: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone) or ZoneInfo("UTC")

    def is_self(self, email: str) -> bool:
        """Whether ``email`` names this calendar (the owner, an alias, its own id)."""
        mine = {self.id.lower()}
        if not self.secondary:
            mine |= {self.owner.lower(), *(a.lower() for a in self.aliases)}
        return email.lower() in mine

    def span(self, event: StoredEvent) -> tuple[datetime, datetime]:
        """When ``event`` happens (a cancelled instance stands at the time it had)."""
        return event.start().start_instant(self.tz), event.end().start_instant(self.tz)

    def exceptions_of(self, master_id: str) -> list[StoredEvent]:
        return [e for e in self.events.values() if e.recurring_event_id == master_id]

    def find(self, event_id: str) -> StoredEvent | None:
        """The stored event with this id, or the instance a master generates under it."""
        stored = self.events.get(event_id)
        if stored is not None:
            return stored
        master_id, _, stamp = event_id.rpartition("_")
        master = self.events.get(master_id)
        if master is None or not master.is_master:
            return None
        original = _parse_stamp(stamp, master.start())
        if original is None or not recurrence.is_occurrence(
            master.start(), master.end(), master.recurrence, original, self.tz
        ):
            return None
        return self.instance(master, original)

    def instance(self, master: StoredEvent, original: EventTime) -> StoredEvent:
        """The instance of ``master`` starting at ``original``, as generated (not stored)."""
        data = {k: v for k, v in master.data.items() if k != "recurrence"}
        end = recurrence.shifted_end(master.start(), master.end(), original)
        data["start"] = original.to_json(UTC)
        data["end"] = end.to_json(UTC)
        instance_id = f"{master.id}_{original.stamp()}"
        return replace(
            master,
            id=instance_id,
            data=data,
            etag=derived_etag(master.etag, instance_id),
            recurring_event_id=master.id,
            original_start=original,
        )

    def expand(self, master: StoredEvent, lo: datetime, hi: datetime) -> list[StoredEvent]:
        """The series' instances overlapping ``[lo, hi)``; exceptions replace generated ones."""
        exceptions = {e.id: e for e in self.exceptions_of(master.id)}
        found: dict[str, StoredEvent] = {}
        starts = recurrence.occurrences(
            master.start(), master.end(), master.recurrence, lo, hi, self.tz
        )
        for original in starts:
            instance = self.instance(master, original)
            if instance.id not in exceptions:
                found[instance.id] = instance
        for exception in exceptions.values():
            if self._exception_overlaps(master, exception, lo, hi):
                found[exception.id] = exception
        return sorted(found.values(), key=lambda e: (self.span(e)[0], e.id))

    def _exception_overlaps(
        self, master: StoredEvent, exception: StoredEvent, lo: datetime, hi: datetime
    ) -> bool:
        """Whether an exception falls in ``[lo, hi)``: a live one where it now is, a
        cancelled one where its instance was (the occurrence it cancels)."""
        placed = exception
        if exception.cancelled and exception.original_start is not None:
            placed = self.instance(master, exception.original_start)
        begin, end = self.span(placed)
        return begin < hi and end > lo

    def items(
        self, *, single_events: bool, lo: datetime, hi: datetime | None, horizon: datetime
    ) -> list[StoredEvent]:
        """Everything events.list could return for ``[lo, hi)``, cancelled items included.

        Without ``hi`` single events are unbounded and series expand up to ``horizon``.
        """
        found: list[StoredEvent] = []
        for event in self.events.values():
            if event.recurring_event_id is not None and event.recurring_event_id in self.events:
                continue  # an exception: it comes with its master
            if not event.is_master:
                begin, end = self.span(event)
                if (hi is None or begin < hi) and end > lo:
                    found.append(event)
            elif single_events:
                found.extend(self.expand(event, lo, hi or horizon))
            else:
                found.extend(self._master_and_exceptions(event, lo, hi or horizon))
        return found

    def _master_and_exceptions(
        self, master: StoredEvent, lo: datetime, hi: datetime
    ) -> Iterable[StoredEvent]:
        starts = recurrence.occurrences(
            master.start(), master.end(), master.recurrence, lo, hi, self.tz
        )
        if starts:
            yield master
        for exception in self.exceptions_of(master.id):
            if self._exception_overlaps(master, exception, lo, hi):
                yield exception


def render(
    event: StoredEvent, calendar: Calendar, out_tz: ZoneInfo, *, brief: bool
) -> dict[str, Any]:
    """The Event resource as Google returns it to the calendar's owner.

    With ``brief``, a cancelled item is reduced to what Google guarantees in lists
    and incremental sync: id and status, plus recurringEventId and
    originalStartTime for a cancelled instance.
    """
    body: dict[str, Any] = {"kind": "calendar#event", "etag": event.etag, "id": event.id}
    if brief and event.cancelled:
        body["status"] = "cancelled"
        _add_instance_fields(body, event, out_tz)
        return body
    data = event.data
    body["status"] = data.get("status", "confirmed")
    body["htmlLink"] = html_link(event.id, calendar.id)
    body["created"] = utc_millis(event.created)
    body["updated"] = utc_millis(event.updated)
    for key in ("summary", "description", "location", "colorId"):
        if key in data:
            body[key] = data[key]
    body["creator"] = _person(event.creator, calendar)
    body["organizer"] = _person(event.organizer, calendar)
    body["start"] = event.start().to_json(out_tz)
    body["end"] = event.end().to_json(out_tz)
    if data.get("endTimeUnspecified"):
        body["endTimeUnspecified"] = True
    if event.is_master:
        body["recurrence"] = list(data["recurrence"])
    _add_instance_fields(body, event, out_tz)
    for key in ("transparency", "visibility"):
        if key in data:
            body[key] = data[key]
    body["iCalUID"] = event.ical_uid
    body["sequence"] = event.sequence
    if data.get("attendees"):
        body["attendees"] = [_attendee(a, event.organizer, calendar) for a in data["attendees"]]
    for key in (
        "guestsCanInviteOthers",
        "guestsCanModify",
        "guestsCanSeeOtherGuests",
        "anyoneCanAddSelf",
        "extendedProperties",
    ):
        if key in data:
            body[key] = data[key]
    body["reminders"] = data.get("reminders", {"useDefault": True})
    for key in ("source", "attachments"):
        if data.get(key):
            body[key] = data[key]
    kind = data.get("eventType", "default")
    body["eventType"] = kind
    if kind in TYPE_PROPERTIES:
        body[TYPE_PROPERTIES[kind]] = data.get(TYPE_PROPERTIES[kind]) or {}
    return body


def html_link(event_id: str, calendar_id: str) -> str:
    """Google's link to the event in the web UI: eid is base64 of "<id> <calendarId>"."""
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _add_instance_fields(body: dict[str, Any], event: StoredEvent, out_tz: ZoneInfo) -> None:
    if event.recurring_event_id is not None and event.original_start is not None:
        body["recurringEventId"] = event.recurring_event_id
        body["originalStartTime"] = event.original_start.to_json(out_tz)


def _person(email: str, calendar: Calendar) -> dict[str, Any]:
    person: dict[str, Any] = {"email": email}
    if calendar.secondary and email.lower() == calendar.id.lower() and calendar.summary:
        person["displayName"] = calendar.summary
    if calendar.is_self(email):
        person["self"] = True
    return person


def _attendee(raw: dict[str, Any], organizer: str, calendar: Calendar) -> dict[str, Any]:
    attendee = dict(raw)
    email = str(raw["email"]).lower()
    if email == organizer.lower():
        attendee["organizer"] = True
    if calendar.is_self(email):
        attendee["self"] = True
    return attendee


def _parse_stamp(stamp: str, master_start: EventTime) -> EventTime | None:
    try:
        if len(stamp) == 8 and master_start.all_day:
            return EventTime(day=date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])))
        if len(stamp) == 16 and not master_start.all_day:
            instant = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return EventTime(instant=instant, tz=master_start.tz)
    except ValueError:
        return None
    return None
