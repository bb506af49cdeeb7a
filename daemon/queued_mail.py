"""The outbox as the owner sees it: ``cadence outbox list``, ``resend`` and
``confirm``, and the emails that need the owner's word (``status``, ``doctor``
and the digest show them).

An email is unconfirmed when it was handed over and the server's answer never
came: it may have arrived. cadence never sends it again by itself; the owner
checks (with the recipient, or in the mailbox), then re-sends it on purpose or
says it arrived. With the same Message-ID, a second copy that does meet the
first is recognised as a duplicate by most mail clients.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.core.errors import NotFoundError, UsageError
from cadence.daemon.mail import Transport
from cadence.daemon.outbox import RESEND, RetryPolicy, deliver_due
from cadence.daemon.store import Outbox, OutboxItem

__all__ = ["CONFIRM", "RESEND", "QueuedEmail", "confirm", "listing", "resend", "unconfirmed"]

log = logging.getLogger(__name__)

CONFIRM = "cadence outbox confirm {id}"
# What `cadence outbox list` shows without --all, and with it.
WAITING = ("pending", "sending", "failed", "unconfirmed")
EVERY = (*WAITING, "sent")


@dataclass(frozen=True)
class QueuedEmail:
    """One email of the outbox: who it is to, what it is, and what became of it."""

    id: int
    key: str
    message_id: str
    to: tuple[str, ...]
    subject: str
    status: str  # pending, sending, sent, failed, unconfirmed
    attempts: int
    next_try: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, item: OutboxItem) -> QueuedEmail:
        return cls(
            item.id,
            item.key,
            item.message_id,
            item.recipients,
            item.subject,
            item.status,
            item.attempts,
            item.next_try,
            item.last_error,
        )

    @property
    def resend_command(self) -> str:
        return RESEND.format(id=self.id)

    @property
    def confirm_command(self) -> str:
        return CONFIRM.format(id=self.id)

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "to": list(self.to),
            "subject": self.subject,
            "status": self.status,
            "attempts": self.attempts,
            "next_try": self.next_try.astimezone(zone).isoformat() if self.next_try else None,
            "message_id": self.message_id,
            "last_error": self.last_error,
        }

    def describe(self) -> str:
        """One line: "#12 to a@example.com: "Subject"."""
        return f"#{self.id} to {', '.join(self.to)}: “{self.subject}”"


def listing(outbox: Outbox, *, include_sent: bool = False) -> list[QueuedEmail]:
    """Return the emails waiting, being handed over, failed or unconfirmed (and the
    sent ones with ``include_sent``), oldest first."""
    return [QueuedEmail.of(i) for i in outbox.items(EVERY if include_sent else WAITING)]


def unconfirmed(outbox: Outbox) -> list[QueuedEmail]:
    """Return the emails that may or may not have arrived."""
    return [QueuedEmail.of(i) for i in outbox.items(["unconfirmed"])]


def resend(
    outbox: Outbox, transport: Transport, item_id: int, now: datetime, retry: RetryPolicy
) -> QueuedEmail:
    """Queue an unconfirmed or failed email again and try to deliver it now; return
    it as it ended (sent, or pending with the error met). Raise NotFoundError for
    an unknown id, UsageError for an email in another state."""
    item = _find(outbox, item_id)
    if item.status not in ("unconfirmed", "failed") or not outbox.resend(item_id, now):
        raise UsageError(
            f"email {item_id} is {item.status}; only unconfirmed or failed emails are re-sent"
        )
    log.info("email %s to %s queued again on request", item.message_id, ", ".join(item.recipients))
    deliver_due(outbox, transport, now, retry, only=item_id)
    return QueuedEmail.of(_find(outbox, item_id))


def confirm(outbox: Outbox, item_id: int) -> QueuedEmail:
    """Record that an unconfirmed email did arrive; return it. Raise NotFoundError
    for an unknown id, UsageError when it is not unconfirmed."""
    item = _find(outbox, item_id)
    if not outbox.confirm(item_id):
        raise UsageError(f"email {item_id} is {item.status}; only unconfirmed emails are confirmed")
    log.info("email %s recorded as arrived on request", item.message_id)
    return QueuedEmail.of(_find(outbox, item_id))


def _find(outbox: Outbox, item_id: int) -> OutboxItem:
    item = outbox.get(item_id)
    if item is None:
        raise NotFoundError(f"there is no email {item_id} in the outbox; see `cadence outbox list`")
    return item
