"""Proposals and the outbox that carries their emails.

A proposal and the outbox row of its email are always written in one
transaction (DESIGN rule 1), keyed by the gap: whatever crashes when, a gap
gets one proposal and one email.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cadence.daemon.core.model import Period, Proposal, ProposalStatus, Reason, Slot
from cadence.daemon.store.database import Database, from_utc_text, utc_text


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    proposal_id: int | None
    message_id: str
    recipients: tuple[str, ...]
    message: bytes
    status: str  # pending | sending | sent | unconfirmed | failed | cancelled
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def _slots_json(slots: Sequence[Slot]) -> str:
    return json.dumps(
        [
            {"start": s.start.isoformat(), "end": s.end.isoformat(), "shorter": s.shorter}
            for s in slots
        ]
    )


def _proposal(row: sqlite3.Row) -> Proposal:
    slots = tuple(
        Slot(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]), s["shorter"])
        for s in json.loads(row["slots_json"])
    )
    return Proposal(
        id=row["id"],
        gap_key=row["gap_key"],
        person=row["person"],
        reason=Reason(row["reason"]),
        status=ProposalStatus(row["status"]),
        period=Period(from_utc_text(row["period_start"]), from_utc_text(row["period_end"])),
        slots=slots,
        cancelled_start=from_utc_text(row["cancelled_start"]) if row["cancelled_start"] else None,
        created_at=from_utc_text(row["created_at"]),
        accepted_slot=row["accepted_slot"],
        sequence=row["sequence"],
        notes=tuple(json.loads(row["notes_json"])),
        closed_reason=row["closed_reason"],
    )


def _outbox(row: sqlite3.Row) -> OutboxItem:
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


@dataclass(frozen=True)
class NewMail:
    """An email to queue: its idempotency key, Message-ID, envelope and bytes."""

    key: str
    message_id: str
    recipients: tuple[str, ...]
    message: bytes


class Proposals:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, proposal_id: int) -> Proposal | None:
        row = self.db.conn.execute(
            "SELECT * FROM proposals WHERE id = ?", (proposal_id,)
        ).fetchone()
        return _proposal(row) if row else None

    def by_gap(self, gap_key: str) -> Proposal | None:
        row = self.db.conn.execute(
            "SELECT * FROM proposals WHERE gap_key = ?", (gap_key,)
        ).fetchone()
        return _proposal(row) if row else None

    def all(self, *, include_closed: bool = False) -> list[Proposal]:
        query = "SELECT * FROM proposals"
        if not include_closed:
            query += " WHERE status IN ('open', 'sent')"
        return [_proposal(r) for r in self.db.conn.execute(query + " ORDER BY period_start, id")]

    def create(
        self,
        proposal: Proposal,
        render: Callable[[Proposal], NewMail | None],
        now: datetime,
    ) -> Proposal | None:
        """Insert the proposal and the email ``render`` makes of it (given the
        proposal with its new id) in one transaction; return the stored proposal,
        or None if a proposal for the same gap already exists (nothing is written)."""
        stamp = utc_text(now)
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO proposals (gap_key, person, reason, status,"
                " period_start, period_end, cancelled_start, slots_json, notes_json,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    proposal.gap_key,
                    proposal.person,
                    proposal.reason.value,
                    proposal.status.value,
                    utc_text(proposal.period.start),
                    utc_text(proposal.period.end),
                    utc_text(proposal.cancelled_start) if proposal.cancelled_start else None,
                    _slots_json(proposal.slots),
                    json.dumps(list(proposal.notes)),
                    stamp,
                    stamp,
                ),
            )
            if cur.rowcount != 1:
                return None
            proposal_id = int(cur.lastrowid or 0)
            mail = render(replace(proposal, id=proposal_id, created_at=now))
            if mail is not None:
                self._enqueue(conn, mail, proposal_id, now)
        return self.get(proposal_id)

    def set_status(
        self,
        proposal_id: int,
        status: ProposalStatus,
        now: datetime,
        *,
        accepted_slot: int | None = None,
        mail: NewMail | None = None,
        reason: str | None = None,
    ) -> None:
        """Change the status (with the ``reason`` it closed for, and an email to queue)
        in one transaction. Closing a proposal that was never mailed cancels its
        queued email. A withdrawn proposal gives its gap back: the gap under the
        person's new settings (or after their pause) may be proposed anew."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE proposals SET status = ?, updated_at = ?,"
                " accepted_slot = COALESCE(?, accepted_slot),"
                " closed_reason = COALESCE(?, closed_reason),"
                " sequence = sequence + (CASE WHEN ? IS NULL THEN 0 ELSE 1 END) WHERE id = ?",
                (status.value, utc_text(now), accepted_slot, reason, accepted_slot, proposal_id),
            )
            if status is ProposalStatus.WITHDRAWN:
                conn.execute(
                    "UPDATE proposals SET gap_key = gap_key || '|withdrawn:' || id WHERE id = ?"
                    " AND gap_key NOT LIKE '%|withdrawn:%'",
                    (proposal_id,),
                )
            if not status.live:
                conn.execute(
                    "UPDATE outbox SET status = 'cancelled' WHERE proposal_id = ?"
                    " AND status = 'pending' AND key LIKE 'proposal:%'",
                    (proposal_id,),
                )
            if mail is not None:
                self._enqueue(conn, mail, proposal_id, now)

    # -- outbox --------------------------------------------------------------

    @staticmethod
    def _enqueue(
        conn: sqlite3.Connection, mail: NewMail, proposal_id: int | None, now: datetime
    ) -> None:
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

    def enqueue(self, mail: NewMail, now: datetime) -> None:
        """Queue an email that belongs to no proposal (alerts, digests); once per key."""
        with self.db.transaction() as conn:
            self._enqueue(conn, mail, None, now)

    def due_mail(self, now: datetime, longest_wait: timedelta | None = None) -> list[OutboxItem]:
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
        return [_outbox(r) for r in rows]

    def next_attempt(self) -> datetime | None:
        """Return when the earliest queued email is due, or None when none waits."""
        row = self.db.conn.execute(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'"
        ).fetchone()
        return from_utc_text(row[0]) if row[0] else None

    def outbox(self, statuses: Sequence[str] | None = None) -> list[OutboxItem]:
        query = "SELECT * FROM outbox"
        params: list[str] = []
        if statuses:
            query += f" WHERE status IN ({','.join('?' * len(statuses))})"
            params = list(statuses)
        return [_outbox(r) for r in self.db.conn.execute(query + " ORDER BY id", params)]

    def mark_sending(self, item_id: int, now: datetime) -> bool:
        """Claim a pending email for sending; return False when it is no longer
        pending (another process claimed it first)."""
        with self.db.transaction() as conn:
            claimed = conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                " next_attempt_at = ? WHERE id = ? AND status = 'pending'",
                (utc_text(now), item_id),
            )
            return claimed.rowcount == 1

    def mark_sent(self, item_id: int, now: datetime, *, status: str = "sent") -> None:
        """Record delivery; a proposal whose email went out moves from open to sent."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET status = ?, sent_at = ?, last_error = NULL WHERE id = ?",
                (status, utc_text(now), item_id),
            )
            conn.execute(
                "UPDATE proposals SET status = 'sent', updated_at = ? WHERE status = 'open'"
                " AND id = (SELECT proposal_id FROM outbox WHERE id = ?"
                " AND key LIKE 'proposal:%')",
                (utc_text(now), item_id),
            )

    def mark_failed(self, item_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: retried at ``retry_at``, or given up when None."""
        with self.db.transaction() as conn:
            if retry_at is None:
                conn.execute(
                    "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                    (error, item_id),
                )
            else:
                conn.execute(
                    "UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ?"
                    " WHERE id = ?",
                    (error, utc_text(retry_at), item_id),
                )
