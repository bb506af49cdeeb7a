"""Deliver queued emails: at most once per idempotency key.

Before handing a message to the transport the row is marked ``sending`` and
committed. A crash between the transport's acceptance and the ``sent`` commit
leaves the row in ``sending``; on the next start :func:`settle_interrupted`
asks the transport whether it arrived (a Maildir can tell). When it cannot
tell (SMTP), the row becomes ``unconfirmed`` and is not sent again: a second
copy of a proposal is worse than a note in ``cadence status``.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from cadence.daemon.errors import MailError
from cadence.daemon.mail import Transport
from cadence.daemon.store import Proposals

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    errors: tuple[str, ...]


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Return the wait after ``attempts`` failures: capped exponential, with full jitter
    on the upper half so many queued mails do not hit a recovering server at once."""
    ceiling = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), MAX_RETRY)
    fraction = 0.5 + 0.5 * (rng or random).random()
    return ceiling * fraction


def settle_interrupted(proposals: Proposals, transport: Transport, now: datetime) -> None:
    """Resolve rows a crash left in ``sending``: sent, pending again, or unconfirmed."""
    for item in proposals.outbox(["sending"]):
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


def deliver_due(proposals: Proposals, transport: Transport, now: datetime) -> Delivery:
    """Send every queued email that is due; return what happened."""
    sent = failed = 0
    errors: list[str] = []
    for item in proposals.due_mail(now):
        message = message_from_bytes(item.message, policy=policy.SMTP)
        assert isinstance(message, EmailMessage)
        proposals.mark_sending(item.id, now)
        try:
            transport.send(message, item.recipients)
        except MailError as exc:
            failed += 1
            errors.append(str(exc))
            give_up = exc.permanent or item.attempts + 1 >= MAX_ATTEMPTS
            retry_at = None if give_up else now + retry_delay(item.attempts + 1)
            log.warning(
                "email %s to %s not delivered (%s); %s",
                item.message_id,
                ", ".join(item.recipients),
                exc,
                "giving up" if retry_at is None else f"retrying at {retry_at:%H:%M:%S}",
            )
            proposals.mark_failed(item.id, str(exc), retry_at)
            if not exc.permanent:
                # The transport is down: the rest would fail the same way.
                break
            continue
        proposals.mark_sent(item.id, now)
        sent += 1
        log.info("email %s delivered to %s", item.message_id, ", ".join(item.recipients))
    return Delivery(sent, failed, tuple(errors))
