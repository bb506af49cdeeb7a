"""The outbox: claims at the hand-over, attempts recorded before every pause,
the uncertain case kept apart, settling after a crash, and stops.

Real SQLite files, a real Maildir, a real SMTP server (and a silent socket).
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from cadence.daemon import interrupts
from cadence.daemon.core.errors import NotFoundError, UsageError
from cadence.daemon.interrupts import Stopping
from cadence.daemon.mail import HandOver, Transport, always, nothing
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.mail.smtp import SmtpTransport
from cadence.daemon.outbox import RetryPolicy, deliver_due, settle_interrupted
from cadence.daemon.queued_mail import confirm, resend
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


def statuses(store: Store) -> list[tuple[str, int]]:
    return [(i.status, i.attempts) for i in store.outbox.items()]


def test_a_row_is_claimed_by_one_process_only(store: Store, tmp_path: Path) -> None:
    store.outbox.enqueue(message("a"), NOW)
    other = Store(tmp_path / "state.db")
    try:
        (item,) = store.outbox.due(NOW)
        assert store.outbox.claim(item.id, NOW)
        assert not other.outbox.claim(item.id, NOW)
    finally:
        other.close()


class ClaimedMeanwhile:
    """A real transport whose hand-over finds the row taken by another process
    (``other`` claims it just before), as when the daemon and a CLI command race."""

    def __init__(self, inner: Transport, other: Store, item_id: int) -> None:
        self.inner, self.other, self.item_id = inner, other, item_id
        self.name = inner.name

    def send(
        self,
        message: EmailMessage,
        recipients: Sequence[str],
        handover: HandOver = always,
        taken: Callable[[], None] = nothing,
    ) -> bool:
        def late() -> bool:
            assert self.other.outbox.claim(self.item_id, NOW)
            return handover()

        return self.inner.send(message, recipients, late, taken)

    def delivered(self, message_id: str) -> bool | None:
        return self.inner.delivered(message_id)

    def check(self) -> None:
        self.inner.check()


@pytest.mark.slow
def test_an_email_taken_by_another_process_at_the_hand_over_is_left_to_it(
    store: Store, tmp_path: Path
) -> None:
    store.outbox.enqueue(message("a"), NOW)
    (item,) = store.outbox.due(NOW)
    other = Store(tmp_path / "state.db")
    try:
        with SmtpTestServer() as server:
            transport = ClaimedMeanwhile(
                SmtpTransport(server.host, server.port, "none", timeout=5), other, item.id
            )
            delivery = deliver_due(store.outbox, transport, NOW, POLICY)
    finally:
        other.close()
    # The message data was never ended: the server discarded it.
    assert server.messages == []
    assert (delivery.sent, delivery.failed) == (0, 0)
    assert statuses(store) == [("sending", 1)]


def test_settling_leaves_alone_the_rows_of_a_sender_still_at_work(
    store: Store, tmp_path: Path
) -> None:
    store.outbox.enqueue(message("a"), NOW)
    (item,) = store.outbox.due(NOW)
    store.outbox.claim(item.id, NOW)
    transport = MaildirTransport(tmp_path / "mail")
    # Another process (a CLI command) is sending: it holds the senders' lock.
    with (tmp_path / "state.db.senders").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_SH)
        settle_interrupted(store.outbox, transport, NOW)
        assert [i.status for i in store.outbox.items()] == ["sending"]
    # Once that process is gone (the kernel drops its lock), the row is settled:
    # never delivered to the Maildir, so it is queued again.
    settle_interrupted(store.outbox, transport, NOW)
    assert [i.status for i in store.outbox.items()] == ["pending"]


@pytest.mark.slow
def test_a_row_left_handing_over_to_smtp_becomes_unconfirmed(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    (item,) = store.outbox.due(NOW)
    store.outbox.claim(item.id, NOW)  # then the process died
    with SmtpTestServer() as server:
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        settle_interrupted(store.outbox, transport, NOW)
        assert deliver_due(store.outbox, transport, NOW + timedelta(days=1), POLICY).sent == 0
    assert statuses(store) == [("unconfirmed", 1)]
    assert server.messages == []


def test_a_retry_planned_before_the_clock_was_set_back_is_due(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    (item,) = store.outbox.due(NOW)
    store.outbox.record_not_delivered(
        item.id, "451 try later", NOW + timedelta(minutes=30), claimed=False
    )
    assert store.outbox.due(NOW) == []
    # The wall clock went back a day: 30 minutes became a day and 30 minutes.
    earlier = NOW - timedelta(days=1)
    assert store.outbox.due(earlier) == []
    assert len(store.outbox.due(earlier, longest_wait=POLICY.longest)) == 1
    assert store.outbox.next_due() == NOW + timedelta(minutes=30)


@pytest.mark.slow
def test_every_failed_attempt_is_recorded_before_the_pause_that_follows(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    seen: list[tuple[str, int, str]] = []

    def look() -> None:
        # Called before each attempt, so after each pause: what a SIGKILL during
        # that pause would have left behind (a row due again in a moment).
        (item,) = store.outbox.items()
        assert item.next_try is not None and item.next_try <= NOW + timedelta(seconds=10)
        seen.append((item.status, item.attempts, item.last_error or ""))

    with SmtpTestServer() as server:
        server.data_reply = "451 4.3.0 Try again later"
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        delivery = deliver_due(store.outbox, transport, NOW, POLICY, look)
    assert (delivery.sent, delivery.failed) == (0, 1)
    assert seen[0] == ("pending", 0, "")
    for status, _, error in seen[1:]:
        assert status == "pending" and "451" in error
    assert [attempts for _, attempts, _ in seen] == [0, 1, 2]
    (item,) = store.outbox.items()
    assert (item.status, item.attempts) == ("pending", 3)
    assert (
        NOW + POLICY.first / 2 <= item.next_attempt_at <= NOW + POLICY.first + timedelta(seconds=30)
    )


@pytest.mark.slow
def test_a_temporary_refusal_is_tried_again_within_the_same_delivery(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    with SmtpTestServer() as server:
        server.plan = iter(["451", "drop-before", "ok"]).__next__
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        delivery = deliver_due(store.outbox, transport, NOW, POLICY)
    assert (delivery.sent, delivery.failed) == (1, 0)
    assert len(server.messages) == 1
    assert statuses(store) == [("sent", 3)]


@pytest.mark.slow
def test_an_outage_schedules_a_backed_off_retry(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    down = SmtpTestServer()  # never started: its port refuses connections
    transport = SmtpTransport(down.host, down.port, "none", timeout=2)
    quick = RetryPolicy(first=POLICY.first, longest=POLICY.longest, quick_tries=1)
    delivery = deliver_due(store.outbox, transport, NOW, quick)
    assert (delivery.sent, delivery.failed) == (0, 1)
    (item,) = store.outbox.items()
    assert item.status == "pending" and "connection refused" in (item.last_error or "")
    assert NOW + POLICY.first / 2 <= item.next_attempt_at <= NOW + POLICY.first
    assert item.next_try == item.next_attempt_at


@pytest.mark.slow
def test_a_permanent_refusal_is_not_retried(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    with SmtpTestServer() as server:
        server.data_reply = "554 5.7.1 Rejected"
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        delivery = deliver_due(store.outbox, transport, NOW, POLICY)
    assert delivery.failed == 1
    (item,) = store.outbox.items()
    assert (item.status, item.attempts, item.next_try) == ("failed", 1, None)
    assert store.outbox.due(NOW + timedelta(days=1), POLICY.longest) == []


@pytest.mark.slow
def test_a_drop_after_the_end_of_data_is_unconfirmed_and_never_retried(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    store.outbox.enqueue(message("b"), NOW)
    with SmtpTestServer() as server:
        server.plan = iter(["drop-after", "ok"]).__next__
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        delivery = deliver_due(store.outbox, transport, NOW, POLICY)
        later = deliver_due(store.outbox, transport, NOW + timedelta(days=1), POLICY)
    assert (delivery.sent, delivery.unconfirmed, later.sent) == (1, 1, 0)
    assert "may have taken it" in delivery.errors[0]
    assert statuses(store) == [("unconfirmed", 1), ("sent", 1)]
    # The server got each once: the uncertain one was not sent again blindly.
    assert sorted(m.message["Message-ID"] for m in server.messages) == [
        "<a@example.com>",
        "<b@example.com>",
    ]


def test_confirm_and_resend_refuse_what_they_cannot_do(store: Store, tmp_path: Path) -> None:
    store.outbox.enqueue(message("a"), NOW)
    (item,) = store.outbox.items()
    maildir = MaildirTransport(tmp_path / "mail")
    with pytest.raises(NotFoundError, match="cadence outbox list"):
        resend(store.outbox, maildir, item.id + 1, NOW, POLICY)
    with pytest.raises(UsageError, match="email 1 is pending"):
        resend(store.outbox, maildir, item.id, NOW, POLICY)
    with pytest.raises(UsageError, match="only unconfirmed"):
        confirm(store.outbox, item.id)


@pytest.mark.slow
def test_resend_and_confirm_an_unconfirmed_email(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    store.outbox.enqueue(message("b"), NOW)
    with SmtpTestServer() as server:
        server.drop_after_data = True
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        deliver_due(store.outbox, transport, NOW, POLICY)
        deliver_due(store.outbox, transport, NOW, POLICY)
        first, second = store.outbox.items()
        assert (first.status, second.status) == ("unconfirmed", "unconfirmed")
        server.drop_after_data = False
        resent = resend(store.outbox, transport, first.id, NOW, POLICY)
        confirmed = confirm(store.outbox, second.id)
    assert (resent.status, resent.attempts) == ("sent", 1)
    assert confirmed.status == "sent"
    ids = [m.message["Message-ID"] for m in server.messages]
    # The first went out twice, the second time on the owner's word.
    assert sorted(ids) == ["<a@example.com>", "<a@example.com>", "<b@example.com>"]


@pytest.mark.slow
def test_a_stop_during_the_hand_over_waits_until_the_outcome_is_saved(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    store.outbox.enqueue(message("b"), NOW)
    with SmtpTestServer() as server:

        def stop_now(_: Received) -> None:
            # As SIGTERM would, while the server holds the email but has not answered.
            interrupts.request_stop()

        server.on_message = stop_now
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        with pytest.raises(Stopping):
            deliver_due(store.outbox, transport, NOW, POLICY)
    # The first email's delivery was recorded before stopping; the second waits.
    assert statuses(store) == [("sent", 1), ("pending", 0)]
    assert len(server.messages) == 1


@pytest.fixture
def sigterm_stops() -> Iterator[None]:
    """SIGTERM asks for a stop, as the service's handler does."""
    previous = signal.signal(signal.SIGTERM, lambda *_: interrupts.request_stop())
    yield
    signal.signal(signal.SIGTERM, previous)


