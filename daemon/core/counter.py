"""Asking the organizer to move a 1:1 the owner does not organize (pure).

Only an event's organizer can move it: an attendee's change stays in the
attendee's own calendar. So when the owner picks a new time for a 1:1 someone
else organizes (a manager, a peer), cadence writes to the organizer instead.

RFC 5546 has the message for this: METHOD:COUNTER, an attendee's counter-
proposal naming the organizer's event (its UID, and RECURRENCE-ID for one
meeting of a series) at the new time. Outlook and Apple Calendar show it as a
proposal the organizer accepts with one click, and the event moves. Google
Calendar and Gmail do not act on one received by email: Gmail shows at most the
time as text, and Google Calendar's own "propose a new time" exists only
between its users, with no API. So the email always says in words what is
asked, and carries the COUNTER only when the organizer's event is not a Google
one (its UID does not end in ``@google.com``, as every event made in Google
Calendar's does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import icalendar
from cadence.daemon.core.headers import set_addresses
from cadence.daemon.core.messages import (
    PRODID,
    _address,
    _day,
    _head,
    _name,
    _span,
    _token,
    agenda_line,
    clean,
    event_summary,
)
from cadence.daemon.core.model import Occurrence, Owner, Person, Slot

GOOGLE_UIDS = "@google.com"


@dataclass(frozen=True)
class OrganizersEvent:
    """The event as its organizer knows it: the iCalendar UID (Google's ``iCalUID``),
    SEQUENCE when known, and the original start of the meeting (None for a
    single event)."""

    uid: str
    organizer: str
    start: datetime
    end: datetime
    recurrence_id: datetime | None = None
    sequence: int | None = None

    @property
    def honours_counter(self) -> bool:
        """Whether the organizer's calendar acts on a METHOD:COUNTER (not Google's)."""
        return not self.uid.lower().endswith(GOOGLE_UIDS)


def organized_by_owner(occurrence: Occurrence, owner: Owner) -> bool:
    """Whether the owner organizes the occurrence (an event without an organizer is the
    owner's own)."""
    return occurrence.organizer is None or occurrence.organizer.lower() == owner.email.lower()


def counter(
    event: OrganizersEvent, slot: Slot, person: Person, owner: Owner, *, stamp: datetime
) -> bytes:
    """Given the organizer's event and the new time, return the iTIP COUNTER
    (RFC 5546 §3.2.7) the owner, an attendee, sends its organizer."""
    calendar = icalendar.Calendar()
    for key, value in (("prodid", PRODID), ("version", "2.0"), ("method", "COUNTER")):
        calendar.add(key, value)
    vevent = icalendar.Event()
    vevent.add("uid", _token(event.uid))
    if event.recurrence_id is not None:
        vevent.add("recurrence-id", event.recurrence_id.astimezone(UTC))
    if event.sequence:
        vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("dtstart", slot.start.astimezone(UTC))
    vevent.add("dtend", slot.end.astimezone(UTC))
    vevent.add("summary", event_summary(person, owner))
    organizer_name = _name(person) if event.organizer.lower() == person.email.lower() else ""
    vevent.add("organizer", _address(event.organizer, organizer_name or event.organizer))
    vevent.add("attendee", _address(owner.email, _name(owner), PARTSTAT="ACCEPTED"))
    if event.organizer.lower() != person.email.lower():
        vevent.add("attendee", _address(person.email, _name(person)))
    vevent.add("comment", f"{_name(owner)} proposes a new time for this 1:1.")
    calendar.add_component(vevent)
    ics: bytes = calendar.to_ical()
    return ics


def move_request_email(
    event: OrganizersEvent,
    slot: Slot,
    person: Person,
    owner: Owner,
    *,
    sender: str,
    message_id: str,
    agenda_url: str | None,
    stamp: datetime,
) -> EmailMessage:
    """Given the organizer's event and the owner's chosen slot, return the email asking
    the organizer to move it: words for everyone, and a COUNTER for a calendar
    that acts on one. The owner gets a copy and the replies."""
    zone = owner.zone
    was = event.start.astimezone(zone)
    new = slot.start.astimezone(zone)
    when = f"{_day(new)}, {_span(slot, zone)} ({zone.key})"
    owner_name = _name(owner)
    text = [
        f"Hello {_name(person)},",
        "",
        f"{owner_name} asks to move our 1:1 of {_day(was)} at {was:%H:%M} to {when}.",
        "It is your meeting, so only you can move it.",
    ]
    if event.honours_counter:
        text.append("Your calendar shows this as a proposed new time: accept it there.")
    else:
        text.append("If that time works for you, please move the meeting in your calendar.")
    text += ["Or reply to this email with another time.", ""]
    if agenda_url and _token(agenda_url):
        text += [agenda_line(agenda_url), ""]
    text.append(f"-- cadence, for {owner_name}")
    owner_address = (clean(owner.name), _token(owner.email))

    message = EmailMessage()
    _head(
        message, sender, f"New time proposed: {event_summary(person, owner)} @ {when}", message_id
    )
    set_addresses(message, "To", [("", _token(event.organizer))])
    set_addresses(message, "Cc", [owner_address])
    set_addresses(message, "Reply-To", [owner_address])
    message["Date"] = format_datetime(stamp.astimezone(zone))
    message.set_content("\n".join(text) + "\n")
    if event.honours_counter:
        ics = counter(event, slot, person, owner, stamp=stamp)
        params = {"method": "COUNTER", "charset": "UTF-8"}
        message.add_alternative(ics, maintype="text", subtype="calendar", params=params)
        for part in message.walk():
            if part is not message:
                del part["MIME-Version"]
    return message
