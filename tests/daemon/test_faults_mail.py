"""Faults ``cadence daemon`` must live through, 2: the mail server is down,
refuses or hangs up.

Connections refused, 4xx replies and a connection dropped mid-DATA keep the
email queued and retried with backoff until it is delivered exactly once; a
permanent refusal (5xx) is given up after one attempt and the daemon goes on.

The rig (the real daemon as a subprocess, a notify socket, a feed server, an
SMTP server, the state in a real SQLite file) is in tests/support/fault_rig.py.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from tests.support.daemon import NotifyListener, stop_is_prompt, wait_until
from tests.support.fault_rig import (
    RigFactory,
    assert_clean,
    cycles_after,
    hang_up_in_data,
    output,
    recover,
    refuse_data,
    refuse_recipients,
    undelivered_ids,
    wait_status,
)
from tests.support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow


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
        (queued,) = output(rig.cadence("outbox", "list"))
        assert status["outbox"]["pending"] == 1
        # Each attempt is on record while the email waits for the next.
        assert queued["status"] == "pending" and queued["next_try"] is not None
        assert queued["attempts"] >= 3 and "connection refused" in queued["last_error"]
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


def test_a_drop_after_the_end_of_data_is_unconfirmed_and_sent_again_only_on_purpose(
    make_rig: RigFactory,
) -> None:
    """The server keeps the email and hangs up before its answer: the daemon cannot
    know it arrived, so it records it unconfirmed and never sends it again by
    itself; status shows it with the command that re-sends it on purpose."""
    rig = make_rig()
    rig.add_alice()
    rig.smtp.drop_after_data = True
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        daemon.wait_for_log("may or may not have arrived")
        rig.smtp.drop_after_data = False
        cycles_after(systemd, time.monotonic(), 3)
        status, (proposal,) = rig.snapshot()
        assert len(rig.smtp.messages) == 1
        (email,) = status["unconfirmed_emails"]
        resent = subprocess.run(
            [sys.executable, "-m", "cadence.cli", "--config", str(rig.config),
             "outbox", "resend", str(email["id"])],
            env={**os.environ, "CADENCE_NOW": rig.now().isoformat(), "CADENCE_SMTP_PASSWORD": ""},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert resent.returncode == 0, resent.stderr
        cycles_after(systemd, time.monotonic(), 1)
        after = rig.status()
        assert daemon.stop() == 0

    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 1}
    assert email["resend"] == f"cadence outbox resend {email['id']}"
    assert proposal["status"] == "sent"
    assert len(rig.smtp.messages) == 2  # the second on purpose
    assert after["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    assert "trying again" not in daemon.log()
    assert_clean(daemon.log())


def test_sigterm_while_the_server_never_answers_leaves_the_email_pending(
    make_rig: RigFactory,
) -> None:
    """A mail server that takes the connection and never says a word: SIGTERM
    stops the daemon at once (no grace timer), and since nothing was handed
    over the email is still waiting, not "maybe sent"; it goes out once later."""
    rig = make_rig(smtp_running=False, extra={"email": {"smtp": {"timeout": "30s"}}})
    rig.add_alice()
    accepted: list[socket.socket] = []
    with socket.socket() as silent:
        silent.bind(rig.smtp.address)
        silent.listen()
        with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
            conn, _ = silent.accept()
            accepted.append(conn)
            time.sleep(0.5)  # the daemon waits for the greeting
            code, took = stop_is_prompt(daemon)
        conn.close()
    assert code == 0 and took < 5
    assert "could not stop" not in daemon.log()
    status = rig.status()
    assert status["outbox"] == {"pending": 1, "failed": 0, "unconfirmed": 0}

    rig.start_smtp()
    with NotifyListener() as systemd, rig.daemon(systemd) as again:
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the email")
        cycles_after(systemd, time.monotonic(), 1)
        assert again.stop() == 0
    assert len(rig.smtp.messages) == 1
    assert_clean(again.log())
