"""Faults ``cadence daemon`` must live through, 4: killed mid-cycle.

SIGKILL after the server took the email, while a slow feed is still answering,
or right after an agenda section was written: the restart sends no second
email, records nothing half-done and adds no section twice.

The rig (the real daemon as a subprocess, a notify socket, a feed server, an
SMTP server, the state in a real SQLite file) is in tests/support/fault_rig.py.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest

from tests.support.daemon import NotifyListener, wait_until
from tests.support.fault_rig import (
    AGENDA,
    TOMORROWS_SECTION,
    RigFactory,
    assert_clean,
    cycles_after,
    wait_status,
)
from tests.support.smtp_server import Received

pytestmark = pytest.mark.slow


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
