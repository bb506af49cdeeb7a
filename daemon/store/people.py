"""People: the rows behind ``cadence person``."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

from cadence.daemon.model import Cadence, Kind, Person
from cadence.daemon.store.database import Database, utc_text
from cadence.daemon.values import parse_clock


def _person(row: sqlite3.Row) -> Person:
    return Person(
        email=row["email"],
        name=row["name"],
        cadence=Cadence.parse(row["every"]),
        kind=Kind(row["kind"]),
        day=row["day"],
        time=parse_clock(row["time"]),
        duration=timedelta(minutes=row["duration_minutes"]),
        timezone=row["timezone"],
        busy_feed=row["busy_feed"],
        paused=bool(row["paused"]),
        paused_until=date.fromisoformat(row["paused_until"]) if row["paused_until"] else None,
        anchor=date.fromisoformat(row["anchor"]),
    )


def _values(person: Person) -> tuple[object, ...]:
    return (
        person.name,
        person.kind.value,
        str(person.cadence),
        person.day,
        person.time.strftime("%H:%M"),
        int(person.duration.total_seconds() // 60),
        person.timezone,
        person.busy_feed,
        int(person.paused),
        person.paused_until.isoformat() if person.paused_until else None,
        person.anchor.isoformat(),
    )


class People:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[Person]:
        rows = self.db.conn.execute("SELECT * FROM people ORDER BY name COLLATE NOCASE, email")
        return [_person(r) for r in rows]

    def get(self, email: str) -> Person | None:
        row = self.db.conn.execute(
            "SELECT * FROM people WHERE email = ?", (email.lower(),)
        ).fetchone()
        return _person(row) if row else None

    def add(self, person: Person, now: datetime) -> bool:
        """Insert the person; return False (changing nothing) if the email exists."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO people (email, name, kind, every, day, time,"
                " duration_minutes, timezone, busy_feed, paused, paused_until, anchor,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (person.email, *_values(person), utc_text(now), utc_text(now)),
            )
            return cur.rowcount == 1

    def update(self, person: Person, now: datetime) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE people SET name = ?, kind = ?, every = ?, day = ?, time = ?,"
                " duration_minutes = ?, timezone = ?, busy_feed = ?, paused = ?,"
                " paused_until = ?, anchor = ?, updated_at = ? WHERE email = ?",
                (*_values(person), utc_text(now), person.email),
            )

    def remove(self, email: str) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute("DELETE FROM people WHERE email = ?", (email.lower(),))
            return cur.rowcount == 1
