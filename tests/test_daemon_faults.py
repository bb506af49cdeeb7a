"""Faults ``cadence daemon`` must live through without losing or repeating anything.

Each test runs the real daemon as a subprocess, with a systemd notify socket the
test listens on, against a feed served over HTTP and a real SMTP server, with
the state in a real SQLite file: another process holds the database; the mail
server is down, refuses or hangs up; the feed fails, hangs, serves garbage or
vanishes; the daemon is killed mid-cycle; the wall clock jumps or crosses a DST
change (under libfaketime). After each: one proposal and one email per gap, the
old state kept while a source is broken, and healing without a restart.

Unless libfaketime fakes it, the daemon's clock starts on Monday 23 November
2026, 09:00 in Berlin ($CADENCE_NOW) and runs; next Tuesday's weekly 1:1 with
Alice is cancelled, which makes one gap.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner

from tests.support import feeds
from tests.support.daemon import DaemonProcess, Notice, NotifyListener, daemon_config, wait_until
from tests.support.faketime import FakeClock, requires_faketime
from tests.support.feed_server import SECRET, FeedServer
from tests.support.smtp_server import Received, SmtpTestServer
from tests.test_cli_flow import ALICE, BERLIN, NEXT_WEEK, NOW, alice_series

pytestmark = pytest.mark.slow

BOB = "bob@example.com"
WEEK_AFTER = NEXT_WEEK + timedelta(weeks=1)
CANCELLED_FEED = feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))
HEALTHY_FEED = feeds.calendar(alice_series())
AGENDA = Path("agendas") / "alice-at-example.com.md"
TOMORROWS_SECTION = "## 2026-11-24 Tue 10:00, 30 min"
# Short waits for the loop between two looks at the clocks: systemd's watchdog
# sets them in production; here they let a clock jump be noticed within a second.
FAST_WATCHDOG = {"WATCHDOG_USEC": "2000000"}


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


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[RigFactory]:
    """Build a rig: a started feed server, an SMTP server (started unless told not
    to) and a fast-cycling daemon config; the servers are stopped after the test."""
    rigs: list[Rig] = []

    def make(
        body: bytes = CANCELLED_FEED,
        *,
        smtp_running: bool = True,
        interval: str = "1s",
        clock: FakeClock | None = None,
    ) -> Rig:
        feed = FeedServer(body).start()
        smtp = SmtpTestServer()
        rig = Rig(
            tmp_path,
            feed,
            smtp,
            daemon_config(tmp_path, feed.url, smtp.port, interval=interval),
            clock,
        )
        rigs.append(rig)
        if smtp_running:
            rig.start_smtp()
        return rig

    yield make
    for rig in rigs:
        rig.feed.stop()
        if rig.smtp_running:
            rig.smtp.stop()


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
    smtp.drop_in_data = True


def recover(smtp: SmtpTestServer) -> None:
    smtp.data_reply = smtp.rcpt_reply = None
    smtp.drop_in_data = False


# -- 1. the database held by another process --------------------------------------
# The two tests that outwait SQLite's 10 s busy timeout come first in the file,
# so that pytest-xdist hands them to different workers.


@contextmanager
def write_lock(state: Path) -> Iterator[None]:
    """Hold the state database's write lock, as a CLI command in a transaction does."""
    with closing(sqlite3.connect(state, isolation_level=None, timeout=30)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def test_a_write_lock_past_the_busy_timeout_fails_one_cycle_then_recovers(
    make_rig: RigFactory,
) -> None:
    """Held past the 10 s busy timeout, the lock fails the cycle: logged, reported,
    the daemon stays up, and the next cycle does the work: one email per gap."""
    rig = make_rig()
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        done = wait_status(systemd, ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="Alice's proposal email")
        with write_lock(rig.state):
            # A second cancellation: a new gap, to be found once the database is free.
            rig.feed.set_body(feeds.calendar(alice_series(cancelled=[NEXT_WEEK, WEEK_AFTER])))
            log = daemon.wait_for_log("cycle failed", timeout=30)
        failed = wait_status(systemd, after=done.at, containing="error:")
        recovered = wait_status(systemd, after=failed.at, ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 2, what="the second proposal email")
        status, proposals = rig.snapshot()
        alive = daemon.process is not None and daemon.process.poll() is None
        assert daemon.stop() == 0

    assert alive
    assert re.search(r"ERROR .*cycle failed: .*state\.db: the state database is busy", log)
    assert "state database is busy" in failed.fields["STATUS"]
    assert "2 open proposal(s)" in recovered.fields["STATUS"]
    assert len(set(rig.message_ids())) == 2
    assert [p["cancelled_start"] for p in proposals] == [
        NEXT_WEEK.isoformat(),
        WEEK_AFTER.isoformat(),
    ]
    assert {p["status"] for p in proposals} == {"sent"}
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert status["last_cycle"]["result"] == "ok"
    assert_clean(daemon.log())


def test_a_write_lock_outlasting_a_refused_delivery_does_not_lose_the_email(
    make_rig: RigFactory,
) -> None:
    """The server refused the email (451), but the lock keeps the daemon from
    recording that: the email is known not to have gone out, so it must be tried
    again once the database is free, not filed as "maybe sent"."""
    rig = make_rig()
    rig.add_alice()
    refuse_data(rig.smtp)
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        daemon.wait_for_log("trying again")
        with write_lock(rig.state):
            # Logged just before the failure is recorded: that write now waits out
            # its 10 s busy timeout and fails; the cycle's own record, 10 s later,
            # finds the database free again.
            daemon.wait_for_log("retrying at")
            time.sleep(11)
        released = time.monotonic()
        recover(rig.smtp)
        # The first cycle to end is the one the lock held up; the next starts afresh.
        cycles_after(systemd, released, 2)
        status, (proposal,) = rig.snapshot()
        assert daemon.stop() == 0

    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert len(rig.smtp.messages) == 1
    assert proposal["status"] == "sent"
    assert_clean(daemon.log())


def test_a_short_write_lock_makes_the_cycle_and_the_cli_wait_not_fail(
    make_rig: RigFactory,
) -> None:
    """A lock shorter than the busy timeout only delays the next cycle and a CLI
    write started meanwhile: both succeed, no error, nothing repeated."""
    rig = make_rig()
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        wait_status(systemd, ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="Alice's proposal email")
        with write_lock(rig.state):
            locked = time.monotonic()
            adding = subprocess.Popen(
                [
                    sys.executable, "-m", "cadence.cli", "--config", str(rig.config),
                    "person", "add", BOB, "--name", "Bob Builder", "--every", "biweekly",
                ],
                env={**os.environ, "CADENCE_NOW": NOW.isoformat()},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            # Longer than a cycle interval (1 s + 10 %), shorter than the 10 s busy timeout.
            time.sleep(2)
            released = time.monotonic()
            during = [n for n in systemd.seen("STATUS") if locked < n.at < released]
        _, err = adding.communicate(timeout=30)
        wait_status(systemd, after=released, containing="2 people", ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 2, what="Bob's proposal email")
        assert daemon.stop() == 0

    assert during == []  # the cycle due meanwhile waited for the lock
    assert adding.returncode == 0, err
    assert len(set(rig.message_ids())) == 2
    log = daemon.log()
    assert "cycle failed" not in log
    assert "busy" not in log
    assert_clean(log)


# -- 2. the mail server --------------------------------------------------------


def test_smtp_down_keeps_the_email_queued_and_delivers_it_once_when_back(
    make_rig: RigFactory,
) -> None:
    """SMTP refusing connections: the email waits in the outbox, is retried with
    backoff, goes out once the server is up, and never a second time."""
    rig = make_rig(smtp_running=False)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        first = wait_status(systemd, containing="1 email(s) waiting")
        assert "error: smtp://127.0.0.1:" in first.fields["STATUS"]
        assert "connection refused" in first.fields["STATUS"]
        log = daemon.wait_for_log("retrying at", count=2)
        status, (proposal,) = rig.snapshot()
        assert status["outbox"]["pending"] == 1
        assert status["last_cycle"]["errors"]
        assert proposal["status"] == "open"

        rig.start_smtp()
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the queued email")
        delivered = time.monotonic()
        wait_status(systemd, after=delivered, ending=": ok")
        cycles_after(systemd, delivered, 1)
        status, (proposal,) = rig.snapshot()
        assert daemon.stop() == 0

    (queued,) = undelivered_ids(log)
    assert rig.message_ids() == [queued]
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert proposal["status"] == "sent"
    assert_clean(daemon.log())


def test_the_logged_retry_time_is_utc(make_rig: RigFactory) -> None:
    """The time in "retrying at HH:MM:SS UTC" is UTC, whatever offset the clock's
    time carries ($CADENCE_NOW here: 09:00 in Berlin, 08:00 UTC)."""
    rig = make_rig(smtp_running=False)
    rig.add_alice()
    with rig.daemon() as daemon:
        log = daemon.wait_for_log("retrying at")
        assert daemon.stop() == 0
    (when,) = re.findall(r"retrying at (\d\d:\d\d):\d\d UTC", log)
    assert when in ("08:00", "08:01")


@pytest.mark.parametrize(
    ("fault", "symptom"),
    [
        (refuse_data, "451 4.3.0 Try again later"),
        (refuse_recipients, "recipients refused"),
        (hang_up_in_data, "connection lost"),
    ],
    ids=["451-after-data", "451-to-rcpt", "hang-up-in-data"],
)
def test_temporary_smtp_failures_are_retried_until_delivered_exactly_once(
    make_rig: RigFactory, fault: Callable[[SmtpTestServer], None], symptom: str
) -> None:
    """A 4xx reply or a connection dropped mid-DATA is retried with backoff; once
    the server takes the email it is delivered exactly once."""
    rig = make_rig()
    rig.add_alice()
    fault(rig.smtp)
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        first = wait_status(systemd, containing="1 email(s) waiting")
        assert symptom in first.fields["STATUS"]
        log = daemon.wait_for_log("retrying at")
        assert rig.smtp.messages == []

        recover(rig.smtp)
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the retried email")
        cycles_after(systemd, time.monotonic(), 1)
        status, (proposal,) = rig.snapshot()
        assert daemon.stop() == 0

    # Tried again within the delivery, then queued for a later one.
    assert log.count("trying again") >= 2
    (queued,) = undelivered_ids(log)
    assert rig.message_ids() == [queued]
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert proposal["status"] == "sent"
    assert_clean(daemon.log())


def test_a_permanent_refusal_is_not_retried_and_the_daemon_goes_on(make_rig: RigFactory) -> None:
    """A 5xx refusal marks the email failed after one attempt; cycles go on."""
    rig = make_rig()
    rig.add_alice()
    rig.smtp.data_reply = "554 5.7.1 rejected"
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        failed = wait_status(systemd, containing="554 5.7.1 rejected")
        daemon.wait_for_log("giving up")
        later = cycles_after(systemd, failed.at, 1)
        status = rig.status()
        alive = daemon.process is not None and daemon.process.poll() is None
        assert daemon.stop() == 0

    assert alive
    assert later.fields["STATUS"].endswith(": ok")
    assert status["outbox"] == {"pending": 0, "failed": 1, "unconfirmed": 0}
    assert rig.smtp.messages == []
    log = daemon.log()
    assert log.count("not delivered") == 1
    assert "trying again" not in log
    assert_clean(log)


# -- 3. the feeds ---------------------------------------------------------------


@dataclass(frozen=True)
class FeedFault:
    name: str
    symptom: str  # in the source's last_error
    apply: Callable[[FeedServer], None]
    heal: Callable[[FeedServer], None] = FeedServer.reset


FEED_FAULTS = [
    FeedFault("http-500", "the server failed (HTTP 500)", lambda f: f.fail_with(500)),
    FeedFault("timeout", "no complete answer within 3 s", lambda f: f.answer_slowly(10)),
    FeedFault("login-page", "looks like an HTML page", FeedServer.serve_html),
    FeedFault(
        "not-icalendar",
        "does not start with BEGIN:VCALENDAR",
        lambda f: f.set_body(b"garbage"),
        lambda f: f.set_body(HEALTHY_FEED),
    ),
    FeedFault("gone-404", "not found (HTTP 404)", lambda f: f.fail_with(404)),
]


@pytest.mark.parametrize("fault", FEED_FAULTS, ids=[f.name for f in FEED_FAULTS])
def test_a_broken_feed_is_reported_keeps_the_old_state_and_heals(
    make_rig: RigFactory, fault: FeedFault
) -> None:
    """While the owner's feed fails, status and log name it (without its secret),
    nothing is invented, nothing deleted, nothing sent; it heals by itself."""
    rig = make_rig(HEALTHY_FEED)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        wait_status(systemd, containing="0 open proposal(s)", ending=": ok")
        before = occurrence_rows(rig.state)

        fault.apply(rig.feed)
        failing = wait_status(systemd, after=time.monotonic(), containing="error:")
        status = rig.status()
        during = occurrence_rows(rig.state)

        fault.heal(rig.feed)
        healed = wait_status(systemd, after=time.monotonic(), ending=": ok")
        (after,) = rig.status()["sources"]
        assert daemon.stop() == 0
    notices = json.dumps([n.fields for n in systemd.notices])

    assert fault.symptom in failing.fields["STATUS"]
    assert "/…/basic.ics" in failing.fields["STATUS"]
    (source,) = status["sources"]
    assert source["name"] == "calendar"
    assert source["healthy"] is False
    assert fault.symptom in source["last_error"]
    assert source["failures"] >= 1
    assert SECRET not in json.dumps(status)
    assert SECRET not in notices
    assert status["open_proposals"] == 0
    assert before[0] > 0 and during == before == occurrence_rows(rig.state)
    assert before[1] == 0  # none marked deleted
    assert rig.smtp.messages == []
    assert after["healthy"] is True
    assert after["failures"] == 0
    assert "0 open proposal(s)" in healed.fields["STATUS"]
    log = daemon.log()
    assert re.search(r"WARNING .*source calendar failed: http://127\.0\.0\.1:\d+/…/basic\.ics", log)
    assert_clean(log)


def test_a_vanished_busy_feed_does_not_stop_the_owner_calendar(make_rig: RigFactory) -> None:
    """Bob's busy feed server is gone: reported as his source, while Alice's gap in
    the owner's (working) calendar still gets its one proposal email."""
    bob_series = feeds.weekly(
        "bob-1on1@google.com",
        "Bob / Olivia",
        datetime(2026, 10, 8, 14, 0, tzinfo=BERLIN),
        attendees=[feeds.OWNER, BOB],
    )
    rig = make_rig(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), bob_series))
    busy = FeedServer().start()
    busy.stop()  # the address stays in Bob's settings; nothing answers there any more
    rig.add_alice()
    rig.add(BOB, "Bob Builder", "--day", "thu", "--time", "14:00", "--busy-feed", busy.url)
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        first = wait_status(systemd, containing="error:")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="Alice's proposal email")
        status, proposals = rig.snapshot()
        assert daemon.stop() == 0

    assert "refused" in first.fields["STATUS"]
    sources = {s["name"]: s for s in status["sources"]}
    assert sources["calendar"]["healthy"] is True
    bob = sources[f"busy:{BOB}"]
    assert bob["healthy"] is False
    assert "cannot connect" in bob["last_error"]
    assert bob["failures"] >= 1
    assert SECRET not in json.dumps(status)
    (proposal,) = proposals
    assert proposal["person"] == ALICE
    assert proposal["status"] == "sent"
    assert "Alice Example" in str(rig.smtp.messages[0].message["Subject"])
    log = daemon.log()
    assert f"source busy:{BOB} failed: http://127.0.0.1:" in log
    assert_clean(log)


