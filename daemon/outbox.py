"""Deliver queued emails: none lost, none sent twice by accident.

An email is ``pending`` until the moment it is handed over (see
cadence.daemon.mail): only then is it marked ``sending``, and its outcome is
recorded before anything else happens. So the row says at every instant what
is known:

- A failure before the hand-over (connection refused, a 4xx to RCPT, a
  connection dropped before the end of the data) certainly delivered nothing:
  the attempt is recorded with its next try *before* any pause, and a crash
  during the pause leaves a ``pending`` row that is simply sent later.
- A failure after the end of the data (the server never answered the final
  ".") may have delivered it: the row becomes ``unconfirmed`` and is never
  sent again by itself. A second copy of a proposal is worse than a line in
  ``cadence status``; the owner re-sends it on purpose (``cadence outbox
  resend ID``) or says it arrived (``cadence outbox confirm ID``).
- A crash during the hand-over leaves ``sending``; :func:`settle_interrupted`
  asks the transport at the next start whether it arrived (a Maildir can
  tell) and otherwise records it ``unconfirmed`` too.

A stop request (SIGTERM) ends a delivery at once, except during the hand-over,
which is shielded until its outcome is recorded: a stop never turns an email
that was not handed over into an unconfirmed one.
"""

from __future__ import annotations

import enum
import fcntl
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from cadence.daemon.backoff import backoff
from cadence.daemon.core.errors import MailError, StoreError
from cadence.daemon.credentials import private_file
from cadence.daemon.interrupts import pause, shielded
from cadence.daemon.mail import Transport
from cadence.daemon.store import Outbox, OutboxItem

log = logging.getLogger(__name__)

# What this process knows about emails it handed over (or failed to) but could
# not record, because the database stayed locked: outbox key -> (status, error,
# next try). Left in ``sending`` they would be settled as "maybe sent".
_unrecorded: dict[str, tuple[str, str | None, datetime | None]] = {}

