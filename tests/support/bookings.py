"""Bookings as tests build them: Alice's 1:1 with Olivia, invited by cadence."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.model import Owner

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia Owner", "olivia@example.com", "Europe/Berlin")
CADENCE = "cadence@example.com"
START = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
END = datetime(2026, 11, 25, 10, 30, tzinfo=BERLIN)
UID = "cadence-0123456789abcdef-booking-42@example.com"


def booking(**changes: object) -> Booking:
    """A single booking (Wed 25 Nov 2026, 10:00-10:30 Berlin) organized by cadence's
    own address, from proposal #42, unless ``changes`` say otherwise."""
    base = Booking(
        id=7,
        uid=UID,
        person="alice@example.com",
        person_name="Alice Example",
        organizer=CADENCE,
        start=START,
        end=END,
        zone="Europe/Berlin",
        proposal=42,
        settings="weekly|1|10:00|30",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def weekly(**changes: object) -> Booking:
    """A weekly recurring booking from Tue 17 Mar 2026, 10:00 Berlin (across DST)."""
    start = datetime(2026, 3, 17, 10, 0, tzinfo=BERLIN)
    values: dict[str, object] = {
        "start": start,
        "end": start.replace(minute=30),
        "recurrence": "FREQ=WEEKLY",
    }
    values.update(changes)
    return booking(**values)
