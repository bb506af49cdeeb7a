"""The outbox: every email cadence sends, queued in the transaction of the change
it belongs to, and what became of it.

A row's status says what is known about its delivery:

- ``pending``: not handed over yet; due at ``next_attempt_at``. Every failed
  attempt before the hand-over brings the row back here, recorded before any
  pause, so a crash while waiting to retry loses nothing.
- ``sending``: being handed over right now (SMTP: from the end of the message
  data to the server's answer). Only a crash leaves a row here; it is settled
  at the next start.
- ``sent``: the transport took it.
- ``unconfirmed``: handed over, but the answer never came: it may or may not
  have arrived. Never sent again by itself; ``resend`` does so on purpose, and
  ``settle_delivered`` records it as arrived once that is known.
- ``failed``: refused for good, or tried too often; ``resend`` tries again.
- ``cancelled``: its proposal closed before it went out.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser

from cadence.daemon.store.database import Database, from_utc_text, utc_text

STATUSES = ("pending", "sending", "sent", "unconfirmed", "failed", "cancelled")


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    proposal_id: int | None
    message_id: str
    recipients: tuple[str, ...]
    message: bytes
    status: str  # one of STATUSES
    attempts: int
    next_attempt_at: datetime
    last_error: str | None

    @property
    def subject(self) -> str:
        """The Subject header of the stored message, decoded ("" when it has none)."""
        headers = BytesHeaderParser(policy=policy.default).parsebytes(self.message)
        return " ".join(str(headers.get("Subject", "")).split())

    @property
    def next_try(self) -> datetime | None:
        """When it is tried next; None when it will not be tried by itself."""
        return self.next_attempt_at if self.status == "pending" else None


@dataclass(frozen=True)
class NewMail:
    """An email to queue: its idempotency key, Message-ID, envelope and bytes."""

    key: str
    message_id: str
    recipients: tuple[str, ...]
    message: bytes


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        key=row["key"],
        proposal_id=row["proposal_id"],
        message_id=row["message_id"],
        recipients=tuple(json.loads(row["recipients_json"])),
        message=bytes(row["message"]),
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=from_utc_text(row["next_attempt_at"]),
        last_error=row["last_error"],
    )


def enqueue(
    conn: sqlite3.Connection, mail: NewMail, proposal_id: int | None, now: datetime
) -> None:
    """Within the caller's transaction, queue ``mail`` unless its key was queued before."""
    conn.execute(
        "INSERT OR IGNORE INTO outbox (key, proposal_id, message_id, recipients_json,"
        " message, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending',"
        " ?, ?)",
        (
            mail.key,
            proposal_id,
            mail.message_id,
            json.dumps(list(mail.recipients)),
            mail.message,
            utc_text(now),
            utc_text(now),
        ),
    )