# The command that sends an unconfirmed (or failed) email again, on purpose.
RESEND = "cadence outbox resend {id}"
_AS_STORED = policy.SMTP.clone(refold_source="none")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: up to ``quick_tries`` attempts a few seconds apart within one
    delivery (a dropped connection, a greylisting 4xx), then deliveries spread out
    over time from ``first`` to ``longest``, until ``max_attempts`` attempts in all
    (each connection to the server counts)."""

    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=1)
    quick_tries: int = 3
    max_attempts: int = 150
    quick_first: timedelta = timedelta(seconds=0.5)
    quick_longest: timedelta = timedelta(seconds=4)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after a delivery whose last attempt was the ``attempts``-th."""
        deliveries = math.ceil(attempts / max(self.quick_tries, 1))
        return backoff(deliveries, self.first, self.longest, rng)

    def quick_pause(self, tries: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the ``tries``-th failed attempt of one delivery."""
        return backoff(tries, self.quick_first, self.quick_longest, rng)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    errors: tuple[str, ...]
    unconfirmed: int = 0


class _Outcome(enum.Enum):
    SENT = "sent"
    TAKEN = "taken"  # another process has the email
    AGAIN_SOON = "again soon"  # not delivered; the next quick try is recorded
    LATER = "later"  # not delivered; retried at a later delivery
    FAILED = "failed"  # not delivered, given up
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class _Result:
    """One attempt: how it ended, the error met, and for AGAIN_SOON the wait."""

    outcome: _Outcome
    error: str | None = None
    wait: float = 0.0


@contextmanager
def _senders_lock(outbox: Outbox, *, exclusive: bool) -> Iterator[bool]:
    """Hold the lock file beside the state database; yield whether it was taken.

    Every process sending email holds it shared while it may put a row in
    ``sending``; :func:`settle_interrupted` takes it exclusively without
    waiting, so it only ever settles rows whose sender is gone (the kernel
    releases the lock of a killed process), never those of a CLI command
    sending while the daemon runs.
    """
    path = outbox.db.path.with_name(outbox.db.path.name + ".senders")
    private_file(path)  # 0600 whatever the umask; a lock needs no write access
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def settle_interrupted(outbox: Outbox, transport: Transport, now: datetime) -> None:
    """Resolve rows a crash left in ``sending``: sent, pending again, or unconfirmed."""
    if not outbox.items(["sending"]):
        return
    with _senders_lock(outbox, exclusive=True) as alone:
        if alone:
            _settle(outbox, transport, now)
        else:
            log.debug("another cadence process is sending email; its rows are its own")


def _settle(outbox: Outbox, transport: Transport, now: datetime) -> None:
    for item in outbox.items(["sending"]):
        known = _unrecorded.pop(item.key, None)
        if known is not None:
            status, error, retry_at = known
            if status == "sent":
                outbox.record_sent(item.id, now)
            elif status == "unconfirmed":
                outbox.record_unconfirmed(item.id, error or "", now)
            else:
                outbox.record_not_delivered(item.id, error or "", retry_at, claimed=True)
            continue
        arrived = transport.delivered(item.message_id)
        if arrived is True:
            outbox.record_sent(item.id, now)
        elif arrived is False:
            outbox.record_not_delivered(item.id, "interrupted before delivery", now, claimed=True)
        else:
            log.warning(
                "email %s may or may not have been sent before an interruption; not sending"
                " it again by itself (`%s` sends it on purpose)",
                item.message_id,
                RESEND.format(id=item.id),
            )
            outbox.record_unconfirmed(item.id, "interrupted while handing it over", now)


def _nothing() -> None:
    pass


def deliver_due(
    outbox: Outbox,
    transport: Transport,
    now: datetime,
    retry: RetryPolicy | None = None,
    heartbeat: Callable[[], None] = _nothing,
    *,
    only: int | None = None,
) -> Delivery:
    """Send every queued email that is due (or only the one with id ``only``);
    return what happened.

    ``heartbeat`` is called before each attempt: the service's sign of life.
    Raise StoreError when an outcome cannot be recorded (the database stayed locked).
    """
    retry = retry or RetryPolicy()
    started = time.monotonic()

    def clock() -> datetime:
        # "now" as it moves on through pauses and slow servers.
        return now + timedelta(seconds=time.monotonic() - started)

    counts = {outcome: 0 for outcome in _Outcome}
    errors: list[str] = []
    for item in outbox.due(now, longest_wait=retry.longest):
        if only is not None and item.id != only:
            continue
        outcome = _deliver(outbox, transport, item, retry, clock, heartbeat, errors)
        counts[outcome] += 1
        if outcome is _Outcome.LATER:
            # The transport is down: the rest would fail the same way.
            break
    failed = counts[_Outcome.LATER] + counts[_Outcome.FAILED]
    return Delivery(counts[_Outcome.SENT], failed, tuple(errors), counts[_Outcome.UNCONFIRMED])


def _deliver(
    outbox: Outbox,
    transport: Transport,
    item: OutboxItem,
    retry: RetryPolicy,
    clock: Callable[[], datetime],
    heartbeat: Callable[[], None],
    errors: list[str],
) -> _Outcome:
    """Deliver one email, with up to ``retry.quick_tries`` attempts; return how it ended."""
    # Sent as it was rendered and stored: the headers were folded then (see
    # core/headers.py), and refolding could only break them.
    message = message_from_bytes(item.message, policy=_AS_STORED)
    assert isinstance(message, EmailMessage)
    attempts = item.attempts
    for tries in range(1, max(retry.quick_tries, 1) + 1):
        heartbeat()
        if not outbox.is_pending(item.id):
            return _Outcome.TAKEN  # another process (the daemon, a CLI command) took it
        attempts += 1
        result = _attempt(outbox, transport, item, message, retry, clock, attempts, tries)
        if result.outcome is _Outcome.AGAIN_SOON:
            pause(result.wait)
            continue
        if result.error is not None:
            errors.append(result.error)
        return result.outcome
    return _Outcome.LATER  # not reached: the last quick try is never AGAIN_SOON


def _attempt(
    outbox: Outbox,
    transport: Transport,
    item: OutboxItem,
    message: EmailMessage,
    retry: RetryPolicy,
    clock: Callable[[], datetime],
    attempts: int,
    tries: int,
) -> _Result:
    """Make one attempt and record its outcome before returning it."""
    recipients = ", ".join(item.recipients)
    with _senders_lock(outbox, exclusive=False), ExitStack() as handing_over:
        claimed = recorded = False

        def handover() -> bool:
            nonlocal claimed
            # From here until its outcome is recorded a stop request waits (it is
            # raised when the ExitStack closes): cut off mid-way, nobody could
            # tell whether the email arrived.
            handing_over.enter_context(shielded())
            claimed = outbox.claim(item.id, clock())
            return claimed

        def taken() -> None:
            nonlocal recorded
            _record(item, ("sent", None, None), claimed, outbox, clock)
            recorded = True
            handing_over.close()  # a stop asked for meanwhile need not wait for the goodbye

        try:
            if not transport.send(message, list(item.recipients), handover, taken):
                return _Result(_Outcome.TAKEN)
        except MailError as exc:
            if recorded:
                # Taken, then something else went wrong (recipients refused in part).
                log.warning("email %s delivered, but: %s", item.message_id, exc)
                return _Result(_Outcome.SENT, str(exc))
            if exc.unknown and claimed:
                log.warning(
                    "email %s to %s may or may not have arrived (%s); not sending it again by"
                    " itself: `%s` sends it on purpose",
                    item.message_id,
                    recipients,
                    exc,
                    RESEND.format(id=item.id),
                )
                _record(item, ("unconfirmed", str(exc), None), claimed, outbox, clock)
                return _Result(_Outcome.UNCONFIRMED, str(exc))
            return _not_delivered(outbox, item, exc, retry, clock, attempts, tries, claimed)
        if not recorded:
            _record(item, ("sent", None, None), claimed, outbox, clock)
    log.info("email %s delivered to %s", item.message_id, recipients)
    return _Result(_Outcome.SENT)


def _not_delivered(
    outbox: Outbox,
    item: OutboxItem,
    exc: MailError,
    retry: RetryPolicy,
    clock: Callable[[], datetime],
    attempts: int,
    tries: int,
    claimed: bool,
) -> _Result:
    now = clock()
    retry_at: datetime | None = None
    wait = timedelta(0)
    if exc.permanent or attempts >= retry.max_attempts:
        outcome, plan = _Outcome.FAILED, "giving up"
    elif tries < retry.quick_tries:
        wait = retry.quick_pause(tries)
        retry_at, outcome = now + wait, _Outcome.AGAIN_SOON
        plan = f"trying again in {wait.total_seconds():.1f} s"
    else:
        retry_at, outcome = now + retry.delay(attempts), _Outcome.LATER
        plan = f"retrying at {retry_at.astimezone(UTC):%H:%M:%S} UTC"
    log.warning(
        "email %s to %s not delivered (%s); %s",
        item.message_id,
        ", ".join(item.recipients),
        exc,
        plan,
    )
    _record(item, ("pending" if retry_at else "failed", str(exc), retry_at), claimed, outbox, clock)
    return _Result(outcome, str(exc), wait.total_seconds())


def _record(
    item: OutboxItem,
    outcome: tuple[str, str | None, datetime | None],
    claimed: bool,
    outbox: Outbox,
    clock: Callable[[], datetime],
) -> None:
    """Record an attempt's outcome; when the database refuses, remember it for
    :func:`settle_interrupted` (a claimed row would stay ``sending``) and raise."""
    status, error, retry_at = outcome
    try:
        if status == "sent":
            outbox.record_sent(item.id, clock())
        elif status == "unconfirmed":
            outbox.record_unconfirmed(item.id, error or "", clock())
        else:
            outbox.record_not_delivered(item.id, error or "", retry_at, claimed=claimed)
    except StoreError:
        if claimed:
            _unrecorded[item.key] = outcome
        raise