# -- 4. killed mid-cycle --------------------------------------------------------------


def test_killed_after_the_server_took_the_email_no_second_email_after_restart(
    make_rig: RigFactory,
) -> None:
    """SIGKILL between the server taking the email and the daemon hearing "250":
    after a restart the email counts as unconfirmed and is not sent again."""
    rig = make_rig()
    rig.add_alice()
    first = rig.daemon()

    def kill_sender(_: Received) -> None:
        # The server has the email; the daemon dies before it hears "250".
        os.kill(first.pid, signal.SIGKILL)

    rig.smtp.on_message = kill_sender
    with first:
        assert first.process is not None
        assert first.process.wait(timeout=30) == -signal.SIGKILL
    rig.smtp.on_message = None
    assert len(rig.smtp.messages) == 1

    with NotifyListener() as systemd, rig.daemon(systemd) as second:
        started = wait_status(systemd)
        cycles_after(systemd, started.at, 1)
        status, proposals = rig.snapshot()
        assert second.stop() == 0

    assert len(rig.smtp.messages) == 1
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 1}
    (proposal,) = proposals
    assert proposal["status"] == "sent"
    log = second.log()
    assert "may or may not have been sent" in log
    assert_clean(log)
    assert rig.agenda_headings() == Counter({TOMORROWS_SECTION: 1})


