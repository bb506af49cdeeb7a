"""Faults ``cadence daemon`` must live through, 1: another process holds the state
database.

A write lock held past SQLite's 10 s busy timeout fails one cycle, logged and
reported, and the next cycle does the work, also for an email the server
refused meanwhile; a shorter lock only makes the cycle and a CLI write wait.
Nothing is lost, nothing repeated: one proposal and one email per gap.

The rig (the real daemon as a subprocess, a notify socket, a feed server, an
SMTP server, the state in a real SQLite file) is in tests/support/fault_rig.py.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.daemon import NotifyListener, wait_until
from tests.support.fault_rig import (
    BOB,
    RigFactory,
    assert_clean,
    cycles_after,
    recover,
    refuse_data,
    wait_status,
)
from tests.support.people import NEXT_WEEK, NOW, alice_series

pytestmark = pytest.mark.slow

WEEK_AFTER = NEXT_WEEK + timedelta(weeks=1)

# The two tests that outwait SQLite's 10 s busy timeout start the file, so
# they start early in a run and end before the rest of the slow tests.


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
    """The server refused the email (451) after its hand-over began, and a lock keeps
    the daemon from recording that: the email is known not to have gone out, so it
    is tried again once the database is free, not filed as "maybe sent"."""
    rig = make_rig()
    rig.add_alice()
    refuse_data(rig.smtp)
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with write_lock(rig.state):
            locked.set()
            release.wait(30)

    def lock_before_answering(mode: str, message_id: str | None) -> None:
        # The daemon has marked the email as being handed over; now the database
        # is locked before it hears the 451 it has to record.
        rig.smtp.on_answer = None
        threading.Thread(target=hold_lock, daemon=True).start()
        assert locked.wait(10)

    rig.smtp.on_answer = lock_before_answering
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        assert locked.wait(30)
        daemon.wait_for_log("trying again")
        # Logged just before the refusal is recorded: that write waits out its
        # 10 s busy timeout and fails.
        time.sleep(11)
        release.set()
        released = time.monotonic()
        recover(rig.smtp)
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the email, once")
        cycles_after(systemd, released, 2)
        status, (proposal,) = rig.snapshot()
        reported = [n.fields["STATUS"] for n in systemd.seen("STATUS")]
        assert daemon.stop() == 0

    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert len(rig.smtp.messages) == 1
    assert proposal["status"] == "sent"
    assert any("the state database is busy" in line for line in reported)
    log = daemon.log()
    assert "may or may not" not in log
    assert_clean(log)


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
