"""Alice's weekly 1:1 as the adherence report's core sees it: occurrences, built by week.

The owner is in Berlin; "now" is Wednesday 18 November 2026 at 12:00, so the
current week is the one of Monday 16 November and the Tuesday 1:1 of that
week is already over.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Occurrence,
    Owner,
    Partstat,
    Person,
    Status,
    Unit,
)

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia Owner", "olivia@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence(Unit.WEEK), anchor=date(2026, 1, 5))
NOW = datetime(2026, 11, 18, 12, tzinfo=BERLIN)
HISTORY_START = NOW - timedelta(days=182)


def tuesday(weeks_ago: int, hour: int = 10) -> datetime:
    """The Tuesday ``weeks_ago`` weeks before the current week's (17 November)."""
    return datetime(2026, 11, 17, hour, tzinfo=BERLIN) - timedelta(weeks=weeks_ago)


def meeting(
    start: datetime,
    *,
    original: datetime | None = None,
    uid: str = "alice-weekly",
    status: Status = Status.CONFIRMED,
    declined_by: str | None = None,
    series: bool = True,
) -> Occurrence:
    """One 1:1 with Alice; a series instance unless ``series`` is False."""
    attendees = tuple(
        Attendee(e, Partstat.DECLINED if e == declined_by else Partstat.ACCEPTED)
        for e in (OWNER.email, ALICE.email)
    )
    rid = (original or start) if series else None
    return Occurrence(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=30),
        summary="Alice / Olivia",
        recurrence_id=rid,
        status=status,
        organizer=OWNER.email,
        attendees=attendees,
    )


def weekly(weeks: int, **changes: Occurrence) -> list[Occurrence]:
    """The Tuesday instances of the last ``weeks`` weeks (current included); ``changes``
    replaces the instance ``w<n>`` (n weeks ago)."""
    return [changes.get(f"w{n}", meeting(tuesday(n))) for n in range(weeks - 1, -1, -1)]