def test_killed_while_reading_a_slow_feed_the_restart_completes_the_cycle(
    make_rig: RigFactory,
) -> None:
    """SIGKILL while the feed is still answering: nothing half-recorded; the restart
    reads the feed and sends the one proposal email."""
    rig = make_rig()
    rig.add_alice()
    rig.feed.answer_slowly(30)
    with rig.daemon() as first:
        wait_until(lambda: rig.feed.request_count >= 1, what="the feed request")
        first.kill()
    assert rig.proposals() == []

    rig.feed.reset()
    with NotifyListener() as systemd, rig.daemon(systemd) as second:
        started = wait_status(systemd, ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the proposal email")
        cycles_after(systemd, started.at, 1)
        status, (proposal,) = rig.snapshot()
        assert second.stop() == 0

    assert len(rig.smtp.messages) == 1
    assert proposal["status"] == "sent"
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert_clean(second.log())
    assert rig.agenda_headings() == Counter({TOMORROWS_SECTION: 1})


def test_killed_right_after_adding_an_agenda_section_it_is_never_added_twice(
    make_rig: RigFactory,
) -> None:
    """SIGKILL just after the agenda section is written, then restarts and more
    cycles (killed once more on the way): each dated section exists exactly once."""
    rig = make_rig()
    rig.add_alice()
    agenda = rig.tmp / AGENDA
    with rig.daemon() as first:
        wait_until(
            lambda: agenda.exists() and "## 2026-" in agenda.read_text(encoding="utf-8"),
            what="the agenda section",
        )
        first.kill()

    with NotifyListener() as systemd, rig.daemon(systemd) as second:
        wait_status(systemd)
        second.kill()

    with NotifyListener() as systemd, rig.daemon(systemd) as third:
        started = wait_status(systemd, ending=": ok")
        cycles_after(systemd, started.at, 1)
        status, proposals = rig.snapshot()
        assert third.stop() == 0

    assert rig.agenda_headings() == Counter({TOMORROWS_SECTION: 1})
    # However the kill fell, the gap has one proposal and never a second email.
    (proposal,) = proposals
    assert proposal["status"] == "sent"
    outbox = status["outbox"]
    assert outbox["pending"] == outbox["failed"] == 0
    assert len(rig.smtp.messages) <= 1
    assert len(rig.smtp.messages) == 1 or outbox["unconfirmed"] == 1
    assert_clean(third.log())


# -- 5. the wall clock -----------------------------------------------------------------


@requires_faketime
def test_wall_clock_jumping_forward_runs_a_cycle_and_expires_ended_periods(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    """The clock set three weeks ahead: logged, a cycle right away (not in an hour),
    the proposal whose week is over expires, no email is repeated."""
    clock = FakeClock(tmp_path / "faketime", NOW)
    rig = make_rig(interval="1h", clock=clock)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd, **FAST_WATCHDOG) as daemon:
        first = wait_status(systemd, containing="1 open proposal(s)", ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the proposal email")

        clock.set(datetime(2026, 12, 14, 9, 0, tzinfo=BERLIN))  # the gap's week is over
        log = daemon.wait_for_log("wall clock jumped forward")
        after = wait_status(systemd, after=first.at, containing="0 open proposal(s)")
        proposals = rig.proposals(include_closed=True)
        assert daemon.stop() == 0

    assert abs(logged_jump(log, "forward") - timedelta(days=21)) < timedelta(minutes=1)
    assert after.fields["STATUS"].endswith(": ok")
    assert "last cycle 09:0" in after.fields["STATUS"]
    (proposal,) = proposals
    assert proposal["status"] == "expired"
    assert len(rig.smtp.messages) == 1
    assert rig.agenda_headings() == Counter(
        {TOMORROWS_SECTION: 1, "## 2026-12-15 Tue 10:00, 30 min": 1}
    )
    assert_clean(daemon.log())


@requires_faketime
def test_wall_clock_jumping_back_sends_nothing_twice_and_a_deferred_email_promptly(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    """The clock set back a day while an email waits for its retry, planned in what
    is now tomorrow: logged, a cycle runs, the email goes out at once, only once."""
    clock = FakeClock(tmp_path / "faketime", NOW)
    rig = make_rig(interval="1h", clock=clock)
    # The retry comes 30 to 60 s after a failure: far later than the wait below.
    rig.config.write_text(
        rig.config.read_text(encoding="utf-8")
        .replace('retry_first = "1s"', 'retry_first = "60s"')
        .replace('retry_max = "4s"', 'retry_max = "2m"'),
        encoding="utf-8",
    )
    rig.add_alice()
    refuse_data(rig.smtp)
    with NotifyListener() as systemd, rig.daemon(systemd, **FAST_WATCHDOG) as daemon:
        failed = wait_status(systemd, containing="1 email(s) waiting")
        daemon.wait_for_log("retrying at")
        assert rig.smtp.messages == []

        recover(rig.smtp)
        clock.jump(-timedelta(days=1))
        log = daemon.wait_for_log("wall clock jumped back")
        wait_until(lambda: len(rig.smtp.messages) == 1, timeout=20, what="the deferred email")
        after = wait_status(systemd, after=failed.at, ending=": ok")
        status, proposals = rig.snapshot()
        assert daemon.stop() == 0

    assert abs(logged_jump(log, "back") - timedelta(days=1)) < timedelta(minutes=1)
    assert "1 open proposal(s); last cycle" in after.fields["STATUS"]
    assert rig.message_ids() == list(undelivered_ids(log))
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    (proposal,) = proposals
    assert proposal["status"] == "sent"
    assert_clean(daemon.log())


def berlin_weekly(first: datetime, cancelled: list[datetime]) -> list[str]:
    """Alice's weekly 1:1 as Google exports it: the series in Berlin time (so it
    stays at 10:00 local across a DST change), its exceptions in UTC."""
    lines = feeds.weekly(
        "alice-1on1@google.com",
        "Alice / Olivia",
        first,
        attendees=[feeds.OWNER, ALICE],
        cancelled=cancelled,
    )
    local = {"DTSTART": first, "DTEND": first + timedelta(minutes=30)}
    master = lines.index("END:VEVENT")
    for index, line in enumerate(lines[:master]):
        key = line.partition(":")[0]
        if key in local:
            lines[index] = f"{key};TZID=Europe/Berlin:{local[key]:%Y%m%dT%H%M%S}"
    return lines


@requires_faketime
def test_dst_change_during_a_run_keeps_slots_in_local_hours_and_sends_once(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    """Berlin moves to summer time (2027-03-28, 01:00 UTC) between two cycles: the
    proposal for the week after has its slots in 09:00-17:00 local (+02:00), and
    the cycles before and after the change send one email."""
    cancelled = datetime(2027, 3, 30, 10, 0, tzinfo=BERLIN)
    series = berlin_weekly(datetime(2027, 2, 23, 10, 0, tzinfo=BERLIN), [cancelled])
    clock = FakeClock(tmp_path / "faketime", datetime(2027, 3, 28, 0, 58, tzinfo=UTC))
    rig = make_rig(feeds.calendar(series), interval="2s", clock=clock)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd, **FAST_WATCHDOG) as daemon:
        winter = wait_status(systemd, containing="last cycle 01:5", ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the proposal email")
        # Skip most of the two minutes to the change (a jump, noticed as one).
        clock.set(datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC))
        summer = wait_status(systemd, after=winter.at, containing="last cycle 03:00", timeout=20)
        proposals = rig.proposals()
        assert daemon.stop() == 0

    assert "1 open proposal(s)" in winter.fields["STATUS"]
    assert summer.fields["STATUS"].endswith(": ok")
    assert "1 open proposal(s)" in summer.fields["STATUS"]
    assert len(rig.smtp.messages) == 1
    (proposal,) = proposals
    assert proposal["period_start"] == "2027-03-29T00:00:00+02:00"
    assert proposal["cancelled_start"] == "2027-03-30T10:00:00+02:00"
    assert proposal["slots"]
    for slot in proposal["slots"]:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert slot["start"].endswith("+02:00") and slot["end"].endswith("+02:00")
        assert date(2027, 3, 29) <= start.date() <= date(2027, 4, 2)
        assert start.date() == end.date()
        assert "09:00" <= f"{start:%H:%M}" < f"{end:%H:%M}" <= "17:00"
    assert_clean(daemon.log())
