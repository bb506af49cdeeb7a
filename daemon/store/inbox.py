"""What cadence did with each message of its inbox, so each is handled once, ever.

A message is recorded in the same transaction as its effect (the proposal
booked or dismissed, the answer queued): a crash before the commit leaves it
unhandled, one after leaves it handled, and nothing in between. Marking it in
the mailbox comes after the commit; ``marked_at`` stays empty until then, so
a crash in between is finished by the next read: the message is only marked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.core.model import Proposal
from cadence.daemon.store.database import Database, utc_text
from cadence.daemon.store.proposals import Proposals


class AlreadyHandled(Exception):
    """Another process recorded this message first; nothing more to do."""


@dataclass(frozen=True)
class InboxRecord:
    """One message looked at: where it lies (``mailbox``, ``ref``), which message it
    is (``message_key``: its Message-ID, or a hash of its bytes), who sent it, what
    was done (``action``, about ``proposal_id``, said in ``detail``) and whether it
    is cadence's to mark in the mailbox (``mark``)."""

    mailbox: str
    ref: str
    message_key: str
    sender: str
    action: str
    proposal_id: int | None
    detail: str
    mark: bool


def _record(row: sqlite3.Row) -> InboxRecord:
    return InboxRecord(
        mailbox=row["mailbox"],
        ref=row["ref"],
        message_key=row["message_key"],
        sender=row["sender"],
        action=row["action"],
        proposal_id=row["proposal_id"],
        detail=row["detail"],
        mark=bool(row["mark"]),
    )


class InboxRecords:
    def __init__(self, db: Database, proposals: Proposals) -> None:
        self.db = db
        self.proposals = proposals

    def known(self, mailbox: str, ref: str) -> bool:
        """Return whether the message at ``ref`` of ``mailbox`` was looked at before."""
        row = self.db.conn.execute(
            "SELECT 1 FROM inbox_messages WHERE mailbox = ? AND ref = ?", (mailbox, ref)
        ).fetchone()
        return row is not None

    def by_key(self, message_key: str) -> InboxRecord | None:
        """Return the first record of the message with this key, wherever it lay."""
        return self.db.one(
            "SELECT * FROM inbox_messages WHERE message_key = ? ORDER BY handled_at, rowid LIMIT 1",
            (message_key,),
            _record,
        )

    def record(self, record: InboxRecord, now: datetime) -> None:
        """Record a message as handled (joining the caller's transaction, if any);
        raise AlreadyHandled when this place in the mailbox was recorded already."""
        with self.db.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO inbox_messages (mailbox, ref, message_key, sender, action,"
                    " proposal_id, detail, handled_at, mark) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.mailbox,
                        record.ref,
                        record.message_key,
                        record.sender,
                        record.action,
                        record.proposal_id,
                        record.detail,
                        utc_text(now),
                        int(record.mark),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyHandled(record.ref) from None

    def unmarked(self, mailbox: str) -> list[str]:
        """Return the places of the messages cadence handled but has not marked yet."""
        rows = self.db.conn.execute(
            "SELECT ref FROM inbox_messages WHERE mailbox = ? AND mark = 1"
            " AND marked_at IS NULL ORDER BY rowid",
            (mailbox,),
        )
        return [str(r[0]) for r in rows]

    def set_marked(self, mailbox: str, refs: Sequence[str], now: datetime) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE inbox_messages SET marked_at = ? WHERE mailbox = ? AND ref = ?",
                [(utc_text(now), mailbox, ref) for ref in refs],
            )

    def answers(self, proposal_id: int) -> int:
        """Return how many replies about the proposal were answered without acting."""
        row = self.db.conn.execute(
            "SELECT COUNT(*) FROM inbox_messages WHERE proposal_id = ? AND action = 'answer'",
            (proposal_id,),
        ).fetchone()
        return int(row[0])

    def proposal_by_reference(self, reference: str) -> Proposal | None:
        """Given the HEX of a ``<cadence.HEX@...>`` Message-ID, return the proposal whose
        email carried it, or None (not a proposal email of this installation)."""
        low = f"<cadence.{reference.lower()}@"
        # A range rather than LIKE, which is case-insensitive and cannot use the index.
        row = self.db.conn.execute(
            "SELECT proposal_id FROM outbox WHERE message_id >= ? AND message_id < ?"
            " AND key LIKE 'proposal:%' AND proposal_id IS NOT NULL LIMIT 1",
            (low, low + "\x7f"),
        ).fetchone()
        return self.proposals.get(int(row[0])) if row else None
