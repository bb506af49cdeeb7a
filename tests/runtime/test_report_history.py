"""The report over recorded histories: a calendar feed read by real cycles into a real
SQLite file, people added and paused through the engine on the dates they were.

Alice (weekly, Tuesdays 10:00, since 1 September 2026) was paused for two weeks
in September, skipped one week in October, moved one 1:1 to the Thursday and
had another declined and made up by a single event; Bob (weekly, Thursdays)
was added on 21 October. The report is asked for on Wednesday 18 November.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.cli.main import cli
from cadence.daemon.config import load_config
from cadence.daemon.core.model import Cadence, Kind, Person, Unit
from cadence.daemon.core.report import Cell, Report
from cadence.daemon.engine import Engine
from cadence.daemon.store import Store
from cadence.daemon.store.database import MIGRATIONS
from click.testing import CliRunner, Result

from tests.support import configs, feeds
from tests.support.feed_server import LOGIN_PAGE
from tests.support.paths import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence(Unit.WEEK), day=1)
BOB = Person("bob@example.com", "Bob Builder", Cadence(Unit.WEEK), Kind.PEER, day=3)
NOW = datetime(2026, 11, 18, 12, tzinfo=BERLIN)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def history_feed() -> bytes:
    alice = feeds.weekly(
        "alice-weekly",
        "Alice / Olivia",
        at(9, 1),
        attendees=[feeds.OWNER, ALICE.email],
        exdates=[at(9, 15), at(9, 22)],  # during the pause
        cancelled=[at(10, 13)],
        moved={at(10, 27): at(10, 29, 15)},
        declined={at(11, 3): ALICE.email},
    )
    made_up = feeds.single(
        "cadence-proposal-1", "1:1 Alice", at(11, 5, 11), 30, attendees=[ALICE.email]
    )
    bob = feeds.weekly(
        "bob-weekly", "Bob <> Olivia", at(10, 22, 14), attendees=[feeds.OWNER, BOB.email]
    )
    return feeds.calendar(alice, made_up, bob)


@dataclass
class Rig:
    config: Path
    feed: Path
    moment: datetime = NOW

    def engine(self) -> Engine:
        return Engine(load_config(self.config), clock=lambda: self.moment)

    def report(self, weeks: int = 12) -> Report:
        engine = self.engine()
        try:
            return engine.report(weeks)
        finally:
            engine.close()


def write_config(directory: Path, owner: str = feeds.OWNER) -> Path:
    return configs.write_config(
        directory,
        {
            "owner": {"email": owner},
            "calendar": {"ics": {"url": "calendar.ics"}},
            "agenda": {"backend": "none"},
            "email": {"maildir": {"path": "maildir"}},
        },
    )


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    feed = tmp_path / "calendar.ics"
    feed.write_bytes(history_feed())
    rig = Rig(write_config(tmp_path), feed)
    for moment, act in [
        (at(9, 1, 8), lambda e: e.add_person(ALICE)),
        (at(9, 15, 9), lambda e: e.pause(ALICE.email, date(2026, 9, 28))),
        (at(10, 21, 12), lambda e: e.add_person(BOB)),
    ]:
        rig.moment = moment
        engine = rig.engine()
        act(engine)
        engine.close()
    rig.moment = NOW
    engine = rig.engine()
    assert engine.sync().ok
    engine.close()
    yield rig


def strip(report: Report, email: str) -> list[Cell]:
    (entry,) = [e for e in report.people if e.person.email == email]
    return [o.cell for o in entry.outcomes]


H, R, M, P, U, N = (
    Cell.HELD,
    Cell.RESCHEDULED,
    Cell.MISSED,
    Cell.PAUSED,
    Cell.UPCOMING,
    Cell.UNTRACKED,
)


def test_the_recorded_history_gives_each_week_its_outcome(rig: Rig) -> None:
    report = rig.report()
    assert report.weeks[0] == date(2026, 8, 31) and len(report.weeks) == 12
    assert strip(report, ALICE.email) == [H, H, P, P, H, H, M, H, R, R, H, H]
    # One missed week puts her ahead of Bob, more at risk.
    assert [e.person.email for e in report.people] == [ALICE.email, BOB.email]
    alice = report.people[0]
    assert (alice.periods, alice.held, alice.rescheduled, alice.cancelled) == (10, 9, 2, 2)
    assert (alice.missed, alice.paused, alice.streak) == (1, 2, 5)
    assert alice.last_held == at(11, 17)
    assert not alice.at_risk


def test_a_person_added_mid_range_is_tracked_from_then(rig: Rig) -> None:
    report = rig.report()
    assert strip(report, BOB.email) == [N] * 7 + [H, H, H, H, U]
    bob = report.people[1]
    assert (bob.periods, bob.held, bob.upcoming, bob.missed) == (5, 4, 1, 0)
    assert not bob.at_risk  # Thursday's 1:1 is ahead


def test_the_history_survives_a_restart_and_a_broken_feed(rig: Rig) -> None:
    before = rig.report()
    rig.feed.write_bytes(LOGIN_PAGE)  # the feed now answers with a login page
    rig.moment = NOW + timedelta(hours=2)
    engine = rig.engine()
    assert not engine.sync().ok
    engine.close()
    after = rig.report()
    assert [strip(after, p.email) for p in (ALICE, BOB)] == [
        strip(before, p.email) for p in (ALICE, BOB)
    ]
    assert after.people[0].held == before.people[0].held


def test_pauses_are_recorded_as_they_happen(tmp_path: Path) -> None:
    rig = Rig(write_config(tmp_path), tmp_path / "calendar.ics")
    steps = [
        (at(9, 1), lambda e: e.add_person(ALICE)),
        (at(9, 2), lambda e: e.pause(ALICE.email, None)),
        (at(9, 3), lambda e: e.pause(ALICE.email, date(2026, 9, 20))),  # now with an end
        (at(9, 4), lambda e: e.update_person(ALICE.email, name="Alice E.")),  # not a pause
        (at(9, 10), lambda e: e.resume(ALICE.email)),
    ]
    for moment, act in steps:
        rig.moment = moment
        engine = rig.engine()
        act(engine)
        engine.close()
    with Store(tmp_path / "state.db") as store:
        records = [(r.started_at, r.until, r.ended_at) for r in store.people.pauses()]
    assert records == [
        (at(9, 2).astimezone(UTC), None, at(9, 3).astimezone(UTC)),
        (at(9, 3).astimezone(UTC), date(2026, 9, 20), at(9, 10).astimezone(UTC)),
    ]


def test_people_paused_before_the_upgrade_keep_their_pause(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:
        conn.executescript(migration)
    conn.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (2);"
        "INSERT INTO people VALUES ('alice@example.com', 'Alice', 'report', 'weekly', 1,"
        " '10:00', 30, NULL, NULL, 1, '2026-12-01', '2026-09-01', '2026-09-01T08:00:00+00:00',"
        " '2026-10-05T09:00:00+00:00');"
    )
    conn.close()
    with Store(path) as store:
        (record,) = store.people.pauses()
    assert record.person == "alice@example.com"
    assert record.started_at == datetime(2026, 10, 5, 9, tzinfo=UTC)
    assert (record.until, record.ended_at) == (date(2026, 12, 1), None)


def test_a_recorded_dst_week_is_one_week(tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").write_bytes((FIXTURES / "dst_change_week.ics").read_bytes())
    rig = Rig(write_config(tmp_path, "lea.lead@example.com"), tmp_path / "calendar.ics")
    rig.moment = datetime(2027, 4, 7, 12, tzinfo=BERLIN)
    engine = rig.engine()
    engine.add_person(Person("eva@example.com", "Eva", Cadence(Unit.WEEK), day=0))
    assert engine.sync().ok
    engine.close()
    report = rig.report(weeks=5)  # from Monday 8 March; the clocks change on 28 March
    assert strip(report, "eva@example.com") == [N, H, H, H, H]
    assert report.people[0].streak == 4


# -- through the command line ---------------------------------------------------------


def cadence(rig: Rig, *args: str, **env: str) -> Result:
    environment = {"CADENCE_CONFIG": str(rig.config), "CADENCE_NOW": NOW.isoformat(), **env}
    return CliRunner().invoke(cli, ["report", *args], env=environment)


def test_report_json_has_the_contract_keys_and_nothing_else_on_stdout(rig: Rig) -> None:
    result = cadence(rig, "--json")
    assert result.exit_code == 0, result.output
    alice, bob = json.loads(result.stdout)
    contract = {"person", "periods", "held", "cancelled", "rescheduled", "missed", "last_held",
                "streak"}  # fmt: skip
    assert contract <= set(alice)
    assert {k: alice[k] for k in contract} == {
        "person": ALICE.email,
        "periods": 10,
        "held": 9,
        "cancelled": 2,
        "rescheduled": 2,
        "missed": 1,
        "last_held": "2026-11-17T10:00:00+01:00",
        "streak": 5,
    }
    assert [c["state"] for c in bob["cells"]][-2:] == ["held", "upcoming"]
    only = json.loads(cadence(rig, "--json", "--person", BOB.email, "--weeks", "3").stdout)
    assert [p["person"] for p in only] == [BOB.email] and only[0]["periods"] == 3


def test_report_in_a_pipe_is_plain_with_a_legend(rig: Rig) -> None:
    result = cadence(rig)
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("Alice Example") and "● ● ‖ ‖ ● ● ✗ ● ◐ ◐ ● ●" in line for line in lines
    )
    assert "● held  ◐ rescheduled  ✗ missed  ○ upcoming  ‖ paused" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--person", "nobody@example.com"], "--person nobody@example.com: not a person here"),
        (["--weeks", "0"], "--weeks 0: give at least 1 week"),
        (["--weeks", "9999"], "--weeks 9999: give at most 520 weeks"),
        (["--html", "/nonexistent/dir/report.html"], "--html /nonexistent/dir/report.html: cannot"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(rig: Rig, args: list[str], message: str) -> None:
    result = cadence(rig, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"cadence: {message}") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_report_html_writes_a_standalone_page(rig: Rig, tmp_path: Path) -> None:
    page = tmp_path / "adherence.html"
    result = cadence(rig, "--html", str(page))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {page} (2 people).\n"
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Alice Example" in html and "Bob Builder" in html
    assert html.count('title="Mon ') == 12 + 12  # both weekly: a cell per week each
    assert html.count(": rescheduled ") == 2 and html.count(": paused") == 2


def test_colours_on_a_terminal_unless_no_color(rig: Rig) -> None:
    def on_a_terminal(**extra: str) -> str:
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update(CADENCE_CONFIG=str(rig.config), CADENCE_NOW=NOW.isoformat(), TERM="xterm")
        env.update(extra)
        process = subprocess.run(
            [sys.executable, "-m", "cadence.cli", "report"],
            stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60, check=True,
        )  # fmt: skip
        os.close(follower)
        chunks = []
        with contextlib.suppress(OSError):  # EIO once the terminal's other end is closed
            while chunk := os.read(leader, 65536):
                chunks.append(chunk)
        os.close(leader)
        assert process.returncode == 0
        return b"".join(chunks).decode()

    assert "\x1b[32m●\x1b[0m" in on_a_terminal()
    assert "\x1b[" not in on_a_terminal(NO_COLOR="1")
