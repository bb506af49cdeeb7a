"""Writing events: insert, patch, update, delete and the changes people make.

Mirrors Google Calendar's rules: patch keeps what the body does not mention and
replaces arrays whole; an instance id given to patch/update/delete creates or
changes that instance's exception; deleting a master cancels the whole series;
deleting what is already deleted is 410 ``deleted``; changing a master's
recurrence (for example adding UNTIL) cancels the exceptions it no longer
generates. Every write gets a new etag and ``updated`` and a change number that
incremental sync orders by.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from . import recurrence
from .calendars import EVENT_TYPES, WRITABLE, Calendar, StoredEvent
from .clock import Clock
from .errors import ApiError, invalid, not_found, required
from .times import EventTime

_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_DRIVE_FILE = re.compile(r"/d/([A-Za-z0-9_-]+)")
_ATTENDEE_KEYS = (
    "email",
    "displayName",
    "optional",
    "resource",
    "responseStatus",
    "comment",
    "additionalGuests",
)
_ATTACHMENT_KEYS = ("fileUrl", "title", "mimeType", "iconLink", "fileId")
_MAX_ATTACHMENTS = 25
_MAX_PROPERTY_KEY = 44
_MAX_PROPERTY_VALUE = 1024
_RESPONSES = {"needsAction", "declined", "tentative", "accepted"}
# Event types a client may create through the API (birthdays and Gmail's events come
# from Google itself); the ones that never block time are transparent.
_API_TYPES = ("default", "outOfOffice", "focusTime", "workingLocation")
_FREE_TYPES = ("workingLocation", "birthday")


def insert(
    calendar: Calendar,
    clock: Clock,
    body: dict[str, Any],
    *,
    creator: str,
    attachments: bool,
    organizer: str | None = None,
    any_type: bool = False,
) -> StoredEvent:
    """Create an event from an events.insert body (an ``id`` in it is the client's choice).

    The organizer is the calendar itself (its owner's address, or a secondary
    calendar's id) unless ``organizer`` says otherwise (an invitation from outside).
    ``any_type`` allows the event types only Google makes (birthday, fromGmail).
    """
    data = _writable(body, attachments=attachments)
    data.setdefault("status", "confirmed")
    _event_type(data, any_type=any_type)
    _check(data)
    event_id = body.get("id")
    if event_id is None:
        event_id = clock.event_id()
    elif not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
        raise invalid("Invalid resource id value.")
    elif calendar.find(event_id) is not None:
        # Ids of deleted events stay taken: Google still answers 409.
        raise ApiError(409, "duplicate")
    now = clock.now()
    event = StoredEvent(
        id=event_id,
        data=data,
        created=now,
        updated=now,
        etag=clock.etag(),
        changed=clock.change(),
        creator=creator,
        organizer=organizer or calendar.id,
        ical_uid=str(body.get("iCalUID") or f"{event_id}@google.com"),
    )
    calendar.events[event_id] = event
    return event


def _event_type(data: dict[str, Any], *, any_type: bool) -> None:
    kind = data.setdefault("eventType", "default")
    if kind not in (EVENT_TYPES if any_type else _API_TYPES):
        if kind == "fromGmail":
            raise invalid("Event type cannot be fromGmail.")
        raise invalid(f"Invalid value for: {kind} is not a valid value")
    if kind in _FREE_TYPES:
        data.setdefault("transparency", "transparent")
    if kind == "workingLocation":
        data.setdefault("visibility", "public")
    if kind in ("outOfOffice", "focusTime", "workingLocation") and data.get("attendees"):
        raise invalid(f"An event of type {kind} cannot have attendees.")


def modify(
    calendar: Calendar,
    clock: Clock,
    event_id: str,
    body: dict[str, Any],
    *,
    whole: bool,
    attachments: bool,
    if_match: str | None = None,
) -> StoredEvent:
    """events.patch (``whole=False``) or events.update (``whole=True``) of any event id."""
    event = _target(calendar, event_id, if_match)
    before = event.data
    changes = _writable(body, attachments=attachments)
    if whole:
        data = changes
        data.setdefault("status", before.get("status", "confirmed"))
        if not attachments and "attachments" in before:
            data["attachments"] = copy.deepcopy(before["attachments"])
    else:
        data = _merge(before, changes)
    data["eventType"] = before.get("eventType", "default")  # fixed once created
    if event.recurring_event_id is not None:
        data.pop("recurrence", None)  # an instance cannot recur on its own
    _check(data)
    event = _stored(calendar, clock, event)  # only now: a refused write leaves no trace
    event.data = data
    if (before.get("start"), before.get("end")) != (data.get("start"), data.get("end")):
        event.sequence += 1
    _touch(event, clock)
    if event.is_master or before.get("recurrence"):
        _drop_lost_exceptions(calendar, clock, event)
    return event


def delete(
    calendar: Calendar, clock: Clock, event_id: str, if_match: str | None = None
) -> StoredEvent:
    """events.delete: an instance becomes a cancelled exception, a master cancels its series."""
    event = _target(calendar, event_id, if_match)
    if event.cancelled:
        raise ApiError(410, "deleted")
    event = _stored(calendar, clock, event)
    event.data["status"] = "cancelled"
    _touch(event, clock)
    if event.is_master:
        for exception in calendar.exceptions_of(event.id):
            if not exception.cancelled:
                exception.data["status"] = "cancelled"
                _touch(exception, clock)
    return event


def move_instance(
    calendar: Calendar,
    clock: Clock,
    master_id: str,
    original_start: datetime,
    new_start: datetime,
    new_end: datetime,
) -> StoredEvent:
    """Move one instance (as the owner would in the web UI): its exception gets new times."""
    event = instance_at(calendar, clock, master_id, original_start)
    tz = event.start().tz
    event.data["start"] = EventTime(instant=new_start.astimezone(UTC), tz=tz).to_json(UTC)
    event.data["end"] = EventTime(instant=new_end.astimezone(UTC), tz=tz).to_json(UTC)
    _check(event.data)
    event.sequence += 1
    _touch(event, clock)
    return event


def respond(
    calendar: Calendar,
    clock: Clock,
    event_id: str,
    attendee: str,
    status: str,
    instance_start: datetime | None = None,
) -> StoredEvent:
    """An attendee answers the invitation, for one instance or for the whole event."""
    if status not in _RESPONSES:
        raise ValueError(f"unknown response status {status!r}")
    if instance_start is not None:
        targets = [instance_at(calendar, clock, event_id, instance_start)]
    else:
        event = calendar.events.get(event_id)
        if event is None:
            raise KeyError(f"no event {event_id!r} on {calendar.id}")
        live = [e for e in calendar.exceptions_of(event.id) if not e.cancelled]
        targets = [event, *live]
    for number, target in enumerate(targets):
        attendees = target.data.get("attendees") or []
        matching = [a for a in attendees if str(a["email"]).lower() == attendee.lower()]
        if matching:
            matching[0]["responseStatus"] = status
            _touch(target, clock)
        elif number == 0:
            raise KeyError(f"{attendee} is not an attendee of {target.id}")
    return targets[0]


def instance_at(
    calendar: Calendar, clock: Clock, master_id: str, original_start: datetime
) -> StoredEvent:
    """The stored exception for the instance of ``master_id`` at ``original_start``."""
    master = calendar.events.get(master_id)
    if master is None or not master.is_master:
        raise KeyError(f"no recurring event {master_id!r} on {calendar.id}")
    if master.start().all_day:
        original = EventTime(day=original_start.date(), tz=master.start().tz)
    else:
        original = EventTime(instant=original_start.astimezone(UTC), tz=master.start().tz)
    event = calendar.find(f"{master_id}_{original.stamp()}")
    if event is None:
        raise KeyError(f"{original_start} is not an instance of {master_id}")
    return _stored(calendar, clock, event)


def _target(calendar: Calendar, event_id: str, if_match: str | None) -> StoredEvent:
    """The event (perhaps a generated instance) a write names, after checking If-Match."""
    event = calendar.find(event_id)
    if event is None:
        raise not_found()
    if if_match is not None and if_match not in ("*", event.etag):
        raise ApiError(412, "conditionNotMet")
    return event


def _stored(calendar: Calendar, clock: Clock, event: StoredEvent) -> StoredEvent:
    """``event`` itself, or (for a generated instance) a new exception standing in for it."""
    if event.id in calendar.events:
        return event
    event.data = copy.deepcopy(event.data)
    event.etag = clock.etag()
    calendar.events[event.id] = event
    return event


def _touch(event: StoredEvent, clock: Clock) -> None:
    event.updated = clock.now()
    event.etag = clock.etag()
    event.changed = clock.change()


def _drop_lost_exceptions(calendar: Calendar, clock: Clock, master: StoredEvent) -> None:
    """Cancel the exceptions whose instance the master's new rule no longer generates."""
    for exception in calendar.exceptions_of(master.id):
        if exception.cancelled or exception.original_start is None:
            continue
        still = master.is_master and recurrence.is_occurrence(
            master.start(), master.end(), master.recurrence, exception.original_start, calendar.tz
        )
        if not still:
            exception.data["status"] = "cancelled"
            _touch(exception, clock)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge key by key, arrays and scalars replace, null removes."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif key in ("start", "end"):
            merged[key] = value  # a day and an instant exclude each other: replace whole
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _writable(body: dict[str, Any], *, attachments: bool) -> dict[str, Any]:
    """The fields of ``body`` a client may write, cleaned up as Google cleans them."""
    data = {k: copy.deepcopy(body[k]) for k in WRITABLE if k in body}
    if "attachments" in data and not attachments:
        # Without supportsAttachments=true Google ignores attachments in the body.
        del data["attachments"]
    if data.get("attendees") is not None:
        data["attendees"] = [_attendee(a) for a in data["attendees"]]
    if data.get("attachments") is not None:
        data["attachments"] = _attachments(data["attachments"])
    if isinstance(data.get("extendedProperties"), dict):
        data["extendedProperties"] = _properties(data["extendedProperties"])
    return data


def _attendee(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw.get("email"):
        raise required("Missing attendee email.")
    attendee = {k: raw[k] for k in _ATTENDEE_KEYS if k in raw}
    attendee.setdefault("responseStatus", "needsAction")
    return attendee


def _attachments(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > _MAX_ATTACHMENTS:
        raise invalid("Too many attachments. An event can have at most 25 attachments.")
    cleaned = []
    for item in raw:
        if not isinstance(item, dict) or not item.get("fileUrl"):
            raise required("Missing attachment file URL.")
        attachment = {k: item[k] for k in _ATTACHMENT_KEYS if k in item}
        drive_file = _DRIVE_FILE.search(str(item["fileUrl"]))
        if drive_file:
            # For Drive files Google derives fileId and mimeType itself (output-only).
            attachment["fileId"] = drive_file.group(1)
            if "docs.google.com/document/" in str(item["fileUrl"]):
                attachment["mimeType"] = "application/vnd.google-apps.document"
        cleaned.append(attachment)
    return cleaned


def _properties(raw: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for scope in ("private", "shared"):
        values = raw.get(scope)
        if isinstance(values, dict):
            cleaned[scope] = {
                str(k): str(v)[:_MAX_PROPERTY_VALUE]
                for k, v in values.items()
                if len(str(k)) <= _MAX_PROPERTY_KEY and v is not None
            }
    return cleaned


def _check(data: dict[str, Any]) -> None:
    """Raise the 400 Google answers for an event it will not store."""
    start = EventTime.parse(data.get("start"), "start")
    end = EventTime.parse(data.get("end"), "end")
    if start.all_day != end.all_day:
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if _empty(start, end):
        raise ApiError(400, "timeRangeEmpty")
    if data.get("status") not in ("confirmed", "tentative", "cancelled"):
        raise invalid("Invalid value for: status")
    if data.get("recurrence"):
        data["recurrence"] = recurrence.check(data["recurrence"])
        if not start.all_day and not start.tz:
            raise invalid("Missing time zone definition for start time.")
        if not end.all_day and not end.tz:
            raise invalid("Missing time zone definition for end time.")


def _empty(start: EventTime, end: EventTime) -> bool:
    if start.day is not None and end.day is not None:
        return end.day <= start.day
    assert start.instant is not None and end.instant is not None
    return end.instant <= start.instant
