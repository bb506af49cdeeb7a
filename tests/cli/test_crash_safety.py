"""A process killed between "the server took the email" and "state saved" never
causes a second email for the same gap (DESIGN rule 1)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import configs, feeds
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.smtp_server import Received, SmtpTestServer

pytestmark = pytest.mark.slow


def cadence(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CADENCE_CONFIG": str(config),
        "CADENCE_NOW": NOW.isoformat(),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cadence.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def write_config(tmp_path: Path, transport: str, port: int = 0) -> Path:
    feed = tmp_path / "calendar.ics"
    feed.write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    mail = (
        {"maildir": None, "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}}
        if transport == "smtp"
        else {}
    )
    config = configs.write_config(
        tmp_path,
        {"calendar": {"ics": {"url": "calendar.ics"}}, "agenda": {"directory": "agendas"}},
        {"email": {"transport": transport, **mail}},
    )
    code, _, err = finish(
        cadence(config, "person", "add", ALICE, "--name", "Alice", "--every", "weekly")
    )
    assert code == 0, err
    return config


def test_killed_after_smtp_accepted_but_before_commit_sends_no_second_email(
    tmp_path: Path,
) -> None:
    with SmtpTestServer() as smtp:
        config = write_config(tmp_path, "smtp", smtp.port)
        process = cadence(config, "sync")

        def kill_sender(_: Received) -> None:
            # The server has the message; the client is killed before it hears "250".
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

        smtp.on_message = kill_sender
        code, _, _ = finish(process)
        assert code == -signal.SIGKILL
        assert len(smtp.messages) == 1

        smtp.on_message = None
        code, out, err = finish(cadence(config, "sync", "--json"))
        assert code == 0, err
        assert json.loads(out)["emails_sent"] == 0
        assert len(smtp.messages) == 1
        code, out, _ = finish(cadence(config, "status", "--json"))
        assert json.loads(out)["outbox"]["unconfirmed"] == 1
        code, out, _ = finish(cadence(config, "proposals", "list", "--json"))
        (proposal,) = json.loads(out)
        assert proposal["status"] == "sent"


def test_killed_after_the_maildir_write_is_recognised_as_delivered(tmp_path: Path) -> None:
    config = write_config(tmp_path, "maildir")
    code, _, err = finish(cadence(config, "sync"))
    assert code == 0, err
    # Put the outbox back into the state a kill right after delivery leaves behind.
    with sqlite3.connect(tmp_path / "state.db") as conn:
        conn.execute("UPDATE outbox SET status = 'sending', sent_at = NULL")
        conn.execute("UPDATE proposals SET status = 'open'")
    code, out, err = finish(cadence(config, "sync", "--json"))
    assert code == 0, err
    assert json.loads(out)["emails_sent"] == 0
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 1
    code, out, _ = finish(cadence(config, "status", "--json"))
    assert json.loads(out)["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
