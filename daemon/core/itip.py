"""Invitations cadence sends for a booking: iTIP (RFC 5546) in iMIP emails (RFC 6047).

Who is who (DESIGN rule 8). An iMIP REQUEST sent to its own ORGANIZER is no
invitation: Outlook answers "meeting cannot be found in the calendar", Gmail
adds no copy it was only Cc'd on. So when cadence has an address of its own
(the inbox replies reach), that address is the ORGANIZER, named for the owner
("Olivia Owner (via cadence)"), and both the person and the owner are
ATTENDEEs with RSVP=TRUE, each sent the REQUEST in an email of their own: the
person's client shows accept/decline, the owner's puts it into her calendar
with one press, and both clients send their answers to the organizer, that
is to the inbox cadence reads. The email comes From that same address (an
update or cancellation from anyone but the organizer is ignored by careful
clients), with Sender naming the mailbox that actually sent it when that
differs, and Reply-To the owner on the person's copy, so a plain reply
reaches her.

When cadence has no address but the owner's, the owner is the ORGANIZER (and
attends, ACCEPTED); the person gets the REQUEST, and the owner, instead of a
REQUEST to herself, a PUBLISH of the same event: a copy her calendar adds as
it is. Updates keep the UID with SEQUENCE + 1; a withdrawn booking (or one
meeting of a series) is a CANCEL from the same organizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import icalendar
from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.dates import DAY_NAMES
from cadence.daemon.core.headers import mailbox, set_addresses
from cadence.daemon.core.messages import (
    PRODID,
    _address,
    _day,
    _span,
    _token,
    _zone,
    agenda_line,
    clean,
)
from cadence.daemon.core.model import Owner, Partstat, Slot
from cadence.daemon.core.vtimezone import vtimezone

__all__ = [
    "Method",
    "Role",
    "booking_calendar",
    "booking_email",
    "organizer_name",
    "rrule_text",
    "when_text",
]

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


class Method(StrEnum):
    REQUEST = "REQUEST"
    PUBLISH = "PUBLISH"
    CANCEL = "CANCEL"


class Role(StrEnum):
    """Whose copy an email is."""

    PERSON = "person"
    OWNER = "owner"


def owner_organizes(booking: Booking, owner: Owner) -> bool:
    """Whether the booking names the owner herself as ORGANIZER (cadence has no
    address of its own): her copy is then a PUBLISH, not a REQUEST."""
    return booking.organizer.strip().lower() == owner.email.strip().lower()


def organizer_name(booking: Booking, owner: Owner) -> str:
    """The ORGANIZER's name: the owner's, "(via cadence)" when cadence's address acts."""
    name = clean(owner.name) or _token(owner.email)
    return name if owner_organizes(booking, owner) else f"{name} (via cadence)"


def owner_method(booking: Booking, owner: Owner) -> Method:
    """What the owner's copy of an invitation or update is: a REQUEST she can accept
    into her calendar, or (when she is the organizer) a PUBLISH her calendar adds."""
    return Method.PUBLISH if owner_organizes(booking, owner) else Method.REQUEST


def summary(booking: Booking, owner: Owner) -> str:
    """The title of the booked meeting, as every 1:1 event cadence writes is titled."""
    person = clean(booking.person_name) or _token(booking.person)
    return f"1:1 {person} / {clean(owner.name) or _token(owner.email)}"


def _rule(booking: Booking) -> dict[str, object]:
    rule: dict[str, object] = {}
    for part in (booking.recurrence or "").split(";"):
        key, _, value = part.partition("=")
        if key and value and key.upper() not in ("UNTIL", "COUNT"):
            rule[key.upper()] = value
    if booking.ends is not None:
        # Every meeting before the cut, none from it (UTC form: DTSTART has a TZID).
        rule["UNTIL"] = booking.ends.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=1)
    return rule


def rrule_text(booking: Booking) -> str | None:
    """The RRULE of a recurring booking as sent (with its UNTIL once ended), else None."""
    if not booking.recurring:
        return None
    text: str = icalendar.vRecur(_rule(booking)).to_ical().decode()  # type: ignore[no-untyped-call]
    return text


def _series_words(booking: Booking, zone: ZoneInfo) -> str:
    """Given a recurring booking, return how it repeats: "every week on Tuesday",
    "every month on the second Tuesday"."""
    rule = _rule(booking)
    start = booking.start.astimezone(zone)
    count = int(str(rule.get("INTERVAL", 1)))
    day = DAY_NAMES[start.weekday()]
    if str(rule.get("FREQ")) == "WEEKLY":
        return f"every week on {day}" if count == 1 else f"every {count} weeks on {day}"
    byday = str(rule.get("BYDAY", ""))
    nth = int(byday[:-2]) if byday[:-2].lstrip("-").isdigit() else 1
    which = f"the {_ORDINALS.get(nth, f'{nth}th')} {day}"
    return f"every month on {which}" if count == 1 else f"every {count} months on {which}"


