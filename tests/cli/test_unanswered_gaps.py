"""A gap no free time fits is said plainly: in the plan line, in ``sync --json``, and in
``status`` (``unanswered_gaps``) until it is answered.

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


def test_the_plan_line_says_no_free_time_and_names_the_meeting(world: FileWorld) -> None:
    result = world.run("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if ALICE in line and "free" in line]
    assert line.split()[0] == "no-free-time"
    assert "cancelled Tue 01 Dec 10:00" in line and "no free time in 30 Nov–06 Dec" in line
    assert "propose " not in result.output
    assert "1 gap(s) unanswered" in result.output


def test_sync_json_and_status_list_the_unanswered_gap_with_why(world: FileWorld) -> None:
    result = world.run("sync", "--json")
    assert result.exit_code == 0  # no free time is no failure of cadence's
    report = json.loads(result.stdout)
    (entry,) = [p for p in report["plan"] if p["action"] == "no-free-time"]
    assert entry["person"] == ALICE and "no free time" in entry["detail"]
    (gap,) = report["unanswered_gaps"]
    assert gap["person"] == ALICE and gap["reason"] == "cancelled"
    assert gap["cancelled_start"] == NEXT_WEEK.isoformat()
    assert gap["period_start"] == "2026-11-30T00:00:00+01:00"
    assert gap["period_end"] == "2026-12-07T00:00:00+01:00"
    assert "no free time" in gap["why"]
    assert world.json("proposals", "list") == []

    status = world.json("status")
    (listed,) = status["unanswered_gaps"]
    assert listed["why"] == gap["why"] and listed["since"] == NOW.isoformat()
    shown = world.run("status").output
    assert "Unanswered:  1 gap" in shown
    assert f"{ALICE}: cancelled Tue 01 Dec 10:00: no free time" in shown


def test_the_gap_stays_listed_until_time_frees_up_then_gets_its_proposal(
    world: FileWorld,
) -> None:
    world.run("sync")
    later = NOW + timedelta(hours=3)
    assert len(world.json("status", now=later)["unanswered_gaps"]) == 1
    world.feed(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))  # the offsite is off
    report = world.json("sync", now=later)
    assert report["proposals_created"] == 1 and report["unanswered_gaps"] == []
    assert world.json("status", now=later)["unanswered_gaps"] == []
    assert world.run("status", now=later).output.count("Unanswered:  0 gaps") == 1


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


def test_a_removed_or_paused_persons_unanswered_gaps_go_at_once(world: FileWorld) -> None:
    world.run("sync")
    assert len(world.json("status")["unanswered_gaps"]) == 1
    assert world.run("person", "pause", ALICE).exit_code == 0
    assert world.json("status")["unanswered_gaps"] == []
