"""What cadence reads of one parsed VEVENT: when it starts and ends (as written),
whether it can be placed in time at all, its EXDATEs and SEQUENCE, and what all
its occurrences share (summary, status, organizer, attendees, busy or free).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from cadence.daemon.calendars.ics_components import PLACEMENT_PROPERTIES, TIME_PROPERTIES, short
from cadence.daemon.calendars.windows_zones import UnknownZoneError, place_times
from cadence.daemon.core.model import Attendee, Cutype, Occurrence, Partstat, Status

_PARTSTATS = {
    "NEEDS-ACTION": Partstat.NEEDS_ACTION,
    "ACCEPTED": Partstat.ACCEPTED,
    "DECLINED": Partstat.DECLINED,
    "TENTATIVE": Partstat.TENTATIVE,
    "DELEGATED": Partstat.DELEGATED,
}
_STATUSES = {"TENTATIVE": Status.TENTATIVE, "CANCELLED": Status.CANCELLED}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def placement_problem(event: icalendar.Component, floating_zone: ZoneInfo) -> str | None:
    """Given a VEVENT, return why it cannot be placed in time, or None.

    Also brings its times into comparable zones, in place: Windows TZIDs to their
    IANA zone, floating times to ``floating_zone`` (or DTSTART's zone).
    """
    for name, message in event.errors:
        if name in PLACEMENT_PROPERTIES:
            return f"unreadable {name}: {short(message)}"
    if moment_of(event, "DTSTART") is None:
        return "has no DTSTART"
    try:
        place_times(event, TIME_PROPERTIES, floating_zone)
    except UnknownZoneError as error:
        return str(error)
    return None


def read_event(event: icalendar.Component) -> Occurrence:
    """Given a VEVENT, return what its occurrences share, placed nowhere yet.

    Every property read here must be in ics_components.PROPERTIES_READ: no other
    reaches the parser.
    """
    start = start_of(event)
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
        sequence=_sequence(event.get("SEQUENCE")),
    )


# SEQUENCE is a 32-bit number in every calendar that writes one (icalendar refuses
# more), and SQLite stores at most 64 bits: bounded here whatever parses it.
_MAX_SEQUENCE = 2**31 - 1


def _sequence(value: Any) -> int:
    """Given SEQUENCE (ics_components keeps it only when it is a number), return it
    within 0 and 2**31 - 1; 0 when there is none."""
    return min(max(0, int(value)), _MAX_SEQUENCE) if isinstance(value, int) else 0


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


def start_of(event: icalendar.Component) -> date:
    start = moment_of(event, "DTSTART")
    if start is None:  # such events never get past _placement_problem
        raise ValueError("a VEVENT without DTSTART")
    return start


def moment_of(event: icalendar.Component, name: str) -> date | None:
    value = getattr(event.get(name), "dt", None)
    return value if isinstance(value, date) else None


def end_of(event: icalendar.Component) -> date:
    """Given a VEVENT, return its end as written: DTEND, DTSTART + DURATION, or the default."""
    start = start_of(event)
    end = moment_of(event, "DTEND")
    if end is not None and isinstance(end, datetime) == isinstance(start, datetime):
        return end
    duration = getattr(event.get("DURATION"), "dt", None)
    if isinstance(duration, timedelta):
        if not isinstance(start, datetime) and duration % timedelta(days=1):
            start = datetime.combine(start, time(0))
        return start + duration
    # RFC 5545: a date-only event lasts the day; a timed one is an instant.
    return start if isinstance(start, datetime) else start + timedelta(days=1)


def excluded_dates(prop: Any) -> Iterator[date]:
    """Given an EXDATE property (one line or several), yield each date or date-time."""
    for line in _as_list(prop):
        for value in getattr(line, "dts", ()):
            if isinstance(value.dt, date):
                yield value.dt


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def sequence_of(event: icalendar.Component) -> int:
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
