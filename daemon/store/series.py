"""The calendar writes cadence must remember: its series, and events given the agenda link.

A series row is written right after Google confirmed the event (or answered that
the id is taken, which means an earlier try got through): planning then knows a
series exists even before a read of the calendar shows it, so no second one is
made.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.store.database import Database, from_utc_text, utc_text


@dataclass(frozen=True)
class SeriesRecord:
    event_id: str
    person: str
    settings: str
    first_start: datetime
    ended_at: datetime | None = None


def _record(row: sqlite3.Row) -> SeriesRecord:
    ended = row["ended_at"]
    return SeriesRecord(
        event_id=row["event_id"],
        person=row["person"],
        settings=row["settings"],
        first_start=from_utc_text(row["first_start"]),
        ended_at=from_utc_text(ended) if ended else None,
    )


class SeriesStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def live(self) -> dict[str, SeriesRecord]:
        """Return each person's live series, by person."""
        rows = self.db.conn.execute("SELECT * FROM series WHERE ended_at IS NULL")
        return {r["person"]: _record(r) for r in rows}

    def live_for(self, person: str) -> SeriesRecord | None:
        return self.live().get(person.lower())

    def add(self, record: SeriesRecord, now: datetime) -> None:
        """Record a new live series; a person's earlier live series counts as ended."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE series SET ended_at = ? WHERE person = ? AND ended_at IS NULL "
                "AND event_id != ?",
                (utc_text(now), record.person.lower(), record.event_id),
            )
            conn.execute(
                "INSERT INTO series (event_id, person, settings, first_start, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                (
                    record.event_id,
                    record.person.lower(),
                    record.settings,
                    utc_text(record.first_start),
                    utc_text(now),
                ),
            )

    def end(self, event_id: str, now: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE series SET ended_at = ? WHERE event_id = ? AND ended_at IS NULL",
                (utc_text(now), event_id),
            )

    # -- events that carry the agenda link -------------------------------------

    def attached(self) -> dict[str, str]:
        """Return the agenda link each event was given, by event id."""
        rows = self.db.conn.execute("SELECT event_id, url FROM attached")
        return {r["event_id"]: r["url"] for r in rows}

    def mark_attached(self, event_ids: list[str], person: str, url: str, now: datetime) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO attached VALUES (?, ?, ?, ?) "
                "ON CONFLICT (event_id) DO UPDATE SET url = excluded.url, "
                "attached_at = excluded.attached_at",
                [(e, person.lower(), url, utc_text(now)) for e in event_ids],
            )