def when_text(booking: Booking, zone: ZoneInfo) -> str:
    """When the booked meeting is, in ``zone``: "Wed 25 Nov 2026, 10:00–10:30", or for
    a recurring booking "every week on Tuesday, 10:00–10:30, from Tue 01 Dec 2026"."""
    start = booking.start.astimezone(zone)
    span = _span(Slot(booking.start, booking.end), zone)
    if not booking.recurring:
        return f"{_day(start)}, {span}"
    text = f"{_series_words(booking, zone)}, {span}, from {_day(start)}"
    if booking.ends is not None:
        held = booking.starts(booking.ends)
        if held:
            text += f", last on {_day(held[-1].astimezone(zone))}"
    return text


def _attendee(email: str, name: str, partstat: Partstat, *, rsvp: bool) -> icalendar.vCalAddress:
    params = {
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": partstat.value.upper(),
    }
    if rsvp:
        params["RSVP"] = "TRUE"
    return _address(email, name, **params)


def booking_calendar(
    booking: Booking,
    owner: Owner,
    *,
    method: Method,
    stamp: datetime,
    agenda_url: str | None,
    instance: datetime | None = None,
) -> bytes:
    """Given a booking, return the iTIP object ``method`` makes of it: the REQUEST an
    attendee answers, the PUBLISH the owner's calendar adds (she organizes it), or the
    CANCEL of the booking (of one meeting of it with ``instance``, its original
    start). ``agenda_url`` must be a link the person can open (DESIGN rule 13)."""
    zone = ZoneInfo(booking.zone)
    calendar = icalendar.Calendar()
    for key, value in (("prodid", PRODID), ("version", "2.0"), ("calscale", "GREGORIAN")):
        calendar.add(key, value)
    calendar.add("method", method.value)
    event = icalendar.Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    if booking.recurring:
        # A series follows the owner's wall clock across DST: written in her TZID,
        # with a VTIMEZONE of yearly rules that Outlook reads too.
        calendar.add_component(vtimezone(booking.zone, booking.start))
        event.add("dtstart", booking.start.astimezone(zone))
        event.add("dtend", booking.end.astimezone(zone))
        if instance is None:
            event.add("rrule", _rule(booking))
        else:
            event.add("recurrence-id", instance.astimezone(zone))
    else:
        event.add("dtstart", booking.start.astimezone(UTC))
        event.add("dtend", booking.end.astimezone(UTC))
    if instance is not None and booking.recurring:
        event["DTSTART"] = icalendar.vDDDTypes(instance.astimezone(zone))
        event["DTSTART"].params["TZID"] = booking.zone
        event["DTEND"] = icalendar.vDDDTypes((instance + booking.duration).astimezone(zone))
        event["DTEND"].params["TZID"] = booking.zone
    event.add("summary", summary(booking, owner))
    event.add("organizer", _address(booking.organizer, organizer_name(booking, owner)))
    if method is not Method.PUBLISH:
        # PUBLISH carries no attendees (RFC 5546 §3.2.1): the owner's own copy.
        person = clean(booking.person_name) or _token(booking.person)
        event.add("attendee", _attendee(booking.person, person, booking.person_partstat, rsvp=True))
        if owner_organizes(booking, owner):
            mine = _attendee(owner.email, clean(owner.name), Partstat.ACCEPTED, rsvp=False)
        else:
            mine = _attendee(owner.email, clean(owner.name), booking.owner_partstat, rsvp=True)
        event.add("attendee", mine)
    event.add("x-cadence-person", _token(booking.person))
    link = _token(agenda_url or "")
    if link:
        event.add("url", link)
        event.add("attach", link)
    event.add("description", _description(booking, owner, link))
    event.add("status", "CANCELLED" if method is Method.CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics


def _description(booking: Booking, owner: Owner, link: str) -> str:
    person = clean(booking.person_name) or _token(booking.person)
    parts = [f"1:1 between {person} and {clean(owner.name) or _token(owner.email)}."]
    if booking.recurring:
        parts.append(f"{_series_words(booking, ZoneInfo(booking.zone)).capitalize()}.")
    if link:
        parts.append(agenda_line(link))
    return "\n\n".join(parts)


def _subject(method: Method, role: Role, title: str, when: str, *, update: bool) -> str:
    if method is Method.CANCEL:
        return f"Cancelled: {title} @ {when}"
    if update:
        return f"Updated invitation: {title} @ {when}"
    if role is Role.OWNER and method is Method.PUBLISH:
        return f"For your calendar: {title} @ {when}"
    return f"Invitation: {title} @ {when}"


def booking_email(
    booking: Booking,
    owner: Owner,
    *,
    role: Role,
    method: Method,
    sender: str,
    message_id: str,
    agenda_url: str | None,
    stamp: datetime,
    lines: Sequence[str] = (),
    person_zone: str | None = None,
    instance: datetime | None = None,
) -> EmailMessage:
    """Given a booking and whose copy it is, return the iMIP email (RFC 6047) carrying
    ``method`` for it: From the ORGANIZER (``sender``, the mailbox that sends it, as
    Sender when that differs), to the person or to the owner. ``lines`` say in words
    what the calendar part says (why it was cancelled, what changed)."""
    ics = booking_calendar(
        booking, owner, method=method, stamp=stamp, agenda_url=agenda_url, instance=instance
    )
    zone = owner.zone
    title = summary(booking, owner)
    shown = booking if instance is None else _one(booking, instance)
    when = when_text(shown, zone)
    update = method is not Method.CANCEL and booking.sequence > 0
    text = [title, f"When: {when} ({zone.key})"]
    theirs = _zone(person_zone) if role is Role.PERSON else None
    if theirs is not None and theirs.key != zone.key:
        text.append(f"      {when_text(shown, theirs)} ({theirs.key})")
    link = _token(agenda_url or "")
    if link:
        text.append(agenda_line(link))
    text += ["", *(clean(line) for line in lines if clean(line))]
    text.append(_closing(method, role, booking, owner))

    message = EmailMessage()
    organizer = (organizer_name(booking, owner), _token(booking.organizer))
    set_addresses(message, "From", [organizer])
    sending = mailbox(clean(sender))
    if sending[1].lower() != organizer[1].lower():
        set_addresses(message, "Sender", [sending])
    message["Subject"] = _subject(method, role, title, when, update=update)
    token = _token(message_id)
    message["Message-ID"] = token if token.startswith("<") else f"<{token}>"
    if role is Role.PERSON:
        set_addresses(message, "To", [(clean(booking.person_name), _token(booking.person))])
        # Calendar answers go to the ORGANIZER (cadence); a plain reply to the owner.
        set_addresses(message, "Reply-To", [(clean(owner.name), _token(owner.email))])
    else:
        set_addresses(message, "To", [(clean(owner.name), _token(owner.email))])
    message["Date"] = format_datetime(stamp.astimezone(zone))
    message["X-Cadence-Booking"] = str(booking.id)
    if booking.proposal is not None:
        message["X-Cadence-Proposal"] = str(booking.proposal)
    # The structure Google Calendar itself sends, which Gmail, Outlook, Apple Mail
    # and Thunderbird all show with their calendar buttons:
    #   multipart/mixed
    #     multipart/alternative: text/plain, text/calendar; method=...
    #     application/ics "invite.ics" (for clients that only offer attachments)
    # base64 keeps the calendar's CRLF line ends and UTF-8 bytes exact.
    message.set_content("\n".join(text) + "\n")
    params = {"method": method.value, "charset": "UTF-8"}
    message.add_alternative(ics, maintype="text", subtype="calendar", params=params)
    name = "cancel.ics" if method is Method.CANCEL else "invite.ics"
    message.add_attachment(
        ics, maintype="application", subtype="ics", filename=name, params={"name": name}
    )
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # meaningful on the top-level message only
    return message


def _one(booking: Booking, instance: datetime) -> Booking:
    return replace(booking, start=instance, end=instance + booking.duration, recurrence=None)


def _closing(method: Method, role: Role, booking: Booking, owner: Owner) -> str:
    owner_name = clean(owner.name) or _token(owner.email)
    person = clean(booking.person_name) or _token(booking.person)
    if method is Method.CANCEL:
        return "Your calendar removes it when you open this cancellation."
    if role is Role.PERSON:
        return f"Accept or decline in your calendar; to write to {owner_name}, reply to this email."
    if method is Method.PUBLISH:
        return f"Add it to your calendar (the invitation is attached); {person} was invited."
    return (
        f"cadence invited {person} for you. Accept this invitation to put the 1:1 into your "
        f"calendar; {person}'s answer comes to cadence, which tells you if they decline."
    )
