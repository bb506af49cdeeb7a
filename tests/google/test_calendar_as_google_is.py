"""cadence against Google Calendar as it really is, end to end through the CLI: a 1:1
that books a room, a 1:1 the person organizes (an invitation on the owner's
calendar), the owner under an alias or working from a secondary calendar, a
cancelled instance that comes as its id alone, and entries of other event types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.google_emulator import GoogleEmulator
from tests.support.configs import write_config
from tests.support.google_world import (
    ALICE,
    BERLIN,
    FIRST,
    NEXT_WEEK,
    OWNER,
    World,
    google_world,
    weekly_with,
)
from tests.support.ical_check import calendar_parts, strict_calendar

pytestmark = pytest.mark.slow

ROOM = "c_188room@resource.calendar.google.com"
ALIAS = "olivia.owner@example.org"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoogleEmulator() as google:
        yield google_world(tmp_path, google)


def add_alice(world: World) -> None:
    world.ok(
        "person", "add", ALICE, "--name", "Alice Example", "--every", "weekly",
        "--day", "tue", "--time", "10:00",
    )  # fmt: skip


def sync(world: World) -> dict[str, Any]:
    result = world.run("sync", "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def proposals(world: World) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(world.run("proposals", "list", "--json").stdout)
    return found


def recurring(world: World, calendar: str = OWNER) -> list[dict[str, Any]]:
    return [e for e in world.google.events(calendar) if e.get("recurrence")]


def test_a_one_on_one_that_books_a_room_is_the_one_on_one(world: World) -> None:
    world.google.add_room(ROOM, "Room 4.01 Tiergarten", timezone="Europe/Berlin")
    series = world.google.create_event(OWNER, weekly_with([OWNER, ALICE, ROOM]))
    assert {a["email"]: a.get("resource", False) for a in series["attendees"]}[ROOM] is True
    add_alice(world)
    notices = len(world.google.sent_notifications)
    report = sync(world)
    # Not a second series, not a second invitation to Alice, no week missing (the
    # one update Alice hears of is the agenda link added to the series).
    assert (report["series_created"], report["gaps"], report["proposals_created"]) == (0, 0, 0)
    assert [e["id"] for e in recurring(world)] == [series["id"]]
    told = world.google.sent_notifications[notices:]
    assert [(n.method_id, n.event_id) for n in told] == [("calendar.events.patch", series["id"])]
    # ...and its history counts the weeks held.
    (row,) = json.loads(world.run("report", "--json").stdout)
    assert row["held"] >= 6 and row["missed"] == 0


def test_a_one_on_one_the_person_organizes_is_recognised_and_left_alone(world: World) -> None:
    # Alice (the owner's manager) organizes it: the owner's calendar holds the invitation.
    series = world.google.create_event(ALICE, weekly_with([ALICE, OWNER]))
    add_alice(world)
    report = sync(world)
    assert (report["series_created"], report["gaps"]) == (0, 0)
    assert world.google.calls_to("calendar.events.patch") == []  # no agenda link on theirs
    (copy,) = recurring(world)
    assert copy["id"] == series["id"] and copy["organizer"] == {"email": ALICE}


def test_a_decline_under_an_alias_is_the_owners_decline(world: World) -> None:
    world.google.add_alias(OWNER, ALIAS)
    series = world.google.create_event(ALICE, weekly_with([ALICE, ALIAS]))
    add_alice(world)
    assert sync(world)["gaps"] == 0  # the alias is the owner: a 1:1, no new series
    world.google.respond(OWNER, series["id"], ALIAS, "declined", instance_start=NEXT_WEEK)
    report = sync(world)
    assert (report["gaps"], report["proposals_created"]) == (1, 1)
    (proposal,) = proposals(world)
    assert proposal["reason"] == "declined"
    assert proposal["cancelled_start"] == NEXT_WEEK.isoformat()


def test_a_secondary_calendar_holds_the_one_on_ones_and_the_primary_one_the_busy_time(
    world: World,
) -> None:
    google = world.google
    team = google.add_calendar(OWNER, "1:1s", timezone="Europe/Berlin")
    write_config(
        world.tmp,
        {
            "owner": {"email": OWNER},
            "calendar": {
                "backend": "google",
                "google": {"token": "google-token.json", "calendar_id": team},
            },
            "agenda": {"directory": "agendas"},
        },
    )
    series = google.create_event(team, weekly_with([ALICE]))
    assert series["organizer"]["email"] == team
    # The owner's primary calendar is full on the Wednesday and the Thursday of that week.
    for day in (2, 3):
        start = datetime(2026, 12, day, 9, 0, tzinfo=BERLIN)
        google.create_event(
            OWNER,
            {
                "summary": "Offsite",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=8)).isoformat()},
            },
        )
    add_alice(world)
    first = sync(world)
    assert (first["series_created"], first["gaps"]) == (0, 0)  # the team calendar's 1:1
    google.cancel_instance(team, series["id"], NEXT_WEEK)
    google.reset_calls()
    assert sync(world)["proposals_created"] == 1
    (query,) = google.calls_to("calendar.freebusy.query")
    assert {i["id"] for i in query.body["items"]} == {team, "primary", ALICE}
    (proposal,) = proposals(world)
    days = {datetime.fromisoformat(s["start"]).astimezone(BERLIN).day for s in proposal["slots"]}
    assert days and not days & {2, 3}


def test_a_cancelled_instance_known_by_its_id_alone_becomes_a_proposal(world: World) -> None:
    series = world.google.create_event(OWNER, weekly_with([OWNER, ALICE]))
    add_alice(world)
    assert sync(world)["gaps"] == 0
    world.google.settings.id_only_cancellations = True
    world.google.cancel_instance(OWNER, series["id"], NEXT_WEEK)
    (item,) = world.google.calls_to("calendar.events.list")[-1:]
    report = sync(world)
    (listing,) = world.google.calls_to("calendar.events.list")[-1:]
    assert listing is not item
    cancelled = [i for i in listing.response["items"] if i["status"] == "cancelled"]
    assert cancelled == [
        {
            "kind": "calendar#event",
            "etag": cancelled[0]["etag"],
            "id": f"{series['id']}_{NEXT_WEEK.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            "status": "cancelled",
        }
    ]
    assert (report["gaps"], report["proposals_created"]) == (1, 1)
    (proposal,) = proposals(world)
    assert proposal["reason"] == "cancelled"
    assert proposal["cancelled_start"] == NEXT_WEEK.isoformat()


def test_other_event_types_are_no_one_on_ones_and_out_of_office_is_busy(world: World) -> None:
    google = world.google
    series = google.create_event(OWNER, weekly_with([OWNER, ALICE]))
    wednesday = datetime(2026, 12, 2, 0, 0, tzinfo=BERLIN)

    def entry(kind: str, summary: str, start: datetime, hours: int, **extra: Any) -> None:
        google.create_event(
            OWNER,
            {
                "eventType": kind,
                "summary": summary,
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=hours)).isoformat()},
                **extra,
            },
        )

    # Focus time to prepare the 1:1 names Alice and says "1:1": it is no 1:1.
    entry("focusTime", "Prep 1:1 Alice", NEXT_WEEK - timedelta(hours=1), 1)
    entry("outOfOffice", "Away", wednesday, 48)  # Wednesday and Thursday
    home = {"workingLocationProperties": {"type": "homeOffice", "homeOffice": {}}}
    entry("workingLocation", "Home", wednesday + timedelta(days=2, hours=9), 8, **home)
    entry("fromGmail", "Lunch 1:1 Alice", NEXT_WEEK + timedelta(hours=2), 1)
    add_alice(world)
    assert sync(world)["gaps"] == 0
    google.cancel_instance(OWNER, series["id"], NEXT_WEEK)
    assert sync(world)["proposals_created"] == 1
    (proposal,) = proposals(world)
    days = [datetime.fromisoformat(s["start"]).astimezone(BERLIN) for s in proposal["slots"]]
    assert days and all(d.day not in (2, 3) for d in days)  # out of office
    assert any(d.day == 4 for d in days)  # working from home is no busy time
    assert proposal["cancelled_start"] == NEXT_WEEK.isoformat()
    assert FIRST < NEXT_WEEK


def test_a_series_deleted_before_its_first_meeting_is_made_again_under_a_fresh_id(
    world: World,
) -> None:
    add_alice(world)
    assert sync(world)["series_created"] == 1
    assert sync(world)["series_created"] == 0  # read back: cadence knows it is there
    (first,) = recurring(world)
    world.google.delete_event(OWNER, first["id"])  # the owner deletes it by hand
    again = sync(world)
    assert again["series_created"] == 1 and again["errors"] == []
    (second,) = recurring(world)
    assert second["id"] == f"{first['id']}v1"
    assert second["start"] == first["start"]
    inserts = [c.status for c in world.google.calls_to("calendar.events.insert")]
    assert inserts == [200, 409, 200]
    assert sync(world)["series_created"] == 0  # settled: recorded under its new id


def accept(world: World) -> str:
    (proposal,) = proposals(world)
    result = world.run("proposals", "accept", str(proposal["id"]), "--slot", "1")
    assert result.exit_code == 0, result.output
    return result.output


def test_accepting_for_a_one_on_one_the_person_organizes_asks_them_and_moves_nothing(
    world: World,
) -> None:
    google = world.google
    series = google.create_event(ALICE, weekly_with([ALICE, OWNER]))
    add_alice(world)
    sync(world)
    google.respond(OWNER, series["id"], OWNER, "declined", instance_start=NEXT_WEEK)
    assert sync(world)["proposals_created"] == 1
    google.reset_calls()
    said = accept(world)
    assert "Not moved" in said and f"Asked {ALICE} by email" in said
    assert "Moved" not in said
    writes = [c.method_id for c in google.calls if c.http_method != "GET"]
    assert "calendar.events.patch" not in writes and "calendar.events.insert" not in writes
    (theirs,) = [e for e in google.events(ALICE) if e.get("recurrence")]
    assert theirs["start"] == series["start"]
    (request,) = [m for m in world.messages() if m["Subject"].startswith("New time proposed")]
    assert request["To"] == ALICE and OWNER in request["Cc"]
    assert request["Subject"].startswith("New time proposed: 1:1 Alice Example")
    # Google Calendar does not act on a COUNTER by email: the words carry it.
    assert [p.get_content_type() for p in request.walk()] == ["text/plain"]
    (proposal,) = json.loads(world.run("proposals", "list", "--all", "--json").stdout)
    assert proposal["status"] == "accepted"


def test_an_outside_organizer_gets_a_counter_for_their_meeting(world: World) -> None:
    google = world.google
    sam = "sam@partner.example"
    uid = "040000008200E00074C5B7101A82E00800000000D6E4F2A0B7E8C14F@partner.example"
    body = weekly_with([sam, OWNER]) | {"iCalUID": uid}
    series = google.create_event(OWNER, body, organizer=sam)
    world.ok(
        "person", "add", sam, "--name", "Sam Partner", "--every", "weekly",
        "--day", "tue", "--time", "10:00", "--kind", "cross-functional",
    )  # fmt: skip
    sync(world)
    google.respond(OWNER, series["id"], OWNER, "declined", instance_start=NEXT_WEEK)
    assert sync(world)["proposals_created"] == 1
    said = accept(world)
    assert f"Asked {sam} by email" in said
    (request,) = [m for m in world.messages() if m["Subject"].startswith("New time proposed")]
    assert request["To"] == sam
    ((method, text),) = calendar_parts(request)
    assert method == "COUNTER"
    (vevent,) = strict_calendar(text).events
    assert vevent.uid == uid
    assert vevent.recurrence_id == NEXT_WEEK.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    (proposal,) = json.loads(world.run("proposals", "list", "--all", "--json").stdout)
    assert vevent.dtstart == datetime.fromisoformat(proposal["slots"][0]["start"])
    assert vevent.organizer is not None and vevent.organizer.uri == f"mailto:{sam}"
