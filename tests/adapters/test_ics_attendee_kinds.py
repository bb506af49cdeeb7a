"""ATTENDEE;CUTYPE in a feed: a 1:1 that books a room (and a projector), or that copies
a mailing list, is still the 1:1, from the parsed feed to the stored history."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cadence.daemon.calendars.ics_parse import parse_calendar
from cadence.daemon.core.model import Cadence, Cutype, Interval, Owner, Person
from cadence.daemon.core.reconcile import find_gaps, is_one_on_one
from cadence.daemon.store import Store

from tests.support.paths import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Lea Lead", "lea.lead@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence.parse("weekly"))
BOB = Person("bob@example.com", "Bob Builder", Cadence.parse("weekly"), day=3)
WINDOW = Interval(datetime(2026, 10, 1, tzinfo=BERLIN), datetime(2026, 12, 1, tzinfo=BERLIN))
NOW = datetime(2026, 10, 12, 8, 0, tzinfo=BERLIN)


def test_outlook_one_on_one_with_a_room_is_the_one_on_one(tmp_path: Path) -> None:
    body = (FIXTURES / "outlook_one_on_one_with_a_room.ics").read_bytes()
    parsed = parse_calendar(body, WINDOW, source="room", default_zone=BERLIN)
    alice = [o for o in parsed.occurrences if o.summary == "Alice / Lea"]
    kinds = {a.email: a.cutype for a in alice[0].attendees}
    assert kinds == {
        "alice@example.com": Cutype.INDIVIDUAL,
        "room.tiergarten@example.com": Cutype.ROOM,
        "projector2@example.com": Cutype.RESOURCE,
    }
    assert all(is_one_on_one(o, OWNER, ALICE) for o in alice)
    bob = [o for o in parsed.occurrences if o.summary == "Bob / Lea"]
    assert bob and all(is_one_on_one(o, OWNER, BOB) for o in bob)

    # Stored and read back, the attendees keep what they are: no week is missed.
    with Store(tmp_path / "state.db") as store:
        store.observations.record_read(
            "calendar", "feed", {}, WINDOW, parsed.occurrences, None, NOW
        )
        kept = store.observations.occurrences(WINDOW.start)
    assert {a.cutype for o in kept for a in o.attendees} >= {Cutype.ROOM, Cutype.GROUP}
    horizon = datetime(2026, 11, 16, tzinfo=BERLIN)
    assert find_gaps(ALICE, OWNER, kept, NOW, horizon) == []
    assert find_gaps(BOB, OWNER, kept, NOW, horizon) == []
