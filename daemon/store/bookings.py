"""The bookings: every invitation cadence sent, its UID and SEQUENCE, and what became of it.

A booking, the acceptance of its proposal and the emails that carry it are
written in one transaction (the caller's), so an invitation is never sent
without its booking, nor a booking kept without its invitation. Each change
(an answer, an update, a cancellation) is one transaction with the emails it
sends, under keys that name the booking and its new SEQUENCE.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from cadence.daemon.core.bookings import Booking, BookingStatus
from cadence.daemon.core.model import Partstat, Period
from cadence.daemon.store.database import Database, from_utc_text, utc_text
from cadence.daemon.store.outbox import NewMail, enqueue

_LIVE = tuple(s.value for s in BookingStatus if s.live)


def _booking(row: sqlite3.Row) -> Booking:
    ends, period = row["ends"], None
    if row["period_start"] and row["period_end"]:
        period = Period(from_utc_text(row["period_start"]), from_utc_text(row["period_end"]))
    return Booking(
        id=row["id"],
        uid=row["uid"],
        person=row["person"],
        person_name=row["person_name"],
        organizer=row["organizer"],
        start=from_utc_text(row["start"]),
        end=from_utc_text(row["end"]),
        zone=row["zone"],
        status=BookingStatus(row["status"]),
        sequence=row["sequence"],
        recurrence=row["recurrence"],
        proposal=row["proposal_id"],
        period=period,
        settings=row["settings"],
        person_partstat=Partstat(row["person_partstat"]),
        owner_partstat=Partstat(row["owner_partstat"]),
        declined=tuple(from_utc_text(d) for d in json.loads(row["declined_json"])),
        ends=from_utc_text(ends) if ends else None,
        closed_reason=row["closed_reason"],
        created_at=from_utc_text(row["created_at"]),
    )


class Bookings:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, booking_id: int) -> Booking | None:
        return self.db.one("SELECT * FROM bookings WHERE id = ?", (booking_id,), _booking)

    def by_uid(self, uid: str) -> Booking | None:
        return self.db.one("SELECT * FROM bookings WHERE uid = ?", (uid,), _booking)

    def all(self, *, include_closed: bool = False) -> list[Booking]:
        """Every booking (with ``include_closed``), else those still standing: invited,
        accepted or tentative; first meeting first."""
        query = "SELECT * FROM bookings"
        if not include_closed:
            query += f" WHERE status IN ({','.join('?' * len(_LIVE))})"
        params = () if include_closed else _LIVE
        return [_booking(r) for r in self.db.conn.execute(query + " ORDER BY start, id", params)]

    def create(
        self, draft: Booking, render: Callable[[Booking], Sequence[NewMail]], now: datetime
    ) -> Booking:
        """Record a new booking (``draft`` without its id) and queue the invitations
        ``render`` makes of it (given it with its id), in one transaction (joining the
        caller's); return it. A booking already recorded under the UID is returned as
        it is, and nothing is queued again."""
        stamp = utc_text(now)
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO bookings (uid, person, person_name, organizer,"
                " proposal_id, period_start, period_end, sequence, start, end, zone,"
                " recurrence, ends, status, person_partstat, owner_partstat, declined_json,"
                " settings, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
                (
                    draft.uid,
                    draft.person.lower(),
                    draft.person_name,
                    draft.organizer,
                    draft.proposal,
                    utc_text(draft.period.start) if draft.period else None,
                    utc_text(draft.period.end) if draft.period else None,
                    draft.sequence,
                    utc_text(draft.start),
                    utc_text(draft.end),
                    draft.zone,
                    draft.recurrence,
                    utc_text(draft.ends) if draft.ends else None,
                    draft.status.value,
                    draft.person_partstat.value,
                    draft.owner_partstat.value,
                    draft.settings,
                    stamp,
                    stamp,
                ),
            )
            if cur.rowcount == 1:
                made = replace(draft, id=int(cur.lastrowid or 0), created_at=now)
                for mail in render(made):
                    enqueue(conn, mail, draft.proposal, now)
        found = self.by_uid(draft.uid)
        assert found is not None
        return found

    def save(self, booking: Booking, mails: Sequence[NewMail], now: datetime) -> None:
        """Write what changed of a booking (status, SEQUENCE, answers, declined meetings,
        end, why it closed) and queue the emails that say so, in one transaction."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE bookings SET status = ?, sequence = ?, person_partstat = ?,"
                " owner_partstat = ?, declined_json = ?, ends = ?, recurrence = ?,"
                " closed_reason = ?, updated_at = ? WHERE id = ?",
                (
                    booking.status.value,
                    booking.sequence,
                    booking.person_partstat.value,
                    booking.owner_partstat.value,
                    json.dumps([utc_text(d) for d in booking.declined]),
                    utc_text(booking.ends) if booking.ends else None,
                    booking.recurrence,
                    booking.closed_reason,
                    utc_text(now),
                    booking.id,
                ),
            )
            for mail in mails:
                enqueue(conn, mail, booking.proposal, now)

    def fingerprint(self) -> str:
        """A digest of every booking's state: planning depends on it."""
        rows = self.db.conn.execute(
            "SELECT id, status, sequence, person_partstat, owner_partstat, declined_json, ends"
            " FROM bookings ORDER BY id"
        )
        return hashlib.sha256(json.dumps([list(r) for r in rows]).encode()).hexdigest()
