"""A person's answer to an invitation: an iTIP REPLY (RFC 5546 §3.2.3).

Google Calendar, Outlook and Apple Calendar send it as a ``text/calendar;
method=REPLY`` part (Google adds an ``invite.ics`` attachment, Apple sometimes
only the attachment): one VEVENT naming the invitation's UID (and
RECURRENCE-ID for one instance of a series), its SEQUENCE, and the replying
ATTENDEE with their PARTSTAT. Read leniently: Outlook writes ``MAILTO:`` in
capitals, Apple adds an EMAIL parameter, some clients leave out SEQUENCE;
whatever cannot be read is skipped, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import icalendar

_ANSWERS = frozenset({"ACCEPTED", "TENTATIVE", "DECLINED"})


@dataclass(frozen=True)
class ItipReply:
    """One attendee's answer to one invitation (or to one instance of a series)."""

    uid: str
    attendee: str  # the address, lowercased
    partstat: str  # ACCEPTED, TENTATIVE or DECLINED
    sequence: int = 0
    recurrence_id: datetime | date | None = None
    comment: str = ""


def _address(value: object) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text.strip().lower()


def _replies_in(event: icalendar.cal.Component) -> list[ItipReply]:
    uid = str(event.get("UID", "")).strip()
    if not uid:
        return []
    try:
        sequence = int(str(event.get("SEQUENCE", 0)).strip() or 0)
    except ValueError:
        sequence = 0
    recurrence: datetime | date | None = None
    rid = event.get("RECURRENCE-ID")
    if rid is not None and isinstance(getattr(rid, "dt", None), (datetime, date)):
        recurrence = rid.dt
    comment = " ".join(str(event.get("COMMENT", "")).split())
    attendees = event.get("ATTENDEE")
    if attendees is None:
        return []
    if not isinstance(attendees, list):
        attendees = [attendees]
    found = []
    for attendee in attendees:
        params = getattr(attendee, "params", {})
        partstat = str(params.get("PARTSTAT", "")).upper()
        address = _address(attendee) or _address(params.get("EMAIL", ""))
        if partstat in _ANSWERS and "@" in address:
            found.append(ItipReply(uid, address, partstat, sequence, recurrence, comment))
    return found


def parse_itip_reply(data: bytes) -> list[ItipReply]:
    """Given an iCalendar object, return the answers it carries when it is a REPLY
    (an empty list for anything else, or for what cannot be parsed)."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return []
    if str(calendar.get("METHOD", "")).strip().upper() != "REPLY":
        return []
    replies: list[ItipReply] = []
    try:
        for event in calendar.walk("VEVENT"):
            replies += _replies_in(event)
    except (ValueError, TypeError, KeyError, AttributeError):
        return replies
    return replies