# A proposal whose email went out (or may have) moves from open to sent.
_PROPOSAL_SENT = (
    "UPDATE proposals SET status = 'sent', updated_at = ? WHERE status = 'open'"
    " AND id = (SELECT proposal_id FROM outbox WHERE id = ? AND key LIKE 'proposal:%')"
)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(self, mail: NewMail, now: datetime) -> None:
        """Queue an email that belongs to no proposal (alerts, digests); once per key."""
        with self.db.transaction() as conn:
            enqueue(conn, mail, None, now)

    def get(self, item_id: int) -> OutboxItem | None:
        return self.db.one("SELECT * FROM outbox WHERE id = ?", (item_id,), _item)

    def items(self, statuses: Sequence[str] | None = None) -> list[OutboxItem]:
        """Return the rows with one of ``statuses`` (all when None), oldest first."""
        query = "SELECT * FROM outbox"
        params: list[str] = []
        if statuses:
            query += f" WHERE status IN ({','.join('?' * len(statuses))})"
            params = list(statuses)
        return [_item(r) for r in self.db.conn.execute(query + " ORDER BY id", params)]

    def due(self, now: datetime, longest_wait: timedelta | None = None) -> list[OutboxItem]:
        """Return the queued emails due at ``now``.

        With ``longest_wait``, a retry planned further ahead than any wait can
        last is due too: the wall clock was set back since it was planned, and
        the email must not sit in the queue until the clock catches up.
        """
        query = "SELECT * FROM outbox WHERE status = 'pending' AND (next_attempt_at <= ?"
        params = [utc_text(now)]
        if longest_wait is not None:
            query += " OR next_attempt_at > ?"
            params.append(utc_text(now + longest_wait))
        rows = self.db.conn.execute(query + ") ORDER BY id", params)
        return [_item(r) for r in rows]

    def next_due(self) -> datetime | None:
        """Return when the earliest queued email is due, or None when none waits."""
        row = self.db.conn.execute(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
        ).fetchone()
        return from_utc_text(row[0]) if row[0] else None

    def is_pending(self, item_id: int) -> bool:
        row = self.db.conn.execute("SELECT status FROM outbox WHERE id = ?", (item_id,)).fetchone()
        return row is not None and row[0] == "pending"

    # -- one delivery ------------------------------------------------------------

    def claim(self, item_id: int, now: datetime) -> bool:
        """Mark a pending email as being handed over (one more attempt); return False
        when it is no longer pending (another process took it first)."""
        with self.db.transaction() as conn:
            claimed = conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                " next_attempt_at = ? WHERE id = ? AND status = 'pending'",
                (utc_text(now), item_id),
            )
            return claimed.rowcount == 1

    def record_sent(self, item_id: int, now: datetime) -> None:
        """Record that the transport took the email."""
        self._record_handed_over(item_id, "sent", None, now)

    def record_unconfirmed(self, item_id: int, error: str, now: datetime) -> None:
        """Record that the email was handed over without an answer: it may have arrived."""
        self._record_handed_over(item_id, "unconfirmed", error, now)

    def _record_handed_over(
        self, item_id: int, status: str, error: str | None, now: datetime
    ) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET status = ?, sent_at = ?, last_error = ? WHERE id = ?",
                (status, utc_text(now), error, item_id),
            )
            conn.execute(_PROPOSAL_SENT, (utc_text(now), item_id))

    def record_not_delivered(
        self, item_id: int, error: str, retry_at: datetime | None, *, claimed: bool
    ) -> None:
        """Record an attempt that certainly did not deliver the email: tried again at
        ``retry_at``, or given up when None. ``claimed``: the attempt got as far as
        the hand-over (and was counted then); otherwise it is counted here, and
        only while the row is still pending, so a row another process is handing
        over or has sent meanwhile keeps what that process records."""
        status = "pending" if retry_at is not None else "failed"
        stamp = utc_text(retry_at) if retry_at is not None else None
        with self.db.transaction() as conn:
            if claimed:
                conn.execute(
                    "UPDATE outbox SET status = ?, last_error = ?,"
                    " next_attempt_at = COALESCE(?, next_attempt_at)"
                    " WHERE id = ? AND status = 'sending'",
                    (status, error, stamp, item_id),
                )
            else:
                conn.execute(
                    "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1,"
                    " next_attempt_at = COALESCE(?, next_attempt_at)"
                    " WHERE id = ? AND status = 'pending'",
                    (status, error, stamp, item_id),
                )

    # -- the owner's word, and later the inbox's ------------------------------------

    def resend(self, item_id: int, now: datetime) -> bool:
        """Queue an unconfirmed or failed email again, due now, with a fresh count of
        attempts; return False when it is in neither state."""
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?,"
                " sent_at = NULL WHERE id = ? AND status IN ('unconfirmed', 'failed')",
                (utc_text(now), item_id),
            )
            return changed.rowcount == 1

    def confirm(self, item_id: int) -> bool:
        """Record that an unconfirmed email did arrive; return False when it was not
        unconfirmed."""
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE outbox SET status = 'sent', last_error = NULL"
                " WHERE id = ? AND status = 'unconfirmed'",
                (item_id,),
            )
            return changed.rowcount == 1

    def settle_delivered(self, message_id: str) -> bool:
        """Given the Message-ID of a message seen arriving (in the owner's inbox,
        say), record its unconfirmed email as sent; return whether there was one."""
        row = self.db.conn.execute(
            "SELECT id FROM outbox WHERE message_id = ? AND status = 'unconfirmed'",
            (message_id.strip(),),
        ).fetchone()
        return row is not None and self.confirm(int(row[0]))
