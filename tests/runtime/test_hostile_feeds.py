"""A hostile feed is that source failing, nothing more; a long read keeps the heartbeat.

The owner's feed is served over HTTP; Bob's busy feed is a file. When the owner's
feed turns into one that expands to more occurrences than any calendar holds, a
cycle records the source as failing (status, one log line, no traceback), keeps
what it knew, and still reads Bob's feed. A large feed read by a cycle calls the
daemon's heartbeat while it is being read, not only between the cycle's steps.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cadence.cli.main import cli
from cadence.daemon.config import load_config
from cadence.daemon.engine import Engine
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.feed_server import FeedServer
from tests.support.people import ALICE, NOW, alice_series

pytestmark = pytest.mark.slow

BOB = "bob@example.com"
# Four rules repeating every 16 minutes: not dense enough to be read as one busy
# span, so each is some 30,000 occurrences in the months a cycle reads.
EVERY_16_MINUTES = [
    [
        "BEGIN:VEVENT",
        f"UID:sync-job-{n}@ops.example.com",
        f"DTSTART:20260601T00{n:02d}00Z",
        f"DTEND:20260601T00{n:02d}30Z",
        "RRULE:FREQ=MINUTELY;INTERVAL=16",
        "SUMMARY:Sync job",
        "END:VEVENT",
    ]
    for n in range(4)
]


@dataclass
class World:
    feed: FeedServer
    config: Path
    state: Path

    def run(self, *args: str) -> Result:
        env = {"CADENCE_CONFIG": str(self.config), "CADENCE_NOW": NOW.isoformat()}
        return CliRunner().invoke(cli, list(args), env=env)

    def occurrences(self) -> list[tuple[str, str]]:
        with closing(sqlite3.connect(self.state)) as conn:
            rows = conn.execute("SELECT uid, start FROM occurrences ORDER BY start").fetchall()
        return [(str(uid), str(start)) for uid, start in rows]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    busy = tmp_path / "bob.ics"
    busy.write_bytes(feeds.calendar(feeds.single("bob-offsite", "Offsite", NOW, 120)))
    with FeedServer(feeds.calendar(alice_series())) as feed:
        config = write_config(tmp_path, {"calendar": {"ics": {"url": feed.url}}})
        world = World(feed, config, tmp_path / "state.db")
        for email, name, extra in ((ALICE, "Alice", []), (BOB, "Bob", ["--busy-feed", str(busy)])):
            added = world.run("person", "add", email, "--name", name, "--every", "weekly", *extra)
            assert added.exit_code == 0, added.output
        yield world


def test_a_feed_expanding_past_the_bounds_is_the_source_failing_and_nothing_else(
    world: World,
) -> None:
    first = world.run("sync", "--json")
    assert first.exit_code == 0, first.output
    known = world.occurrences()
    assert any(uid == "alice-1on1@google.com" for uid, _ in known)

    world.feed.set_body(feeds.calendar(alice_series(), *EVERY_16_MINUTES))
    hostile = world.run("sync", "--json")

    assert hostile.exit_code == 1
    (error,) = json.loads(hostile.stdout)["errors"]
    assert "more than 100,000 occurrences" in error["message"]
    assert error["message"].endswith("the previous reading is kept")
    (line,) = hostile.stderr.splitlines()
    assert line.startswith("WARNING cadence.daemon.reading: source calendar failed: ")
    assert "Traceback" not in hostile.stderr
    assert world.occurrences() == known  # nothing lost, nothing invented

    status = json.loads(world.run("status", "--json").stdout)
    sources = {s["name"]: s for s in status["sources"]}
    assert not sources["calendar"]["healthy"]
    assert "more than 100,000 occurrences" in sources["calendar"]["last_error"]
    assert sources[f"busy:{BOB}"]["healthy"]  # the other source was still read
    assert status["last_cycle"]["result"] == "errors"


def test_a_long_read_calls_the_heartbeat_while_it_reads(world: World) -> None:
    singles = [
        feeds.single(f"meeting-{n}", "Meeting", NOW + timedelta(days=n % 40, minutes=n), 30)
        for n in range(600)
    ]
    world.feed.set_body(feeds.calendar(alice_series(), *singles))
    beats: list[int] = []
    engine = Engine(load_config(world.config, env={}), clock=lambda: NOW)
    try:
        report = engine.sync(heartbeat=lambda: beats.append(1))
    finally:
        engine.close()
    assert report.ok, report.errors
    # A cycle's own steps call it a handful of times; the read once per event read.
    assert len(beats) > 600
