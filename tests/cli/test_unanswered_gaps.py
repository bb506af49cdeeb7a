"""A gap is never let pass in silence: a gap no free time fits gets one email saying so,
with the nearest options (DESIGN rule 11); a gap still without an answer (its one
proposal closed, and the gap came back) is listed in ``status`` until it is
answered.

Alice's weekly 1:1 on Tuesday 1 December is cancelled, and the owner is at an
offsite from Monday 30 November to Saturday 5 December: nothing fits that week.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.file_world import FileWorld
from tests.support.people import ALICE, BERLIN, NEXT_WEEK, NOW, alice_series

OFFSITE = feeds.single(
    "offsite@x", "Offsite", datetime(2026, 11, 30, 0, tzinfo=BERLIN), 6 * 24 * 60
)


@pytest.fixture
def world(tmp_path: Path) -> FileWorld:
    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), OFFSITE))
    added = world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    assert added.exit_code == 0, added.output
    return world


def test_the_plan_line_says_no_free_time_names_the_meeting_and_the_options(
    world: FileWorld,
) -> None:
    result = world.run("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if ALICE in line and "free" in line]
    assert line.split()[0] == "no-free-time"
    assert "cancelled Tue 01 Dec 10:00" in line and "no free time in 30 Nov–06 Dec" in line
    # The offsite leaves only the next week: its first hour.
    assert "nearest options: Mon 07 Dec 09:00" in line
    assert "propose " not in result.output


def test_a_week_with_no_free_time_gets_exactly_one_email_saying_so(world: FileWorld) -> None:
    result = world.run("sync", "--json")
    assert result.exit_code == 0  # no free time is no failure of cadence's
    report = json.loads(result.stdout)
    (entry,) = [p for p in report["plan"] if p["action"] == "no-free-time"]
    assert entry["person"] == ALICE and "no free time" in entry["detail"]
    assert report["proposals_created"] == 1
    # Told by email: the gap is answered.
    assert report["unanswered_gaps"] == [] and world.json("status")["unanswered_gaps"] == []
    (proposal,) = world.json("proposals", "list")
    assert proposal["no_free_time"] is True and proposal["reason"] == "cancelled"
    (option,) = proposal["slots"]
    assert option["bends"] == "next-period"
    assert option["start"] == datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN).isoformat()
    (mail,) = world.mails()
    assert "no free time" in mail["Subject"]
    assert mail["Subject"].endswith("— no free time; 1 nearest option")
    # However often it runs, the gap has its one email.
    for hours in (1, 2):
        world.run("sync", now=NOW + timedelta(hours=hours))
    assert len(world.mails()) == 1
    listing = world.run("proposals", "list").output
    assert "(early in the next period)" in listing


def test_the_option_books_like_any_slot(world: FileWorld) -> None:
    world.run("sync")
    accepted = world.run("proposals", "accept", "1", "--slot", "1")
    assert accepted.exit_code == 0, accepted.output
    assert "Accepted: Mon 07 Dec 09:00–09:30" in accepted.output
    (booking,) = world.json("bookings", "list")
    assert booking["start"] == datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN).isoformat()


def test_a_dismissed_gap_is_answered_and_a_superseded_one_that_came_back_is_not(
    tmp_path: Path,
) -> None:
    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    world.run("sync")
    assert world.run("proposals", "dismiss", "1").exit_code == 0
    assert world.json("sync", now=NOW + timedelta(hours=1))["unanswered_gaps"] == []

    world.run("person", "add", "bob@example.com", "--name", "Bob", "--every", "weekly")
    bob = feeds.weekly(
        "bob@x",
        "Bob / Olivia",
        NEXT_WEEK - timedelta(weeks=4),
        attendees=[feeds.OWNER, "bob@example.com"],
    )
    cancelled = feeds.weekly(
        "bob@x", "Bob / Olivia", NEXT_WEEK - timedelta(weeks=4),
        attendees=[feeds.OWNER, "bob@example.com"], cancelled=[NEXT_WEEK],
    )  # fmt: skip
    world.feed(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), *[cancelled]))
    world.json("sync", now=NOW + timedelta(hours=2))
    world.feed(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), bob))
    world.json("sync", now=NOW + timedelta(hours=3))
    world.feed(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), cancelled))
    report = world.json("sync", now=NOW + timedelta(hours=4))
    (gap,) = report["unanswered_gaps"]
    assert gap["person"] == "bob@example.com"
    assert "its proposal #2 was superseded earlier" in gap["why"]


def test_a_removed_or_paused_persons_unanswered_gaps_go_at_once(tmp_path: Path) -> None:
    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    world.run("sync")
    # The calendar fills the gap (the proposal is superseded), then empties it again.
    world.feed(feeds.calendar(alice_series()))
    world.run("sync", now=NOW + timedelta(hours=1))
    world.feed(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    world.run("sync", now=NOW + timedelta(hours=2))
    assert len(world.json("status")["unanswered_gaps"]) == 1
    assert world.run("person", "pause", ALICE).exit_code == 0
    assert world.json("status")["unanswered_gaps"] == []


def test_an_option_outside_the_working_hours_books_under_the_hours_it_bent(
    tmp_path: Path,
) -> None:
    days = [datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN) + timedelta(days=n) for n in range(5)]
    full = [feeds.single(f"work-{n}@x", "Work", day, 8 * 60) for n, day in enumerate(days)]
    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), *full))
    world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    world.run("sync")
    (proposal,) = world.json("proposals", "list")
    assert [s["bends"] for s in proposal["slots"]] == ["hours", "next-period"]
    early = datetime.fromisoformat(proposal["slots"][0]["start"])
    assert early.time() < datetime(2026, 12, 1, 9).time() or early.hour >= 17
    accepted = world.run("proposals", "accept", "1", "--slot", "1")
    assert accepted.exit_code == 0, accepted.output
