"""End to end through the CLI against the Google emulator: cadence makes the series,
splits it when the person's settings change, ends it on removal, moves a cancelled
meeting when a proposal is accepted, and checks the person's free/busy."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cadence.daemon.config import load_config
from cadence.daemon.core.model import Gap, Reason, Slot
from cadence.daemon.core.periods import period_containing
from cadence.daemon.engine import Engine

from tests.google_emulator import GoogleEmulator
from tests.support.google_series import (
    FIRST,
    add_alice,
    all_starts,
    api_calls,
    masters,
    starts,
    sync,
)
from tests.support.google_world import ALICE, BERLIN, NOW, OWNER, World, google_world

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoogleEmulator() as google:
        yield google_world(tmp_path, google)


def test_a_new_person_gets_a_recurring_series_with_the_agenda_link(world: World) -> None:
    add_alice(world)
    report = sync(world)
    assert report["series_created"] == 1 and report["proposals_created"] == 0
    (series,) = masters(world)
    assert series["recurrence"] == ["RRULE:FREQ=WEEKLY"]
    assert datetime.fromisoformat(series["start"]["dateTime"]) == FIRST
    assert series["start"]["timeZone"] == "Europe/Berlin"
    assert [a["email"] for a in series["attendees"]] == [ALICE]
    assert series["extendedProperties"]["private"]["cadencePerson"] == ALICE
    assert "https://wiki.example.com/1on1/alice-at-example.com.md" in series["description"]
    assert starts(world, series, 3) == [FIRST + timedelta(weeks=n) for n in range(3)]
    (notice,) = world.google.sent_notifications
    assert notice.send_updates == "all" and ALICE in notice.recipients
    # No email: Google's own invitation tells Alice.
    assert world.mails() == []

    # Once created, cadence sees it as the live series: no second one, ever.
    world.at(NOW + timedelta(minutes=30))
    again = sync(world)
    assert again["series_created"] == 0 and again["gaps"] == 0
    world.google.reset_calls()
    world.at(NOW + timedelta(hours=1))
    sync(world)
    assert api_calls(world) == ["calendar.events.list"]
    assert len(masters(world)) == 1


def test_a_taken_usual_time_gives_the_best_free_recurring_slot(world: World) -> None:
    # Olivia's Tuesday 10:00 is taken every week by another meeting.
    world.google.create_event(
        OWNER,
        {
            "summary": "Team sync",
            "start": {"dateTime": FIRST.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {
                "dateTime": (FIRST + timedelta(hours=1)).isoformat(),
                "timeZone": "Europe/Berlin",
            },
            "recurrence": ["RRULE:FREQ=WEEKLY"],
        },
    )
    add_alice(world)
    assert sync(world)["series_created"] == 1
    (series,) = [m for m in masters(world) if m.get("extendedProperties")]
    start = datetime.fromisoformat(series["start"]["dateTime"]).astimezone(BERLIN)
    assert start.date() == FIRST.date()  # the usual weekday still
    # Clear of the team sync (10:00-11:00) and the 10-minute buffer around it.
    assert start + timedelta(minutes=40) <= FIRST or start >= FIRST + timedelta(minutes=70)


def test_changing_the_cadence_splits_the_series_without_duplicates(world: World) -> None:
    add_alice(world)
    sync(world)
    (old,) = masters(world)
    # A week later, Alice and Olivia move to fortnightly on Thursdays at 14:00.
    world.at(NOW + timedelta(weeks=1))
    world.ok("person", "set", ALICE, "--every", "biweekly", "--day", "thu", "--time", "14:00")
    report = sync(world)
    assert report["series_created"] == 1, report
    assert len(masters(world)) == 2
    ended = next(m for m in masters(world) if m["id"] == old["id"])
    assert "UNTIL=" in ended["recurrence"][0]
    # The meeting held on the 24th stays and fills its fortnight (23 Nov - 6 Dec);
    # the old series' next meeting (1 Dec) is gone; the new rhythm starts after.
    meetings = all_starts(world, weeks=8)
    assert meetings[0] == FIRST
    rest = meetings[1:]
    assert rest[0] == datetime(2026, 12, 10, 14, 0, tzinfo=BERLIN)
    assert all(b - a == timedelta(weeks=2) for a, b in itertools.pairwise(rest))
    # Settled: another cycle changes nothing.
    world.at(world.now + timedelta(minutes=30))
    again = sync(world)
    assert again["series_created"] == 0 and len(masters(world)) == 2


def test_removing_a_person_ends_their_series(world: World) -> None:
    add_alice(world)
    sync(world)
    world.at(NOW + timedelta(weeks=1, days=2))  # after the second meeting
    refused = world.run("person", "remove", ALICE, input="n\n")
    assert refused.exit_code != 0 and len(all_starts(world, weeks=8)) > 2
    removed = world.ok("person", "remove", ALICE, "--yes")
    assert "series has ended" in removed.output
    assert all_starts(world, weeks=8) == [FIRST, FIRST + timedelta(weeks=1)]


def test_an_accepted_proposal_moves_the_cancelled_meeting(world: World) -> None:
    add_alice(world)
    sync(world)
    (series,) = masters(world)
    world.at(NOW + timedelta(hours=1))
    world.google.cancel_instance(OWNER, series["id"], FIRST + timedelta(weeks=1))
    world.google.reset_calls()
    report = sync(world)
    assert report["proposals_created"] == 1 and report["emails_sent"] == 1
    assert api_calls(world) == ["calendar.events.list", "calendar.freebusy.query"]
    # Reading and writing share one authorization: the expired token is renewed once.
    assert len(world.google.calls_to("token")) == 1
    (proposal,) = json.loads(world.ok("proposals", "list", "--json").stdout)
    slot = datetime.fromisoformat(proposal["slots"][0]["start"])

    world.google.reset_calls()
    world.ok("proposals", "accept", str(proposal["id"]), "--slot", "1")
    assert api_calls(world) == [
        "calendar.events.list",
        "calendar.freebusy.query",
        "calendar.events.instances",
        "calendar.events.patch",
    ]
    assert slot in all_starts(world)
    assert FIRST + timedelta(weeks=1) not in all_starts(world)
    moved = [n for n in world.google.sent_notifications if n.method_id.endswith("patch")]
    assert moved and ALICE in moved[-1].recipients and moved[-1].send_updates == "all"
    # Google tells Alice; cadence sends no iMIP invitation of its own.
    assert len(world.mails()) == 1
    # The gap is filled: the next cycle proposes nothing.
    world.at(world.now + timedelta(minutes=30))
    assert sync(world)["proposals_created"] == 0
    (closed,) = json.loads(world.ok("proposals", "list", "--all", "--json").stdout)
    assert closed["status"] == "accepted"


def test_a_slot_taken_since_the_proposal_is_refused(world: World) -> None:
    add_alice(world)
    sync(world)
    (series,) = masters(world)
    world.google.cancel_instance(OWNER, series["id"], FIRST + timedelta(weeks=1))
    world.at(NOW + timedelta(hours=1))
    sync(world)
    (proposal,) = json.loads(world.ok("proposals", "list", "--json").stdout)
    slot = proposal["slots"][0]
    # Alice's own calendar fills up at that time (Olivia's feed does not show it).
    world.google.create_event(
        ALICE,
        {
            "summary": "Dentist",
            "start": {"dateTime": slot["start"]},
            "end": {"dateTime": slot["end"]},
        },
    )
    refused = world.run("proposals", "accept", str(proposal["id"]), "--slot", "1")
    assert refused.exit_code == 1
    assert "no longer free" in refused.output
    assert json.loads(world.ok("proposals", "list", "--json").stdout)[0]["status"] == "sent"


def test_a_declined_meeting_becomes_a_proposal(world: World) -> None:
    add_alice(world)
    sync(world)
    (series,) = masters(world)
    world.google.respond(OWNER, series["id"], ALICE, "declined", FIRST + timedelta(weeks=1))
    world.at(NOW + timedelta(hours=1))
    report = sync(world)
    assert report["proposals_created"] == 1
    (proposal,) = json.loads(world.ok("proposals", "list", "--json").stdout)
    assert proposal["reason"] == "declined"


def test_a_hidden_calendar_falls_back_to_the_owners_and_says_so(world: World) -> None:
    add_alice(world)
    sync(world)
    (series,) = masters(world)
    world.google.hide_calendar(ALICE)
    world.google.cancel_instance(OWNER, series["id"], FIRST + timedelta(weeks=1))
    world.at(NOW + timedelta(hours=1))
    assert sync(world)["proposals_created"] == 1
    (message,) = world.messages()
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "calendar is not visible to cadence" in text
    assert "your calendar only" in text


def test_a_meeting_gone_for_good_is_replaced_by_a_single_event(world: World) -> None:
    # A single 1:1 Olivia made herself, then deleted.
    start = datetime(2026, 11, 26, 15, 0, tzinfo=BERLIN)
    single = world.google.create_event(
        OWNER,
        {
            "summary": "1:1 Alice",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
            "attendees": [{"email": ALICE}],
        },
    )
    # Alice's other weekly 1:1s exist, so the gap is this week's only.
    world.google.create_event(
        OWNER,
        {
            "summary": "1:1 Alice",
            "start": {
                "dateTime": (FIRST + timedelta(weeks=1)).isoformat(),
                "timeZone": "Europe/Berlin",
            },
            "end": {
                "dateTime": (FIRST + timedelta(weeks=1, minutes=30)).isoformat(),
                "timeZone": "Europe/Berlin",
            },
            "recurrence": ["RRULE:FREQ=WEEKLY"],
            "attendees": [{"email": ALICE}],
        },
    )
    add_alice(world)
    sync(world)
    world.google.delete_event(OWNER, single["id"])
    world.at(NOW + timedelta(hours=1))
    assert sync(world)["proposals_created"] == 1
    (proposal,) = json.loads(world.ok("proposals", "list", "--json").stdout)
    assert proposal["reason"] == "deleted"
    world.google.reset_calls()
    world.ok("proposals", "accept", str(proposal["id"]))
    (created,) = world.google.calls_to("calendar.events.insert")
    assert created.status == 200
    chosen = datetime.fromisoformat(proposal["slots"][0]["start"])
    made = [
        e
        for e in world.google.events(OWNER)
        if not e.get("recurrence")
        and datetime.fromisoformat(e["start"]["dateTime"]) == chosen.astimezone(UTC)
    ]
    assert len(made) == 1 and made[0]["extendedProperties"]["private"]["cadencePerson"] == ALICE


def test_a_failed_series_write_is_reported_and_made_once_later(world: World) -> None:
    add_alice(world)
    world.google.fail("calendar.events.insert", 403, "forbidden", times=1)
    failed = world.run("sync", "--json")
    assert failed.exit_code == 1
    (error,) = json.loads(failed.stdout)["errors"]
    assert "events.insert" in error["message"] and "forbidden" in error["message"]
    assert masters(world) == []
    world.at(NOW + timedelta(minutes=30))
    assert sync(world)["series_created"] == 1
    world.at(NOW + timedelta(hours=1))
    sync(world)
    assert len(masters(world)) == 1


def test_a_paused_person_gets_a_series_that_starts_when_they_are_back(world: World) -> None:
    add_alice(world)
    world.ok("person", "pause", ALICE, "--until", "2026-12-07")
    assert sync(world)["series_created"] == 1
    assert all_starts(world, weeks=3) == [datetime(2026, 12, 8, 10, 0, tzinfo=BERLIN)]


def test_a_no_series_proposal_from_before_starts_the_series_when_accepted(world: World) -> None:
    # Proposed while the calendar was a read-only feed; accepted now that it is Google.
    add_alice(world)
    engine = Engine(load_config(world.config, env={}), clock=lambda: world.now)
    try:
        alice = engine.person(ALICE)
        week = period_containing(alice.cadence, alice.anchor, world.now, BERLIN)
        slot = Slot(FIRST + timedelta(hours=4), FIRST + timedelta(hours=4, minutes=30))
        gap = Gap(ALICE, week, Reason.NO_SERIES)
        assert engine.services().mailer.create(alice, gap, [slot], world.now)
    finally:
        engine.close()
    world.ok("proposals", "accept", "1")
    (series,) = masters(world)
    assert starts(world, series, 2) == [slot.start, slot.start + timedelta(weeks=1)]
    # cadence knows it as Alice's series: the next cycle makes no other.
    world.at(NOW + timedelta(minutes=30))
    assert sync(world)["series_created"] == 0
    assert len(masters(world)) == 1


def test_a_series_cadence_did_not_make_gets_the_agenda_link_once(world: World) -> None:
    mine = world.google.create_event(
        OWNER,
        {
            "summary": "Alice / Olivia",
            "description": "Our weekly.",
            "start": {"dateTime": FIRST.isoformat(), "timeZone": "Europe/Berlin"},
            "end": {
                "dateTime": (FIRST + timedelta(minutes=30)).isoformat(),
                "timeZone": "Europe/Berlin",
            },
            "recurrence": ["RRULE:FREQ=WEEKLY"],
            "attendees": [{"email": ALICE}],
        },
    )
    add_alice(world)
    report = sync(world)
    assert report["series_created"] == 0
    assert [a["action"] for a in report["plan"] if a["action"] != "prepare-agenda"] == [
        "attach-agenda"
    ]
    (series,) = masters(world)
    assert series["id"] == mine["id"]
    assert series["description"].startswith("Our weekly.")
    assert "https://wiki.example.com/1on1/alice-at-example.com.md" in series["description"]
    # Reading back its own change costs one read and writes nothing.
    world.at(NOW + timedelta(minutes=30))
    world.google.reset_calls()
    sync(world)
    world.at(NOW + timedelta(minutes=45))
    sync(world)
    assert len(world.google.calls_to("calendar.events.patch")) == 0


def test_with_google_docs_the_series_carries_the_shared_agenda_doc(tmp_path: Path) -> None:
    with GoogleEmulator() as google:
        world = google_world(tmp_path, google, agenda={"backend": "google-docs"})
        add_alice(world)
        assert sync(world)["series_created"] == 1
        (series,) = masters(world)
        (doc,) = google.documents()
        (attachment,) = series["attachments"]
        assert doc["documentId"] in attachment["fileUrl"]
        assert attachment["mimeType"] == "application/vnd.google-apps.document"
        assert attachment["fileUrl"] in series["description"]
        assert [p.email_address for p in google.permissions(doc["documentId"])] == [ALICE]
        # The first meeting is tomorrow: its dated section is in the doc already.
        assert "2026-11-24" in google.document_text(doc["documentId"])
        # The same link in `cadence agenda url`.
        assert world.ok("agenda", "url", ALICE).output.strip() == attachment["fileUrl"]


def test_no_series_is_written_while_the_calendar_cannot_be_read(world: World) -> None:
    add_alice(world)
    world.google.fail("calendar.events.list", 403, "forbidden", times=1)
    failed = world.run("sync", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["series_created"] == 0
    assert world.google.calls_to("calendar.events.insert") == []
    world.at(NOW + timedelta(minutes=15))
    assert sync(world)["series_created"] == 1
