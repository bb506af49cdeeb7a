"""A read that loses most of what the calendar held is held back as suspect
(DESIGN rule 14): it changes no state, makes no proposal, shows in ``status``,
and the owner is told once by email, until a normal read comes or the owner
runs ``cadence sync --accept-changes``.

The feed holds weekly 1:1s with Alice, Bob and Carol and a weekly team meeting.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.file_world import FileWorld
from tests.support.people import ALICE, BERLIN, FIRST, NOW, alice_series

BOB, CAROL = "bob@example.com", "carol@example.com"


def series(email: str, name: str, day: int) -> list[str]:
    first = FIRST + timedelta(days=day)
    return feeds.weekly(f"{name}@x", f"{name} / Olivia", first, attendees=[feeds.OWNER, email])


TEAM = feeds.weekly("team@x", "Team meeting", datetime(2026, 10, 5, 9, tzinfo=BERLIN), minutes=60)
BOBS, CAROLS = series(BOB, "bob", 1), series(CAROL, "carol", 2)
EVERYTHING = feeds.calendar(alice_series(), BOBS, CAROLS, TEAM)
EMPTY = feeds.calendar()


def unreadable(event: list[str]) -> list[str]:
    return [("DTSTART:not-a-date" if line.startswith("DTSTART") else line) for line in event]


@pytest.fixture
def world(tmp_path: Path) -> FileWorld:
    world = FileWorld.make(tmp_path, EVERYTHING)
    for email, name in ((ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")):
        assert world.run("person", "add", email, "--name", name, "--every", "weekly").exit_code == 0
    first = world.json("sync")
    assert first["errors"] == [] and first["proposals_created"] == 0
    return world


def alerts(world: FileWorld) -> list[str]:
    return [str(m["Subject"]) for m in world.mails() if "holds it back" in str(m["Subject"])]


def sync(world: FileWorld, hours: int, *args: str) -> tuple[int, dict[str, object]]:
    result = world.run("sync", "--json", *args, now=NOW + timedelta(hours=hours))
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (EMPTY, "it holds 0 events where the last good read held"),
        (feeds.calendar(CAROLS, TEAM), "the 1:1s of 2 people vanished at once"),
        (
            feeds.calendar(*(unreadable(e) for e in (alice_series(), BOBS, CAROLS, TEAM))),
            "every event in it was unreadable (4 events skipped)",
        ),
    ],
    ids=["empty", "two-people-gone", "all-unreadable"],
)
def test_a_suspect_read_is_held_changes_nothing_and_is_told_once(
    world: FileWorld, body: bytes, why: str
) -> None:
    world.feed(body)
    code, report = sync(world, 1)
    assert code == 1
    (held,) = report["held"]  # type: ignore[misc]
    assert held["source"] == "calendar" and why in held["why"]
    assert report["proposals_created"] == 0 and world.json("proposals", "list") == []
    status = world.json("status", now=NOW + timedelta(hours=1))
    (source,) = status["sources"]
    assert source["healthy"] is False and why in source["suspect"]
    said = world.run("sync", now=NOW + timedelta(minutes=90)).output
    assert "held back as suspect" in said and "unchanged" not in said
    shown = world.run("status", now=NOW + timedelta(hours=1)).output
    assert "SUSPECT since Mon 23 Nov 10:00" in shown and "--accept-changes" in shown
    assert len(alerts(world)) == 1

    for hours in (2, 3):  # the same read again: still held, no second email
        code, again = sync(world, hours)
        assert code == 1 and again["held"] and again["proposals_created"] == 0
    assert len(alerts(world)) == 1
    assert world.json("proposals", "list") == []


def test_a_normal_read_ends_the_hold(world: FileWorld) -> None:
    world.feed(EMPTY)
    sync(world, 1)
    world.feed(EVERYTHING)
    code, report = sync(world, 2)
    assert code == 0 and report["held"] == [] and report["proposals_created"] == 0
    (source,) = world.json("status", now=NOW + timedelta(hours=2))["sources"]
    assert source["healthy"] is True and source["suspect"] is None
    world.feed(EMPTY)  # a new hold is told anew
    sync(world, 3)
    assert len(alerts(world)) == 2


def test_the_owner_accepts_the_changes(world: FileWorld) -> None:
    world.feed(feeds.calendar(CAROLS, TEAM))
    sync(world, 1)
    code, report = sync(world, 2, "--accept-changes")
    assert code == 0 and report["held"] == []
    people = {p["person"] for p in world.json("proposals", "list", now=NOW + timedelta(hours=2))}
    assert people == {ALICE, BOB}  # their series are gone for real: each gets a proposal
    code, after = sync(world, 3)
    assert code == 0 and after["held"] == []


def test_one_persons_series_vanishing_is_a_normal_change(world: FileWorld) -> None:
    world.feed(feeds.calendar(BOBS, CAROLS, TEAM))
    code, report = sync(world, 1)
    assert code == 0 and report["held"] == []
    assert {p["person"] for p in world.json("proposals", "list")} == {ALICE}
    assert alerts(world) == []