def sigterm_in(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


@pytest.mark.slow
@pytest.mark.usefixtures("sigterm_stops")
def test_a_stop_while_a_server_never_answers_leaves_the_email_pending(store: Store) -> None:
    """A server that takes the connection and never greets: SIGTERM ends the attempt
    at once, and the email was never handed over, so it stays pending."""
    store.outbox.enqueue(message("a"), NOW)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        transport = SmtpTransport("127.0.0.1", silent.getsockname()[1], "none", timeout=20)
        sigterm_in(0.3)
        started = time.monotonic()
        with pytest.raises(Stopping):
            deliver_due(store.outbox, transport, NOW, POLICY)
        took = time.monotonic() - started
    assert took < 5
    assert statuses(store) == [("pending", 0)]
    settle_interrupted(store.outbox, transport, NOW)
    assert statuses(store) == [("pending", 0)]


@pytest.mark.slow
@pytest.mark.usefixtures("sigterm_stops")
def test_a_stop_during_the_pause_between_tries_leaves_the_attempt_recorded(store: Store) -> None:
    store.outbox.enqueue(message("a"), NOW)
    slow = RetryPolicy(
        first=POLICY.first,
        longest=POLICY.longest,
        quick_first=timedelta(seconds=20),
        quick_longest=timedelta(seconds=20),
    )
    with SmtpTestServer() as server:
        server.drop_at_data = True
        transport = SmtpTransport(server.host, server.port, "none", timeout=5)
        sigterm_in(0.5)
        started = time.monotonic()
        with pytest.raises(Stopping):
            deliver_due(store.outbox, transport, NOW, slow)
    assert time.monotonic() - started < 5
    (item,) = store.outbox.items()
    assert (item.status, item.attempts) == ("pending", 1)
    assert "connection lost" in (item.last_error or "")
    assert item.next_attempt_at > NOW


def test_outside_a_send_a_stop_takes_effect_at_once() -> None:
    with pytest.raises(Stopping):
        interrupts.request_stop()
    assert interrupts.stop_requested()


def test_the_senders_lock_file_is_private(store: Store, tmp_path: Path) -> None:
    store.outbox.enqueue(message("a"), NOW)
    deliver_due(store.outbox, MaildirTransport(tmp_path / "mail"), NOW, POLICY)
    mode = os.stat(tmp_path / "state.db.senders").st_mode & 0o777
    assert mode & 0o077 == 0
