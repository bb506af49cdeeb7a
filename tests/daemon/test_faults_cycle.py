"""Faults ``cadence daemon`` must live through, 5: a cycle that cannot go on.

A state row nobody can read (a person with a cadence no version of cadence
wrote) stops each cycle at its start. Every such cycle is recorded as failed,
with the error, and logged in one line; the daemon goes on, and the next cycle
after the row is mended is ok.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing

import pytest

from tests.support.daemon import NotifyListener
from tests.support.fault_rig import RigFactory, wait_status

pytestmark = pytest.mark.slow


def cycles(state: object) -> list[tuple[str, dict[str, object]]]:
    with closing(sqlite3.connect(str(state))) as conn:
        rows = conn.execute(
            "SELECT result, summary_json FROM cycles WHERE finished_at IS NOT NULL ORDER BY id"
        ).fetchall()
    return [(result, json.loads(summary or "{}")) for result, summary in rows]


def test_a_cycle_that_cannot_go_on_is_recorded_and_the_daemon_goes_on(
    make_rig: RigFactory,
) -> None:
    rig = make_rig()
    rig.add_alice()
    with closing(sqlite3.connect(rig.state)) as conn, conn:
        conn.execute("UPDATE people SET every = 'daily'")
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        wait_status(systemd, containing="error: unexpected error (ValueError")
        wait_status(systemd, after=time.monotonic(), containing="error: unexpected error")
        assert daemon.process is not None and daemon.process.poll() is None
        with closing(sqlite3.connect(rig.state)) as conn, conn:
            conn.execute("UPDATE people SET every = 'weekly'")
        wait_status(systemd, after=time.monotonic(), ending=": ok", timeout=90)
        assert daemon.stop() == 0
    recorded = cycles(rig.state)
    failed = [summary for result, summary in recorded if result == "failed"]
    assert len(failed) >= 2
    (error,) = failed[0]["errors"]  # type: ignore[misc]
    assert error["step"] == "cycle" and "unknown cadence 'daily'" in error["message"]
    assert recorded[-1][0] in ("ok", "errors")
    log = daemon.log()
    assert "Traceback" not in log
    assert log.count("cycle failed: unexpected error (ValueError") >= 2
