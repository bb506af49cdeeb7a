"""Deliver queued emails: at most once per idempotency key.

Before handing a message to the transport the row is marked ``sending`` and
committed. A crash between the transport's acceptance and the ``sent`` commit
leaves the row in ``sending``; on the next start :func:`settle_interrupted`
asks the transport whether it arrived (a Maildir can tell). When it cannot
tell (SMTP), the row becomes ``unconfirmed`` and is not sent again: a second
copy of a proposal is worse than a note in ``cadence status``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from cadence.daemon.backoff import backoff
from cadence.daemon.core.errors import MailError, StoreError
from cadence.daemon.interrupts import pause, shielded
from cadence.daemon.mail import Transport
from cadence.daemon.store import Proposals
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

log = logging.getLogger(__name__)

# Emails this process knows it did not deliver, but could not record so (the
# database stayed locked): outbox key -> (error, when to retry, or None to give
# up). Left in ``sending``, they would be settled as "maybe sent", never retried.
_not_delivered: dict[str, tuple[str, datetime | None]] = {}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``quick_tries`` attempts a few seconds apart within one
    delivery (a dropped connection, a greylisting 4xx), then retries spread out
    over time from ``first`` to ``longest``, until ``max_attempts`` deliveries."""

    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=1)
    quick_tries: int = 3
    max_attempts: int = 50

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        return backoff(attempts, self.first, self.longest, rng)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    errors: tuple[str, ...]


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, MailError) and not exc.permanent


def _send(transport: Transport, message: EmailMessage, recipients: list[str], tries: int) -> None:
    """Send, trying again a few seconds later while the failure may be temporary."""
    retrying = Retrying(
        stop=stop_after_attempt(max(tries, 1)),
        wait=wait_exponential_jitter(multiplier=0.5, max=4, jitter=0.5),
        retry=retry_if_exception(_transient),
        sleep=pause,
        reraise=True,
        # The error names the server already.
        before_sleep=lambda state: log.info(
            "%s; trying again", state.outcome and state.outcome.exception()
        ),
    )
    retrying(transport.send, message, recipients)


@contextmanager
def _senders_lock(proposals: Proposals, *, exclusive: bool) -> Iterator[bool]:
    """Hold the lock file beside the state database; yield whether it was taken.

    Every process sending email holds it shared for as long as a row of its own
    is in ``sending``; :func:`settle_interrupted` takes it exclusively without
    waiting, so it only ever settles rows whose sender is gone (the kernel
    releases the lock of a killed process), never those of a CLI command
    sending while the daemon runs.
    """
    path = proposals.db.path.with_name(proposals.db.path.name + ".senders")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def settle_interrupted(proposals: Proposals, transport: Transport, now: datetime) -> None:
    """Resolve rows a crash left in ``sending``: sent, pending again, or unconfirmed."""
    if not proposals.outbox(["sending"]):
        return
    with _senders_lock(proposals, exclusive=True) as alone:
        if alone:
            _settle(proposals, transport, now)
        else:
            log.debug("another cadence process is sending email; its rows are its own")


def _settle(proposals: Proposals, transport: Transport, now: datetime) -> None:
    for item in proposals.outbox(["sending"]):
        failure = _not_delivered.pop(item.key, None)
        if failure is not None:
            proposals.mark_failed(item.id, *failure)
            continue
        known = transport.delivered(item.message_id)
        if known is True:
            proposals.mark_sent(item.id, now)
        elif known is False:
            proposals.mark_failed(item.id, "interrupted before delivery", now)
        else:
            log.warning(
                "email %s may or may not have been sent before an interruption;"
                " not sending it again (see `cadence status`)",
                item.message_id,
            )
            proposals.mark_sent(item.id, now, status="unconfirmed")


def _nothing() -> None:
    pass


def deliver_due(
    proposals: Proposals,
    transport: Transport,
    now: datetime,
    retry: RetryPolicy | None = None,
    heartbeat: Callable[[], None] = _nothing,
) -> Delivery:
    """Send every queued email that is due; return what happened.

    ``heartbeat`` is called before each email: the service's sign of life.
    """
    retry = retry or RetryPolicy()
    sent = failed = 0
    errors: list[str] = []
    for item in proposals.due_mail(now, longest_wait=retry.longest):
        heartbeat()
        message = message_from_bytes(item.message, policy=policy.SMTP)
        assert isinstance(message, EmailMessage)
        # From "sending" to its outcome, a stop request waits: cut off mid-way,
        # nobody could tell whether the server took the email.
        with shielded(), _senders_lock(proposals, exclusive=False):
            if not proposals.mark_sending(item.id, now):
                continue  # another process (the daemon, a CLI command) took it
            try:
                _send(transport, message, list(item.recipients), retry.quick_tries)
            except MailError as exc:
                failed += 1
                errors.append(str(exc))
                give_up = exc.permanent or item.attempts + 1 >= retry.max_attempts
                retry_at = None if give_up else now + retry.delay(item.attempts + 1)
                log.warning(
                    "email %s to %s not delivered (%s); %s",
                    item.message_id,
                    ", ".join(item.recipients),
                    exc,
                    "giving up"
                    if retry_at is None
                    else f"retrying at {retry_at.astimezone(UTC):%H:%M:%S} UTC",
                )
                try:
                    proposals.mark_failed(item.id, str(exc), retry_at)
                except StoreError:
                    _not_delivered[item.key] = (str(exc), retry_at)
                    raise
                if not exc.permanent:
                    # The transport is down: the rest would fail the same way.
                    break
                continue
            proposals.mark_sent(item.id, now)
        sent += 1
        log.info("email %s delivered to %s", item.message_id, ", ".join(item.recipients))
    return Delivery(sent, failed, tuple(errors))
