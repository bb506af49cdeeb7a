"""People: the rows behind ``cadence person``, and the history of their pauses."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cadence.daemon.core.model import Cadence, Kind, Person
from cadence.daemon.core.values import parse_clock
from cadence.daemon.store.database import Database, from_utc_text, utc_text


@dataclass(frozen=True)
class PauseRecord:
    """One recorded pause: from ``started_at`` until the local date ``until`` (the
    person is back that day) or ``ended_at`` (resumed or replaced), whichever is first."""

    person: str
    started_at: datetime
    until: date | None
    ended_at: datetime | None


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


def _record_pause(conn: sqlite3.Connection, before: Person | None, after: Person, now: str) -> None:
    """Keep the pause history in step with a change of the person's row (same transaction):
    any change of the pause ends the open one, and a pause in force opens a new one."""
    was = (before.paused, before.paused_until) if before else (False, None)
    if was == (after.paused, after.paused_until):
        return
    conn.execute(
        "UPDATE pauses SET ended_at = ? WHERE person = ? AND ended_at IS NULL", (now, after.email)
    )
    if after.paused:
        until = after.paused_until.isoformat() if after.paused_until else None
        conn.execute(
            "INSERT INTO pauses (person, started_at, until) VALUES (?, ?, ?)",
            (after.email, now, until),
        )


class People:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[Person]:
        rows = self.db.conn.execute("SELECT * FROM people ORDER BY name COLLATE NOCASE, email")
        return [_person(r) for r in rows]

    def get(self, email: str) -> Person | None:
        return self.db.one("SELECT * FROM people WHERE email = ?", (email.lower(),), _person)

    def add(self, person: Person, now: datetime) -> bool:
        """Insert the person; return False (changing nothing) if the email exists."""
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO people (email, name, kind, every, day, time,"
                " duration_minutes, timezone, busy_feed, paused, paused_until, anchor,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (person.email, *_values(person), utc_text(now), utc_text(now)),
            )
            if cur.rowcount == 1:
                # A person added again after a removal starts afresh: a pause left
                # open by the earlier removal is over.
                conn.execute(
                    "UPDATE pauses SET ended_at = ? WHERE person = ? AND ended_at IS NULL",
                    (utc_text(now), person.email),
                )
                _record_pause(conn, None, person, utc_text(now))
            return cur.rowcount == 1

    def update(self, person: Person, now: datetime) -> None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM people WHERE email = ?", (person.email,)).fetchone()
            if row is not None:
                _record_pause(conn, _person(row), person, utc_text(now))
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

    def added(self) -> dict[str, datetime]:
        """Return when each person was added, by email."""
        rows = self.db.conn.execute("SELECT email, created_at FROM people")
        return {r["email"]: from_utc_text(r["created_at"]) for r in rows}

    def pauses(self) -> list[PauseRecord]:
        """Return every recorded pause, oldest first (also of people since removed)."""
        rows = self.db.conn.execute("SELECT * FROM pauses ORDER BY started_at, id")
        return [
            PauseRecord(
                person=r["person"],
                started_at=from_utc_text(r["started_at"]),
                until=date.fromisoformat(r["until"]) if r["until"] else None,
                ended_at=from_utc_text(r["ended_at"]) if r["ended_at"] else None,
            )
            for r in rows
        ]
