"""``cadence daemon`` as systemd runs it: a real subprocess, a notify socket the
test listens on, a feed served over HTTP and a real SMTP server.

The daemon's clock starts at Monday 23 November 2026, 09:00 in Berlin
($CADENCE_NOW) and runs; next Tuesday's weekly 1:1 with Alice is cancelled.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import feeds
from tests.support.daemon import (
    DaemonProcess,
    NotifyListener,
    daemon_config,
    stop_is_prompt,
    wait_until,
)
from tests.support.feed_server import FeedServer
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow

BOB = "bob@example.com"


@dataclass
class Rig:
    tmp: Path
    feed: FeedServer
    smtp: SmtpTestServer
    config: Path

    @property
    def env(self) -> dict[str, str]:
        return {"CADENCE_NOW": NOW.isoformat()}

    def cadence(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cadence.cli", "--config", str(self.config), *args],
            env={**os.environ, **self.env, "CADENCE_SMTP_PASSWORD": ""},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def reconfigure(self, extra: Mapping[str, Any]) -> None:
        """Write the rig's config again with ``extra`` merged in."""
        daemon_config(self.tmp, self.feed.url, self.smtp.port, extra=extra)

    def daemon(self, systemd: NotifyListener | None = None, **env: str) -> DaemonProcess:
        return DaemonProcess(self.config, systemd, env={**self.env, **env})

    def subjects(self) -> list[str]:
        return [str(m.message["Subject"]) for m in self.smtp.messages]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
    ):
        rig = Rig(tmp_path, feed, smtp, daemon_config(tmp_path, feed.url, smtp.port))
        added = rig.cadence(
            "person", "add", ALICE, "--name", "Alice Example", "--every", "weekly",
            "--day", "tue", "--time", "10:00",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield rig


def test_lifecycle_ready_status_watchdog_stopping_and_one_proposal_email(rig: Rig) -> None:
    with NotifyListener() as systemd, rig.daemon(systemd, WATCHDOG_USEC="1000000") as daemon:
        ready = systemd.wait_for("READY")
        first = systemd.wait_for("STATUS", containing="last cycle")
        assert "1 people, 1 open proposal(s)" in first.fields["STATUS"]
        assert first.fields["STATUS"].endswith(": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the proposal email")
        # More cycles (every ~2 s) find the same gap and send nothing more.
        third = systemd.wait_for("STATUS", containing="last cycle", after=first.at + 3)
        pings = [n.at for n in systemd.seen("WATCHDOG") if ready.at < n.at < third.at]
        code, seconds = stop_is_prompt(daemon)

    assert code == 0
    assert seconds < 10
    assert systemd.notices[0].fields.get("READY") == "1"
    assert systemd.notices[-1].fields.get("STOPPING") == "1"
    # WATCHDOG_USEC of 1 s: a ping at least every half second while healthy.
    assert len(pings) >= 4
    assert max(b - a for a, b in itertools.pairwise(pings)) < 0.9
    (subject,) = rig.subjects()
    assert "Alice Example" in subject
    log = daemon.log()
    assert "SIGTERM received" in log and "cadence daemon stopped" in log
    assert "Traceback" not in log
    # The feed's secret never reaches the log.
    assert "SECRET" not in log


def test_cli_works_while_the_daemon_runs_and_new_people_are_picked_up(rig: Rig) -> None:
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        systemd.wait_for("STATUS", containing="1 people")
        added = rig.cadence(
            "person", "add", BOB, "--name", "Bob Builder", "--every", "biweekly",
            "--day", "thu", "--time", "14:00",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        listed = rig.cadence("proposals", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        # Bob has no series at all: the next cycle offers him a recurring slot.
        systemd.wait_for("STATUS", containing="2 people, 2 open proposal(s)")
        wait_until(lambda: len(rig.smtp.messages) == 2, what="Bob's proposal email")
        status = json.loads(rig.cadence("status", "--json").stdout)
        assert daemon.stop() == 0

    assert any("Bob Builder" in s for s in rig.subjects())
    assert status["people"] == 2
    assert status["last_cycle"]["result"] == "ok"
    # The daemon says when it runs next: within its 2 s interval (+10 % jitter;
    # the finish time is stored to the second).
    finished = status["last_cycle"]["finished"]
    next_run = status["next_run"]
    assert finished < next_run
    gap = datetime.fromisoformat(next_run) - datetime.fromisoformat(finished)
    assert gap.total_seconds() <= 2.2 + 1


def test_sighup_reloads_the_config_and_keeps_the_old_one_when_broken(rig: Rig) -> None:
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        systemd.wait_for("STATUS", containing="last cycle")

        rig.reconfigure({"schedule": {"workdayz": []}})
        daemon.send(signal.SIGHUP)
        log = daemon.wait_for_log("not reloaded")
        assert "schedule.workdayz: unknown key" in log
        reloading = systemd.wait_for("RELOADING")
        systemd.wait_for("READY", after=reloading.at)
        # Still running on the old config: cycles go on.
        systemd.wait_for("STATUS", containing="last cycle", after=reloading.at + 0.5)

        rig.reconfigure({"email": {"from": "rhythm@example.com"}})
        daemon.send(signal.SIGHUP)
        daemon.wait_for_log("config reloaded")
        # The new sender takes effect: Bob's proposal comes from it.
        assert (
            rig.cadence(
                "person", "add", BOB, "--name", "Bob Builder", "--every", "monthly"
            ).returncode
            == 0
        )
        wait_until(lambda: len(rig.smtp.messages) == 2, what="Bob's proposal email")
        assert daemon.stop() == 0

    first, second = (m.message for m in rig.smtp.messages)
    assert first["From"].addresses[0].addr_spec == "cadence@example.com"
    assert second["From"].addresses[0].addr_spec == "rhythm@example.com"


def test_sigterm_during_a_slow_feed_read_stops_within_ten_seconds(rig: Rig) -> None:
    rig.reconfigure({"calendar": {"ics": {"timeout": "60s"}}})
    rig.feed.answer_slowly(45)
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        systemd.wait_for("READY")
        wait_until(lambda: rig.feed.request_count >= 1, what="the feed request")
        time.sleep(0.3)
        code, seconds = stop_is_prompt(daemon)
        assert code == 0
        assert seconds < 10
        assert systemd.wait_for("STOPPING", timeout=2)
    # Interrupted mid-read: nothing recorded, nothing sent, the old state intact.
    assert rig.smtp.messages == []
    status = json.loads(rig.cadence("status", "--json").stdout)
    assert status["open_proposals"] == 0


def test_a_stuck_step_stops_the_watchdog_pings(rig: Rig) -> None:
    rig.reconfigure({"calendar": {"ics": {"timeout": "30s"}}})
    rig.feed.answer_slowly(4)
    with NotifyListener() as systemd, rig.daemon(systemd, WATCHDOG_USEC="1000000") as daemon:
        systemd.wait_for("READY")
        done = systemd.wait_for("STATUS", containing="last cycle")
        rig.feed.answer_slowly(0)
        systemd.wait_for("WATCHDOG", after=done.at + 1)
        assert daemon.stop() == 0
    pings = [n.at for n in systemd.seen("WATCHDOG")]
    # While the feed kept the cycle waiting, no pings: systemd would restart it.
    assert max(b - a for a, b in itertools.pairwise(pings)) >= 3


def test_under_journald_lines_carry_a_priority_and_no_timestamp(rig: Rig) -> None:
    log_file = rig.tmp / "journal.log"
    with log_file.open("wb") as stream:
        info = os.fstat(stream.fileno())
        process = subprocess.Popen(
            [sys.executable, "-m", "cadence.cli", "--config", str(rig.config), "daemon"],
            env={
                **os.environ,
                **rig.env,
                "CADENCE_SMTP_PASSWORD": "",
                "JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}",
            },
            stderr=stream,
        )
        wait_until(lambda: "cycle done" in log_file.read_text(), what="a cycle")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    lines = log_file.read_text().splitlines()
    assert lines and all(re.match(r"<[0-7]>[A-Z]+ cadence\.", line) for line in lines), lines
    assert any(line.startswith("<6>INFO cadence.daemon.service: cycle done") for line in lines)

    # Without journald (stderr is somewhere else), each line starts with the time.
    with rig.daemon() as daemon:
        daemon.wait_for_log("cycle done")
        daemon.stop()
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ", daemon.log())


def test_a_broken_config_at_start_is_exit_2_with_one_line(rig: Rig) -> None:
    rig.reconfigure({"owner": {"timezone": "Mars/Olympus"}})
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        code = daemon.process.wait(timeout=30) if daemon.process else None
    assert code == 2
    assert systemd.seen("READY") == []
    log = daemon.log()
    assert "Traceback" not in log
    assert str(rig.config) in log and "owner.timezone" in log
