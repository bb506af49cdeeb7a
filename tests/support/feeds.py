"""Build iCalendar feeds for end-to-end tests, written the way Google exports them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

OWNER = "olivia@example.com"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _people(emails: Sequence[str], declined: Iterable[str] = ()) -> list[str]:
    refused = set(declined)
    lines = [f"ORGANIZER:mailto:{OWNER}"]
    for email in emails:
        state = "DECLINED" if email in refused else "ACCEPTED"
        lines.append(f"ATTENDEE;PARTSTAT={state}:mailto:{email}")
    return lines


def weekly(
    uid: str,
    summary: str,
    first: datetime,
    *,
    attendees: Sequence[str] = (OWNER,),
    minutes: int = 30,
    interval: int = 1,
    cancelled: Sequence[datetime] = (),
    exdates: Sequence[datetime] = (),
    moved: Mapping[datetime, datetime] | None = None,
    declined: Mapping[datetime, str] | None = None,
) -> list[str]:
    """Return the VEVENT lines of a weekly series with its exceptions."""
    length = timedelta(minutes=minutes)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{_utc(first)}",
        f"DTEND:{_utc(first + length)}",
        f"RRULE:FREQ=WEEKLY;INTERVAL={interval}",
        f"SUMMARY:{summary}",
        *(f"EXDATE:{_utc(d)}" for d in exdates),
        *_people(attendees),
        "END:VEVENT",
    ]
    overrides: list[tuple[datetime, datetime, str, list[str]]] = []
    overrides += [(d, d, "CANCELLED", _people(attendees)) for d in cancelled]
    overrides += [(o, n, "CONFIRMED", _people(attendees)) for o, n in (moved or {}).items()]
    overrides += [
        (d, d, "CONFIRMED", _people(attendees, [who])) for d, who in (declined or {}).items()
    ]
    for original, start, status, people in overrides:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"RECURRENCE-ID:{_utc(original)}",
            f"DTSTART:{_utc(start)}",
            f"DTEND:{_utc(start + length)}",
            f"SUMMARY:{summary}",
            f"STATUS:{status}",
            "SEQUENCE:1",
            *people,
            "END:VEVENT",
        ]
    return lines


def single(
    uid: str,
    summary: str,
    start: datetime,
    minutes: int = 60,
    *,
    attendees: Sequence[str] = (),
) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{summary}",
        *(_people(attendees) if attendees else []),
        "END:VEVENT",
    ]


def calendar(*events: list[str]) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-TIMEZONE:Europe/Berlin",
    ]
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()
