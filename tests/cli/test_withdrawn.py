"""Proposals that no longer apply are withdrawn, with the reason, never "gap filled":
after ``person pause``, ``person set`` (cadence, day, time, duration) and
``person remove``.

Alice's weekly 1:1 on Tuesday 1 December is cancelled, so the first sync makes
proposal #1; Carol has no series at all, so she gets a no-series proposal.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support import feeds
from tests.support.file_world import FileWorld
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series

CAROL = "carol@example.com"
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path) -> FileWorld:
    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    added = world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    assert added.exit_code == 0, added.output
    assert world.run("sync").exit_code == 0
    return world


def proposal(world: FileWorld, number: int) -> dict[str, Any]:
    found = [p for p in world.json("proposals", "list", "--all") if p["id"] == number]
    assert found, f"no proposal #{number}"
    return found[0]


def test_pausing_withdraws_the_proposal_saying_so(world: FileWorld) -> None:
    paused = world.run("person", "pause", ALICE, "--until", "2027-01-10")
    assert paused.exit_code == 0
    assert "Withdrew proposal #1: Alice Example was paused until 2027-01-10." in paused.output
    withdrawn = proposal(world, 1)
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["closed_reason"] == "Alice Example was paused until 2027-01-10"
    report = world.json("sync", now=LATER)
    assert [a for a in report["plan"] if a["action"] == "supersede"] == []
    assert proposal(world, 1)["status"] == "withdrawn"
    listed = world.run("proposals", "list", "--all").output
    assert "[withdrawn: Alice Example was paused until 2027-01-10]" in listed
    assert "gap filled" not in listed


def test_a_pause_ending_before_the_period_leaves_the_proposal(world: FileWorld) -> None:
    paused = world.run("person", "pause", ALICE, "--until", "2026-11-26")
    assert paused.exit_code == 0 and "Withdrew" not in paused.output
    assert proposal(world, 1)["status"] == "sent"


def test_new_settings_withdraw_it_and_the_gap_is_proposed_anew(world: FileWorld) -> None:
    changed = world.run("person", "set", ALICE, "--time", "14:00")
    assert changed.exit_code == 0
    assert "Withdrew proposal #1: Alice Example's settings changed (time 10:00 → 14:00)." in (
        changed.output
    )
    refused = world.run("proposals", "accept", "1")
    assert refused.exit_code == 2
    assert "proposal 1 is withdrawn (Alice Example's settings changed" in refused.output
    report = world.json("sync", now=LATER)
    assert report["proposals_created"] == 1
    fresh = proposal(world, 2)
    assert fresh["status"] == "sent" and fresh["cancelled_start"] == NEXT_WEEK.isoformat()
    assert len(world.mails()) == 2


def test_other_changes_leave_proposals_alone(world: FileWorld) -> None:
    changed = world.run("person", "set", ALICE, "--name", "Alice E.", "--kind", "peer")
    assert changed.exit_code == 0 and "Withdrew" not in changed.output
    assert proposal(world, 1)["status"] == "sent"


def test_removing_withdraws_it(world: FileWorld) -> None:
    removed = world.run("person", "remove", ALICE, "--yes")
    assert removed.exit_code == 0 and "Withdrew proposal #1: alice@example.com was removed." in (
        removed.output
    )
    assert proposal(world, 1)["closed_reason"] == "alice@example.com was removed"
    world.json("sync", now=LATER)
    assert proposal(world, 1)["status"] == "withdrawn"


def test_a_no_series_proposal_made_for_old_settings_is_not_bookable(world: FileWorld) -> None:
    world.run("person", "add", CAROL, "--name", "Carol", "--every", "biweekly", "--day", "wed")
    world.json("sync", now=LATER)
    (old,) = [p for p in world.json("proposals", "list") if p["person"] == CAROL]
    assert old["reason"] == "no-series"
    changed = world.run("person", "set", CAROL, "--day", "thu", "--duration", "45m", now=LATER)
    assert f"Withdrew proposal #{old['id']}" in changed.output
    assert "day wed → thu, duration 30m → 45m" in changed.output
    refused = world.run("proposals", "accept", str(old["id"]), now=LATER)
    assert refused.exit_code == 2 and "withdrawn" in refused.output
    world.json("sync", now=LATER + timedelta(hours=1))
    (new,) = [p for p in world.json("proposals", "list") if p["person"] == CAROL]
    assert new["reason"] == "no-series" and new["id"] != old["id"]
    minutes = [
        (int(s["end"][11:13]) * 60 + int(s["end"][14:16]))
        - (int(s["start"][11:13]) * 60 + int(s["start"][14:16]))
        for s in new["slots"]
    ]
    assert minutes and all(m == 45 for m in minutes)
