"""SEQUENCE in a feed: kept from the parsed feed to the stored history, because a
request to move a meeting someone else organizes must echo it (RFC 5546 §3.2.7);
whatever number a feed writes, it is read and stored without a crash."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars.ics_parse import parse_calendar
from cadence.daemon.core.model import Interval
from cadence.daemon.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = Interval(datetime(2026, 11, 1, tzinfo=BERLIN), datetime(2026, 12, 1, tzinfo=BERLIN))
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=BERLIN)


def feed(sequence: str | None) -> bytes:
    line = [f"SEQUENCE:{sequence}"] if sequence is not None else []
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
        "BEGIN:VEVENT", "UID:weekly@example.com", "DTSTAMP:20261101T000000Z",
        "DTSTART:20261103T090000Z", "DTEND:20261103T093000Z", "RRULE:FREQ=WEEKLY;COUNT=3",
        "SUMMARY:Alice / Olivia", *line, "END:VEVENT",
        "BEGIN:VEVENT", "UID:weekly@example.com", "DTSTAMP:20261101T000000Z",
        "RECURRENCE-ID:20261110T090000Z", "DTSTART:20261110T100000Z",
        "DTEND:20261110T103000Z", "SUMMARY:Alice / Olivia (moved)", "SEQUENCE:7", "END:VEVENT",
        "END:VCALENDAR",
    ]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.parametrize(
    ("written", "series"),
    [
        ("3", 3),
        (None, 0),
        ("-4", 0),
        # Over 32 bits no calendar writes it: unreadable, ignored (and named).
        ("3000000000", 0),
        ("99999999999999999999", 0),
    ],
)
def test_sequence_is_read_per_meeting_and_stored(
    tmp_path: Path, written: str | None, series: int
) -> None:
    parsed = parse_calendar(feed(written), WINDOW, source="feed", default_zone=BERLIN)
    read = {o.summary: o.sequence for o in parsed.occurrences}
    # The moved meeting is its own update, with its own SEQUENCE; the others the series'.
    assert sorted(o.sequence for o in parsed.occurrences) == sorted([series, series, 7])
    assert read["Alice / Olivia (moved)"] == 7

    with Store(tmp_path / "state.db") as store:
        store.observations.record_read(
            "calendar", "feed", {}, WINDOW, parsed.occurrences, None, NOW
        )
        kept = store.observations.occurrences(WINDOW.start)
    assert sorted((o.start, o.sequence) for o in kept) == sorted(
        (o.start, o.sequence) for o in parsed.occurrences
    )
