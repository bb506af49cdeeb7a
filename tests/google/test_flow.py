"""End to end through the CLI with calendar.backend = "google", against the emulator:
a cancelled instance of the weekly 1:1 becomes one proposal email, and an idle
cycle costs one events.list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.google.auth import SCOPES

from tests.google_emulator import GoogleEmulator
from tests.support.google_world import ALICE, NEXT_WEEK, OWNER, World, google_world, weekly_with

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoogleEmulator() as google:
        w = google_world(tmp_path, google, agenda={"directory": "agendas"})
        w.series = google.create_event(OWNER, weekly_with([OWNER, ALICE]))
        w.ok("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
        yield w


def test_a_cancelled_google_instance_becomes_one_proposal_email(world: World) -> None:
    first = world.run("sync", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["gaps"] == 0
    assert world.mails() == []

    world.google.cancel_instance(OWNER, str(world.series["id"]), NEXT_WEEK)
    world.google.reset_calls()
    second = world.run("sync", "--json")
    assert second.exit_code == 0, second.output
    report = json.loads(second.stdout)
    assert (report["gaps"], report["proposals_created"], report["emails_sent"]) == (1, 1, 1)
    # The call budget of a cancellation: the read, and one free/busy query.
    assert [c.method_id for c in world.google.calls] == [
        "calendar.events.list",
        "calendar.freebusy.query",
    ]
    (proposal,) = json.loads(world.run("proposals", "list", "--json").stdout)
    assert proposal["reason"] == "cancelled"
    assert proposal["cancelled_start"] == NEXT_WEEK.isoformat()
    for slot in proposal["slots"]:
        start = datetime.fromisoformat(slot["start"])
        assert NEXT_WEEK - timedelta(days=1) <= start < NEXT_WEEK + timedelta(days=5)

    world.google.reset_calls()
    idle = world.run("sync", "--json")
    assert json.loads(idle.stdout)["emails_sent"] == 0
    assert [c.method_id for c in world.google.calls] == ["calendar.events.list"]
    assert len(world.mails()) == 1


def test_a_revoked_token_alerts_the_owner_once_and_shows_in_status(world: World) -> None:
    assert world.run("sync").exit_code == 0
    world.google.revoke(OWNER)
    world.google.expire_access_tokens()
    for _ in range(3):
        result = world.run("sync", "--json")
        assert result.exit_code == 1, result.output
    (error,) = json.loads(result.stdout)["errors"]
    assert error["source"] == f"google:{OWNER}"
    assert "cadence auth google" in error["message"]
    status = json.loads(world.run("status", "--json").stdout)
    (source,) = status["sources"]
    assert not source["healthy"] and "cadence auth google" in source["last_error"]
    # One alert for the whole outage, not one per cycle.
    (alert,) = world.mails()
    text = alert.read_text()
    assert "Subject: cadence: google:olivia@example.com needs you" in text
    assert "run `cadence auth google` again" in text
    assert "refresh_token" not in text

    # Authorized again, then revoked again later: that is news, so a second alert.
    world.now += timedelta(hours=2)
    token = world.tmp / "google-token.json"
    token.write_text(world.google.user_credentials(OWNER, scopes=list(SCOPES)).to_json())
    assert world.run("sync").exit_code == 0
    world.google.revoke(OWNER)
    world.google.expire_access_tokens()
    assert world.run("sync").exit_code == 1
    assert world.run("sync").exit_code == 1
    assert len(world.mails()) == 2
