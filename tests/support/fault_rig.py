"""The rig of the daemon's fault tests (tests/daemon/test_faults_*.py), and how they
wait on the daemon and read what it left.

Each test runs the real daemon as a subprocess, with a systemd notify socket the
test listens on, against a feed served over HTTP and a real SMTP server, with
the state in a real SQLite file. After each fault: one proposal and one email
per gap, the old state kept while a source is broken, and healing without a
restart. The ``make_rig`` fixture that builds a rig is in tests/daemon/conftest.py.

Unless libfaketime fakes it, the daemon's clock starts on Monday 23 November
2026, 09:00 in Berlin ($CADENCE_NOW) and runs; next Tuesday's weekly 1:1 with
Alice is cancelled, which makes one gap.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cadence.cli.main import cli
from click.testing import CliRunner

from tests.support import feeds
from tests.support.daemon import DaemonProcess, Notice, NotifyListener, wait_until
from tests.support.faketime import FakeClock
from tests.support.feed_server import SECRET, FeedServer
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.smtp_server import SmtpTestServer

BOB = "bob@example.com"
CANCELLED_FEED = feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))
AGENDA = Path("agendas") / "alice-at-example.com.md"
TOMORROWS_SECTION = "## 2026-11-24 Tue 10:00, 30 min"


# -- the rig: servers, config, CLI ----------------------------------------------


@dataclass
class Rig:
    tmp: Path
    feed: FeedServer
    smtp: SmtpTestServer
    config: Path
    clock: FakeClock | None = None
    smtp_running: bool = False

    @property
    def state(self) -> Path:
        return self.tmp / "state.db"

    def now(self) -> datetime:
        """The daemon's time, as the CLI should see it."""
        return self.clock.now() if self.clock else NOW

    def start_smtp(self) -> None:
        self.smtp.start()
        self.smtp_running = True

    def cadence(self, *args: str) -> subprocess.Popen[str]:
        """Start ``cadence --config CONFIG ARGS --json`` at the daemon's time."""
        return subprocess.Popen(
            [sys.executable, "-m", "cadence.cli", "--config", str(self.config), *args, "--json"],
            env={**os.environ, "CADENCE_NOW": self.now().isoformat(), "CADENCE_SMTP_PASSWORD": ""},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = output(self.cadence("status"))
        return found

    def proposals(self, *, include_closed: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = output(
            self.cadence("proposals", "list", *(["--all"] if include_closed else []))
        )
        return found

    def snapshot(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Return what ``status --json`` and ``proposals list --json`` say (run side by side)."""
        status, proposals = self.cadence("status"), self.cadence("proposals", "list")
        return output(status), output(proposals)

    def add(self, email: str, name: str, *options: str) -> None:
        """Add a weekly person before the daemon starts (in-process: it is only setup)."""
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            added = CliRunner().invoke(
                cli,
                ["--config", str(self.config), "person", "add", email, "--name", name,
                 "--every", "weekly", *options],
                env={"CADENCE_NOW": self.now().isoformat()},
                catch_exceptions=False,
            )  # fmt: skip
        finally:
            # The command points logging at the runner's stream, closed afterwards.
            root.handlers[:], root.level = handlers, level
        assert added.exit_code == 0, added.output

    def add_alice(self) -> None:
        self.add(ALICE, "Alice Example", "--day", "tue", "--time", "10:00")

    def daemon(self, systemd: NotifyListener | None = None, **env: str) -> DaemonProcess:
        clock_env = self.clock.env if self.clock else {"CADENCE_NOW": NOW.isoformat()}
        return DaemonProcess(self.config, systemd, env={**clock_env, **env})

    def message_ids(self) -> list[str]:
        return [str(m.message["Message-ID"]) for m in self.smtp.messages]

    def agenda_headings(self) -> Counter[str]:
        """Count the dated section headings in Alice's agenda."""
        text = (self.tmp / AGENDA).read_text(encoding="utf-8")
        return Counter(line for line in text.splitlines() if re.match(r"## \d{4}-\d\d-\d\d", line))


RigFactory = Callable[..., Rig]


def output(command: subprocess.Popen[str]) -> Any:
    """Wait for a ``--json`` command; return what it printed."""
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    return json.loads(out)


# -- waiting on the daemon, reading what it left ----------------------------------


def wait_status(
    systemd: NotifyListener,
    *,
    after: float = 0.0,
    containing: str = "last cycle",
    ending: str = "",
    timeout: float = 30.0,
) -> Notice:
    """Return the first STATUS notice after monotonic time ``after`` that contains
    ``containing`` and ends with ``ending``."""
    found: list[Notice] = []

    def arrived() -> bool:
        found[:] = [
            n
            for n in systemd.seen("STATUS")
            if n.at > after
            and containing in n.fields["STATUS"]
            and n.fields["STATUS"].endswith(ending)
        ]
        return bool(found)

    wait_until(arrived, timeout=timeout, what=f"STATUS with {containing!r}…{ending!r}")
    return found[0]


def cycles_after(systemd: NotifyListener, moment: float, count: int) -> Notice:
    """Wait for ``count`` cycles to finish after ``moment``; return the last STATUS."""
    done: list[Notice] = []

    def finished() -> bool:
        done[:] = [
            n
            for n in systemd.seen("STATUS")
            if n.at > moment and "last cycle" in n.fields["STATUS"]
        ]
        return len(done) >= count

    wait_until(finished, timeout=15.0 + 5 * count, what=f"{count} more cycle(s)")
    return done[count - 1]


def undelivered_ids(log: str) -> set[str]:
    """The Message-IDs the log says were not delivered (yet)."""
    return set(re.findall(r"email (<[^>]+>) to \S+ not delivered", log))


def logged_jump(log: str, direction: str) -> timedelta:
    """Return how far the log says the wall clock jumped ``direction`` (forward, back)."""
    found = re.search(
        rf"WARNING .*wall clock jumped {direction} by (?:(\d+) days?, )?(\d+):(\d\d):(\d\d)", log
    )
    assert found, log
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def assert_clean(log: str) -> None:
    """No crash, no leaked secret, no sleep failing under libfaketime."""
    assert "Traceback" not in log
    assert "Invalid argument" not in log
    assert SECRET not in log


def occurrence_rows(state: Path) -> tuple[int, int]:
    """Return (occurrences stored, occurrences marked deleted) in the state file."""
    with closing(sqlite3.connect(state)) as conn:
        total, deleted = conn.execute(
            "SELECT count(*), count(deleted_at) FROM occurrences"
        ).fetchone()
    return int(total), int(deleted)


def refuse_data(smtp: SmtpTestServer) -> None:
    smtp.data_reply = "451 4.3.0 Try again later"


def refuse_recipients(smtp: SmtpTestServer) -> None:
    smtp.rcpt_reply = "451 4.3.0 Try again later"


def hang_up_in_data(smtp: SmtpTestServer) -> None:
    """Hang up at the DATA command: the client knows nothing was delivered."""
    smtp.drop_at_data = True


def recover(smtp: SmtpTestServer) -> None:
    smtp.data_reply = smtp.rcpt_reply = None
    smtp.drop_at_data = smtp.drop_after_data = False
