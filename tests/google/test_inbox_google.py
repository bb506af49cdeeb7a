"""Replying to a proposal on Google Calendar: the reply moves the cancelled meeting
through the API, as ``proposals accept`` does, and the confirmation says so."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.google_emulator import GoogleEmulator
from tests.support.google_series import FIRST, add_alice, all_starts, masters, sync
from tests.support.google_world import NOW, OWNER, World, google_world
from tests.support.replies import mailto_reply

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with GoogleEmulator() as google:
        world = google_world(tmp_path, google)
        with world.config.open("a") as config:
            config.write('\n[email.inbox]\ntransport = "maildir"\n\n'
                         '[email.inbox.maildir]\npath = "inbox"\n')  # fmt: skip
        for sub in ("tmp", "new", "cur"):
            (tmp_path / "inbox" / sub).mkdir(parents=True)
        yield world


def test_a_reply_moves_the_cancelled_meeting_in_google_calendar(world: World) -> None:
    add_alice(world)
    sync(world)
    (series,) = masters(world)
    world.at(NOW + timedelta(hours=1))
    world.google.cancel_instance(OWNER, series["id"], FIRST + timedelta(weeks=1))
    sync(world)
    (proposal_mail,) = world.messages()
    (proposal,) = json.loads(world.ok("proposals", "list", "--json").stdout)
    slot = datetime.fromisoformat(proposal["slots"][0]["start"])

    reply = world.tmp / "inbox" / "new" / "1795000000.M1.mailhost"
    reply.write_bytes(mailto_reply("1", str(proposal_mail["Message-ID"])))
    os.utime(reply, (world.now.timestamp(), world.now.timestamp()))
    found = json.loads(world.ok("inbox", "check", "--json").stdout)
    assert [a["action"] for a in found["acted"]] == ["book"]

    assert slot in all_starts(world)
    assert FIRST + timedelta(weeks=1) not in all_starts(world)
    (closed,) = json.loads(world.ok("proposals", "list", "--all", "--json").stdout)
    assert closed["status"] == "accepted" and closed["accepted_slot"] == 1
    # Google tells Alice; cadence sends no invitation, only the confirmation.
    assert len(world.messages()) == 2
    (confirmation,) = [m for m in world.messages() if m["Subject"].startswith("cadence: booked")]
    assert "It is in your calendar, and Alice Example was told." in confirmation.get_content()
    assert list((world.tmp / "inbox" / "cur").glob("*:2,S")) != []
