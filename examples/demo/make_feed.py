"""Write the demo calendar: Olivia's week, as her calendar's secret iCal address would show it.

A weekly 1:1 with Alice on Tuesdays at 10:00 whose instance next week was
cancelled (the way Google exports it: RECURRENCE-ID + STATUS:CANCELLED), with a
history of one week skipped and one week moved, a fortnightly 1:1 with Bob that
is fine, and the usual busy time around them.
Dates are relative to today, so the demo always shows an upcoming cancellation.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

ZONE = "Europe/Berlin"


def stamp(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute).strftime("%Y%m%dT%H%M%S")


def event(uid: str, summary: str, start: str, end: str, *lines: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID={ZONE}:{start}",
        f"DTEND;TZID={ZONE}:{end}",
        f"SUMMARY:{summary}",
        *lines,
        "END:VEVENT",
    ]


def people(*emails: str) -> list[str]:
    owner = "ORGANIZER;CN=Olivia Owner:mailto:olivia@example.com"
    return [owner] + [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{e}" for e in emails]


def build(today: date) -> str:
    monday = today - timedelta(days=today.weekday())
    series_start = monday - timedelta(weeks=8) + timedelta(days=1)  # a Tuesday
    next_tuesday = monday + timedelta(weeks=1, days=1)
    bob_start = monday - timedelta(weeks=6) + timedelta(days=3)  # a Thursday
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:olivia@example.com",
        f"X-WR-TIMEZONE:{ZONE}",
    ]
    alice = people("olivia@example.com", "alice@example.com")
    lines += event(
        "alice-weekly@example.com",
        "Alice / Olivia 1:1",
        stamp(series_start, 10),
        stamp(series_start, 10, 30),
        "RRULE:FREQ=WEEKLY;BYDAY=TU",
        *alice,
    )
    lines += event(
        "alice-weekly@example.com",
        "Alice / Olivia 1:1",
        stamp(next_tuesday, 10),
        stamp(next_tuesday, 10, 30),
        f"RECURRENCE-ID;TZID={ZONE}:{stamp(next_tuesday, 10)}",
        "STATUS:CANCELLED",
        *alice,
    )
    # Her history: five weeks ago the 1:1 was cancelled and not made up, three weeks
    # ago it moved to the Thursday afternoon.
    skipped = series_start + timedelta(weeks=3)
    lines += event(
        "alice-weekly@example.com",
        "Alice / Olivia 1:1",
        stamp(skipped, 10),
        stamp(skipped, 10, 30),
        f"RECURRENCE-ID;TZID={ZONE}:{stamp(skipped, 10)}",
        "STATUS:CANCELLED",
        *alice,
    )
    moved = series_start + timedelta(weeks=5)
    lines += event(
        "alice-weekly@example.com",
        "Alice / Olivia 1:1",
        stamp(moved + timedelta(days=2), 15),
        stamp(moved + timedelta(days=2), 15, 30),
        f"RECURRENCE-ID;TZID={ZONE}:{stamp(moved, 10)}",
        *alice,
    )
    lines += event(
        "bob-biweekly@example.com",
        "Bob <> Olivia",
        stamp(bob_start, 14),
        stamp(bob_start, 14, 30),
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        *people("olivia@example.com", "bob@example.com"),
    )
    lines += event(
        "standup@example.com",
        "Team standup",
        stamp(series_start - timedelta(days=1), 9, 30),
        stamp(series_start - timedelta(days=1), 9, 45),
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    )
    workshop = next_tuesday + timedelta(days=1)
    lines += event(
        "planning@example.com",
        "Quarterly planning workshop",
        stamp(workshop, 13),
        stamp(workshop, 17),
    )
    lines += event(
        "review@example.com",
        "Architecture review",
        stamp(next_tuesday, 9, 45),
        stamp(next_tuesday, 11, 30),
    )
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "calendar.ics")
    target.write_text(build(date.today()), encoding="utf-8", newline="")
    print(f"wrote {target}")
