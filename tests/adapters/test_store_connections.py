"""Several connections to the state database in one process (the daemon's, and one
per thread of its web app) while other processes (the command line) use it too.

Opening a connection must not disturb the ones already open: closing any
descriptor of a file drops every POSIX lock the process holds on it, and SQLite
holds such locks on the database's -shm file for as long as a connection lives.
A new connection that opened and closed the file would leave the older one
unprotected, and the next process to open the database would rebuild the
shared index under it ("disk I/O error").
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from cadence.daemon.store import Store

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def write_from_another_process(path: Path, key: str) -> None:
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
        "c.execute('PRAGMA journal_mode=WAL'); "
        "c.execute('INSERT INTO meta VALUES (?, ?)', (sys.argv[2], 'x')); c.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(path), key], check=True, timeout=30)


def test_a_second_connection_leaves_the_first_one_working(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(path)
    first.set_meta("first", "1")
    for round_ in range(3):
        second = Store(path)  # as a web app's thread opens its own
        write_from_another_process(path, f"cli-{round_}")
        first.set_meta(f"after-{round_}", "1")
        second.set_meta(f"second-{round_}", "1")
        assert first.get_meta(f"cli-{round_}") == "x"
        second.close()
    check = first.db.conn.execute("PRAGMA integrity_check").fetchone()[0]
    first.close()
    assert check == "ok"
