"""Invitations: the copy of an event on each attendee's calendar, as Google keeps them.

An event lives on its organizer's calendar; every attendee with a calendar here
(a user, by address or alias, or a room) gets a copy under the same id. The
organizer's writes reach every copy (a new attendee gets one, a removed one
sees it cancelled); the organizer's private extended properties stay on the
organizer's calendar. An attendee's own write to their copy changes that copy
alone: the organizer's event, and so everyone else's, stays as it was. A
room accepts at once.
"""

from __future__ import annotations

import copy
from typing import Any

from .calendars import Calendar, StoredEvent
from .clock import Clock
from .state import State


def calendar_for(state: State, email: str) -> Calendar | None:
    """The calendar an invitation to ``email`` lands in: the primary calendar of the
    user with that address (or alias), or a room's calendar; None for outsiders."""
    user = state.user(email)
    if user is not None:
        return state.calendars.get(user.lower())
    found = state.calendars.get(email.lower())
    return found if found is not None and found.resource else None


def home_of(state: State, calendar: Calendar, event_id: str) -> Calendar:
    """The organizer's calendar of the event ``calendar`` holds under ``event_id`` when
    the organizer's calendar is here, else ``calendar`` itself."""
    event = calendar.events.get(event_id)
    if event is None or calendar.is_self(event.organizer):
        return calendar
    home = state.calendars.get(event.organizer.lower())
    if home is None or event_id not in home.events:
        return calendar
    return home


def propagate(state: State, calendar: Calendar, event: StoredEvent) -> None:
    """After a write to ``event`` on ``calendar``: when that is the organizer's calendar,
    bring every attendee's copy (of the event and, for a series, its exceptions) up
    to date. A write to an attendee's own copy goes nowhere."""
    if not calendar.is_self(event.organizer):
        return
    events = [event]
    if event.is_master:
        events += calendar.exceptions_of(event.id)
    for each in events:
        _sync(state, calendar, each)


def _sync(state: State, calendar: Calendar, event: StoredEvent) -> None:
    attendees: list[dict[str, Any]] = event.data.get("attendees") or []
    invited: dict[str, Calendar] = {}
    for attendee in attendees:
        target = calendar_for(state, str(attendee["email"]))
        if target is None or target is calendar:
            continue
        if target.resource:
            attendee["resource"] = True
            if attendee.get("responseStatus", "needsAction") == "needsAction":
                attendee["responseStatus"] = "accepted"  # a free room says yes at once
        invited[target.id.lower()] = target
    for other in state.calendars.values():
        held = other.events.get(event.id)
        if other is calendar or held is None or other.id.lower() in invited:
            continue
        if held.organizer.lower() == event.organizer.lower() and not held.cancelled:
            held.data["status"] = "cancelled"  # uninvited: gone from their calendar
            _touch(held, state.clock)
    for target in invited.values():
        _copy(state.clock, target, event)


def _copy(clock: Clock, target: Calendar, event: StoredEvent) -> None:
    held = target.events.get(event.id)
    if held is not None and held.organizer.lower() != event.organizer.lower():
        return  # an unrelated event of theirs has that id
    data = copy.deepcopy(event.data)
    properties = data.pop("extendedProperties", None) or {}
    properties.pop("private", None)
    own = held.private_properties() if held is not None else {}
    if own:
        properties["private"] = own
    if properties:
        data["extendedProperties"] = properties
    if held is None:
        now = clock.now()
        target.events[event.id] = StoredEvent(
            id=event.id,
            data=data,
            created=now,
            updated=now,
            etag=clock.etag(),
            changed=clock.change(),
            creator=event.creator,
            organizer=event.organizer,
            ical_uid=event.ical_uid,
            sequence=event.sequence,
            recurring_event_id=event.recurring_event_id,
            original_start=event.original_start,
        )
    elif held.data != data or held.sequence != event.sequence:
        held.data = data
        held.sequence = event.sequence
        _touch(held, clock)


def _touch(event: StoredEvent, clock: Clock) -> None:
    event.updated = clock.now()
    event.etag = clock.etag()
    event.changed = clock.change()
