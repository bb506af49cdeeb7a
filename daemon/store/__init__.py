"""cadence's state: one SQLite file with people, observations, proposals, outbox."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cadence.daemon.store.bookings import Bookings
from cadence.daemon.store.database import Database, from_utc_text, utc_text
from cadence.daemon.store.documents import AgendaDocument, Documents
from cadence.daemon.store.identity import Identity
from cadence.daemon.store.inbox import AlreadyHandled, InboxRecord, InboxRecords
from cadence.daemon.store.observations import Observations, SourceHealth
from cadence.daemon.store.outbox import NewMail, Outbox, OutboxItem
from cadence.daemon.store.people import People
from cadence.daemon.store.proposals import Proposals
from cadence.daemon.store.series import SeriesRecord, SeriesStore
from cadence.daemon.store.unanswered import UnansweredGap, UnansweredGaps
from cadence.daemon.store.web import WebState

__all__ = [
    "AgendaDocument",
    "AlreadyHandled",
    "Bookings",
    "Documents",
    "Identity",
    "InboxRecord",
    "InboxRecords",
    "NewMail",
    "Observations",
    "Outbox",
    "OutboxItem",
    "People",
    "Proposals",
    "SeriesRecord",
    "SeriesStore",
    "SourceHealth",
    "Store",
    "UnansweredGap",
    "UnansweredGaps",
    "WebState",
    "from_utc_text",
    "utc_text",
]


class Store:
    """The open state database and its tables, grouped by what they hold."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self.people = People(self.db)
        self.observations = Observations(self.db)
        self.proposals = Proposals(self.db)
        self.outbox = Outbox(self.db)
        self.documents = Documents(self.db)
        self.series = SeriesStore(self.db)
        self.identity = Identity(self.db)
        self.inbox = InboxRecords(self.db, self.proposals)
        self.unanswered = UnansweredGaps(self.db)
        self.web = WebState(self.db)
        self.bookings = Bookings(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- small key/value facts ---------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                (key, value, value),
            )

    # -- cycles ----------------------------------------------------------------

    def start_cycle(self, now: datetime) -> int:
        with self.db.transaction() as conn:
            cur = conn.execute("INSERT INTO cycles (started_at) VALUES (?)", (utc_text(now),))
            return int(cur.lastrowid or 0)

    def finish_cycle(
        self, cycle_id: int, now: datetime, result: str, summary: dict[str, Any]
    ) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE cycles SET finished_at = ?, result = ?, summary_json = ? WHERE id = ?",
                (utc_text(now), result, json.dumps(summary), cycle_id),
            )
            # Keep a bounded history: status needs the last few, not years of them.
            conn.execute("DELETE FROM cycles WHERE id <= ?", (cycle_id - 1000,))

    def last_cycle(self) -> dict[str, Any] | None:
        row = self.db.conn.execute(
            "SELECT * FROM cycles WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return {
            "started_at": from_utc_text(row["started_at"]),
            "finished_at": from_utc_text(row["finished_at"]),
            "result": row["result"],
            "summary": json.loads(row["summary_json"] or "{}"),
        }
