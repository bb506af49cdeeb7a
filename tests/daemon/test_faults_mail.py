"""Faults ``cadence daemon`` must live through, 2: the mail server is down,
refuses or hangs up.

Connections refused, 4xx replies and a connection dropped mid-DATA keep the
email queued and retried with backoff until it is delivered exactly once; a
permanent refusal (5xx) is given up after one attempt and the daemon goes on.

The rig (the real daemon as a subprocess, a notify socket, a feed server, an
SMTP server, the state in a real SQLite file) is in tests/support/fault_rig.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from tests.support.daemon import NotifyListener, wait_until
from tests.support.fault_rig import (
    RigFactory,
    assert_clean,
    cycles_after,
    hang_up_in_data,
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
