"""The outbox: claims, retries, settling after a crash, and stops that wait for a send.

Real SQLite files, a real Maildir, a real SMTP server.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from cadence.daemon import interrupts
from cadence.daemon.interrupts import Stopping
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.mail.smtp import SmtpTransport
from cadence.daemon.outbox import RetryPolicy, deliver_due, settle_interrupted
from cadence.daemon.store import NewMail, Store

from tests.support.smtp_server import Received, SmtpTestServer

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
POLICY = RetryPolicy(first=timedelta(minutes=1), longest=timedelta(hours=1))


def message(key: str) -> NewMail:
    mail = EmailMessage()
    mail["From"] = "cadence@example.com"
    mail["To"] = "olivia@example.com"
    mail["Subject"] = f"Test {key}"
    mail["Message-ID"] = f"<{key}@example.com>"
    mail.set_content("hello\n")
    return NewMail(key, f"<{key}@example.com>", ("olivia@example.com",), bytes(mail))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "state.db")
    yield store
    store.close()


@pytest.fixture(autouse=True)
def no_stop_left_over() -> Iterator[None]:
    interrupts.reset()
    yield
    interrupts.reset()


def test_a_row_is_claimed_by_one_process_only(store: Store, tmp_path: Path) -> None:
    store.proposals.enqueue(message("a"), NOW)
    other = Store(tmp_path / "state.db")
    try:
        (item,) = store.proposals.due_mail(NOW)
        assert store.proposals.mark_sending(item.id, NOW)
        assert not other.proposals.mark_sending(item.id, NOW)
    finally:
        other.close()


def test_settling_leaves_alone_the_rows_of_a_sender_still_at_work(
    store: Store, tmp_path: Path
) -> None:
    store.proposals.enqueue(message("a"), NOW)
    (item,) = store.proposals.due_mail(NOW)
    store.proposals.mark_sending(item.id, NOW)
    transport = MaildirTransport(tmp_path / "mail")
    # Another process (a CLI command) is sending: it holds the senders' lock.
    with (tmp_path / "state.db.senders").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_SH)
        settle_interrupted(store.proposals, transport, NOW)
        assert [i.status for i in store.proposals.outbox()] == ["sending"]
    # Once that process is gone (the kernel drops its lock), the row is settled:
    # never delivered to the Maildir, so it is queued again.
    settle_interrupted(store.proposals, transport, NOW)
    assert [i.status for i in store.proposals.outbox()] == ["pending"]


def test_a_retry_planned_before_the_clock_was_set_back_is_due(store: Store) -> None:
    store.proposals.enqueue(message("a"), NOW)
    (item,) = store.proposals.due_mail(NOW)
    store.proposals.mark_sending(item.id, NOW)
    store.proposals.mark_failed(item.id, "451 try later", NOW + timedelta(minutes=30))
    assert store.proposals.due_mail(NOW) == []
    # The wall clock went back a day: 30 minutes became a day and 30 minutes.
    earlier = NOW - timedelta(days=1)
    assert store.proposals.due_mail(earlier) == []
    assert len(store.proposals.due_mail(earlier, longest_wait=POLICY.longest)) == 1
    assert store.proposals.next_attempt() == NOW + timedelta(minutes=30)


@pytest.mark.slow
def test_a_temporary_refusal_is_tried_again_within_the_same_delivery(store: Store) -> None:
    store.proposals.enqueue(message("a"), NOW)
    with SmtpTestServer() as server:
        server.rcpt_reply = "451 4.3.0 Try again later"

        def recover() -> None:
            server.rcpt_reply = None

        threading.Timer(0.1, recover).start()
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        delivery = deliver_due(store.proposals, transport, NOW, POLICY)
    assert (delivery.sent, delivery.failed) == (1, 0)
    assert len(server.messages) == 1
    (item,) = store.proposals.outbox()
    assert (item.status, item.attempts) == ("sent", 1)


@pytest.mark.slow
def test_an_outage_schedules_a_backed_off_retry(store: Store) -> None:
    store.proposals.enqueue(message("a"), NOW)
    down = SmtpTestServer()  # never started: its port refuses connections
    transport = SmtpTransport(down.host, down.port, "none", timeout=2)
    quick = RetryPolicy(first=POLICY.first, longest=POLICY.longest, quick_tries=1)
    delivery = deliver_due(store.proposals, transport, NOW, quick)
    assert (delivery.sent, delivery.failed) == (0, 1)
    (item,) = store.proposals.outbox()
    assert item.status == "pending" and "connection refused" in (item.last_error or "")
    assert NOW + POLICY.first / 2 <= item.next_attempt_at <= NOW + POLICY.first


@pytest.mark.slow
def test_a_permanent_refusal_is_not_retried(store: Store) -> None:
    store.proposals.enqueue(message("a"), NOW)
    with SmtpTestServer() as server:
        server.data_reply = "554 5.7.1 Rejected"
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        delivery = deliver_due(store.proposals, transport, NOW, POLICY)
    assert delivery.failed == 1
    (item,) = store.proposals.outbox()
    assert (item.status, item.attempts) == ("failed", 1)
    assert store.proposals.due_mail(NOW + timedelta(days=1), POLICY.longest) == []


@pytest.mark.slow
def test_a_stop_asked_for_during_a_send_waits_until_the_outcome_is_saved(
    store: Store,
) -> None:
    store.proposals.enqueue(message("a"), NOW)
    store.proposals.enqueue(message("b"), NOW)
    with SmtpTestServer() as server:

        def stop_now(_: Received) -> None:
            # As SIGTERM would, while the server holds the email but has not answered.
            interrupts.request_stop()

        server.on_message = stop_now
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        with pytest.raises(Stopping):
            deliver_due(store.proposals, transport, NOW, POLICY)
    # The first email's delivery was recorded before stopping; the second waits.
    assert [(i.status, i.attempts) for i in store.proposals.outbox()] == [
        ("sent", 1),
        ("pending", 0),
    ]
    assert len(server.messages) == 1


def test_outside_a_send_a_stop_takes_effect_at_once() -> None:
    with pytest.raises(Stopping):
        interrupts.request_stop()
    assert interrupts.stop_requested()


def test_the_senders_lock_file_is_private(store: Store, tmp_path: Path) -> None:
    store.proposals.enqueue(message("a"), NOW)
    deliver_due(store.proposals, MaildirTransport(tmp_path / "mail"), NOW, POLICY)
    mode = os.stat(tmp_path / "state.db.senders").st_mode & 0o777
    assert mode & 0o077 == 0
