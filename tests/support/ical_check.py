"""What cadence sends as iCalendar, read back by an independent parser (allenporter's
``ical``, which validates as it parses) rather than the library that wrote it."""

from __future__ import annotations

from email.message import EmailMessage

from ical.calendar import Calendar
from ical.calendar_stream import IcsCalendarStream


def calendar_parts(message: EmailMessage) -> list[tuple[str, str]]:
    """Return each text/calendar part of the email as (its method parameter, its text)."""
    return [
        (str(part.get_param("method")), part.get_content())
        for part in message.walk()
        if part.get_content_type() == "text/calendar"
    ]


def strict_calendar(text: str) -> Calendar:
    """Parse the iCalendar text with ``ical``; raise on anything it finds invalid."""
    return IcsCalendarStream.calendar_from_ics(text)


def method_of(text: str) -> str:
    """The calendar's METHOD (``ical`` keeps none for a calendar object)."""
    lines = text.replace("\r\n ", "").splitlines()
    return next(line.split(":", 1)[1] for line in lines if line.startswith("METHOD:"))
