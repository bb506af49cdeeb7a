"""Proposals and the outbox that carries their emails.

A proposal and the outbox row of its email are always written in one
transaction (DESIGN rule 1), keyed by the gap: whatever crashes when, a gap
gets one proposal and one email.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from cadence.daemon.core.model import Period, Proposal, ProposalStatus, Reason, Slot
from cadence.daemon.store.database import Database, from_utc_text, utc_text
from cadence.daemon.store.outbox import NewMail, Outbox, OutboxItem, enqueue


def _slots_json(slots: Sequence[Slot]) -> str:
    return json.dumps(
        [
            {
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "shorter": s.shorter,
                "bends": s.bends,
            }
            for s in slots
        ]
    )


def _proposal(row: sqlite3.Row) -> Proposal:
    slots = tuple(
        Slot(
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
            s["shorter"],
            s.get("bends", ""),
        )
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
        no_free_time=bool(row["no_free_time"]),
    )


class Proposals:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, proposal_id: int) -> Proposal | None:
        return self.db.one("SELECT * FROM proposals WHERE id = ?", (proposal_id,), _proposal)

    def by_gap(self, gap_key: str) -> Proposal | None:
        return self.db.one("SELECT * FROM proposals WHERE gap_key = ?", (gap_key,), _proposal)

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
                " no_free_time, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    int(proposal.no_free_time),
                    stamp,
                    stamp,
                ),
            )
            if cur.rowcount != 1:
                return None
            proposal_id = int(cur.lastrowid or 0)
            mail = render(replace(proposal, id=proposal_id, created_at=now))
            if mail is not None:
                enqueue(conn, mail, proposal_id, now)
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
                enqueue(conn, mail, proposal_id, now)

    def reopen(self, proposal_id: int, mark: str, reason: str, now: datetime) -> None:
        """Give the gap of a booked proposal back (its booking was declined or
        withdrawn): the gap, if it is still there, may get one new proposal. ``mark``
        (unique to what reopened it) keeps the old proposal apart, ``reason`` says why."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE proposals SET gap_key = gap_key || '|' || ?, updated_at = ?,"
                " closed_reason = ? WHERE id = ? AND gap_key NOT LIKE '%|' || ?",
                (mark, utc_text(now), reason, proposal_id, mark),
            )

    # -- the outbox rows of proposals (see store/outbox.py for their delivery) ----

    def enqueue(self, mail: NewMail, now: datetime) -> None:
        """Queue an email that belongs to no proposal (alerts, digests); once per key."""
        Outbox(self.db).enqueue(mail, now)

    def outbox(self, statuses: Sequence[str] | None = None) -> list[OutboxItem]:
        """Return the outbox rows with one of ``statuses`` (all when None)."""
        return Outbox(self.db).items(statuses)
