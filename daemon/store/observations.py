"""What the sources said: per-source sync state, observed occurrences, busy time.

Occurrences are history: a later read updates them and marks the ones that
vanished as deleted, but never drops a row, so reports can look back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.calendars import CancelledInstance
from cadence.daemon.core.model import Attendee, Cutype, Interval, Occurrence, Partstat, Status
from cadence.daemon.store.database import Database, from_utc_text, utc_text


@dataclass(frozen=True)
class SourceHealth:
    name: str
    location: str
    state: Mapping[str, str]
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_change_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    # Events in the last accepted full read (None before the first one).
    events: int | None = None
    # A read held back as suspect (DESIGN rule 14): why, and since when.
    suspect: str | None = None
    suspect_since: datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.failures == 0 and self.suspect is None


def _maybe_time(text: str | None) -> datetime | None:
    return from_utc_text(text) if text else None


def _source(row: sqlite3.Row) -> SourceHealth:
    return SourceHealth(
        name=row["name"],
        location=row["location"],
        state=json.loads(row["state_json"]),
        last_attempt_at=_maybe_time(row["last_attempt_at"]),
        last_success_at=_maybe_time(row["last_success_at"]),
        last_change_at=_maybe_time(row["last_change_at"]),
        last_error=row["last_error"],
        last_error_at=_maybe_time(row["last_error_at"]),
        failures=row["failures"],
        events=row["events"],
        suspect=row["suspect_reason"],
        suspect_since=_maybe_time(row["suspect_since"]),
    )


def _attendee(email: str, partstat: str, cutype: str = "individual") -> Attendee:
    return Attendee(email, Partstat(partstat), Cutype(cutype))


def _attendees_json(attendees: Sequence[Attendee]) -> str:
    """An attendee is stored as [email, partstat], with its CUTYPE third when it is
    not an individual (rows written before CUTYPE was kept read the same)."""
    return json.dumps(
        [
            (a.email, a.partstat.value)
            if a.cutype is Cutype.INDIVIDUAL
            else (a.email, a.partstat.value, a.cutype.value)
            for a in attendees
        ]
    )


def _occurrence(row: sqlite3.Row) -> Occurrence:
    return Occurrence(
        uid=row["uid"],
        start=from_utc_text(row["start"]),
        end=from_utc_text(row["end"]),
        summary=row["summary"],
        recurrence_id=from_utc_text(row["rid"]) if row["rid"] else None,
        status=Status(row["status"]),
        organizer=row["organizer"],
        attendees=tuple(_attendee(*a) for a in json.loads(row["attendees_json"])),
        person=row["person"],
        all_day=bool(row["all_day"]),
        transparent=bool(row["transparent"]),
        sequence=row["sequence"],
    )


class Observations:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- sources -------------------------------------------------------------

    def source(self, name: str) -> SourceHealth | None:
        return self.db.one("SELECT * FROM sources WHERE name = ?", (name,), _source)

    def sources(self) -> list[SourceHealth]:
        return [_source(r) for r in self.db.conn.execute("SELECT * FROM sources ORDER BY name")]

    def forget_source_state(self, name: str | None = None) -> None:
        """Drop the validators of one source (or all), so the next read parses in full."""
        with self.db.transaction() as conn:
            if name is None:
                conn.execute("UPDATE sources SET state_json = '{}'")
            else:
                conn.execute("UPDATE sources SET state_json = '{}' WHERE name = ?", (name,))

    def record_failure(self, name: str, location: str, error: str, now: datetime) -> None:
        """Note a failed read; the stored occurrences and validators stay as they were."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sources (name, location, last_attempt_at, last_error,"
                " last_error_at, failures) VALUES (?, ?, ?, ?, ?, 1)"
                " ON CONFLICT (name) DO UPDATE SET location = excluded.location,"
                " last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error,"
                " last_error_at = excluded.last_error_at, failures = failures + 1",
                (name, location, utc_text(now), error, utc_text(now)),
            )

    def record_unchanged(
        self, name: str, location: str, state: Mapping[str, str], now: datetime
    ) -> None:
        with self.db.transaction() as conn:
            self._touch(conn, name, location, state, now, changed=False)

    def record_suspect(self, name: str, location: str, reason: str, now: datetime) -> datetime:
        """Hold a read back as suspect: nothing it said is stored, not even its
        validators, so the next read is judged afresh. Return since when the source
        has been held (the first of a run of suspect reads)."""
        stamp = utc_text(now)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sources (name, location, last_attempt_at, suspect_reason,"
                " suspect_since) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET location = excluded.location,"
                " last_attempt_at = excluded.last_attempt_at,"
                " suspect_reason = excluded.suspect_reason,"
                " suspect_since = COALESCE(suspect_since, excluded.suspect_since)",
                (name, location, stamp, reason, stamp),
            )
            row = conn.execute(
                "SELECT suspect_since FROM sources WHERE name = ?", (name,)
            ).fetchone()
        return from_utc_text(row[0])

    def _touch(
        self,
        conn: sqlite3.Connection,
        name: str,
        location: str,
        state: Mapping[str, str],
        now: datetime,
        *,
        changed: bool,
        events: int | None = None,
    ) -> None:
        # A read taken as good ends any hold of a suspect one.
        stamp = utc_text(now)
        conn.execute(
            "INSERT INTO sources (name, location, state_json, last_attempt_at, last_success_at,"
            " last_change_at, failures, events) VALUES (?, ?, ?, ?, ?, ?, 0, ?)"
            " ON CONFLICT (name) DO UPDATE SET location = excluded.location,"
            " state_json = excluded.state_json, last_attempt_at = excluded.last_attempt_at,"
            " last_success_at = excluded.last_success_at,"
            " last_change_at = COALESCE(excluded.last_change_at, last_change_at),"
            " events = COALESCE(excluded.events, events),"
            " last_error = NULL, failures = 0, suspect_reason = NULL, suspect_since = NULL",
            (
                name,
                location,
                json.dumps(dict(state)),
                stamp,
                stamp,
                stamp if changed else None,
                events,
            ),
        )

    # -- occurrences and busy time -------------------------------------------

    def record_read(
        self,
        name: str,
        location: str,
        state: Mapping[str, str],
        window: Interval,
        candidates: Sequence[Occurrence],
        busy: Sequence[Interval] | None,
        now: datetime,
        *,
        complete: bool = True,
        dropped: Sequence[Occurrence] = (),
        cancelled: Sequence[CancelledInstance] = (),
        removed: Sequence[str] = (),
        events: int | None = None,
    ) -> int:
        """Store a successful read in one transaction and return how many stored
        occurrences vanished (and were marked deleted).

        ``candidates`` are the occurrences worth keeping (possible 1:1s); ``busy``
        replaces the source's busy time (None keeps it). A ``complete`` read
        marks stored occurrences in the window that it did not return as
        deleted; an incremental one only updates: ``dropped`` occurrences it
        returned that are no 1:1 any more, ``cancelled`` instances and
        ``removed`` single events are applied to what is stored. The validators
        (or sync token) are saved in the same transaction, so a crash never
        leaves new validators over old data. ``events``, for a complete read,
        is how many events it held (what the next read is compared with).
        """
        stamp = utc_text(now)
        low, high = utc_text(window.start), utc_text(window.end)
        rows = [
            (
                name,
                o.uid,
                utc_text(o.recurrence_id) if o.recurrence_id else "",
                utc_text(o.start),
                utc_text(o.end),
                o.summary,
                o.status.value,
                o.organizer,
                _attendees_json(o.attendees),
                o.person,
                int(o.all_day),
                int(o.transparent),
                o.sequence,
                stamp,
                stamp,
            )
            for o in candidates
        ]
        with self.db.transaction() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS seen (uid TEXT, rid TEXT)")
            conn.execute("DELETE FROM temp.seen")
            conn.executemany("INSERT INTO temp.seen VALUES (?, ?)", [(r[1], r[2]) for r in rows])
            conn.executemany(
                "INSERT INTO occurrences (source, uid, rid, start, end, summary, status,"
                " organizer, attendees_json, person, all_day, transparent, sequence,"
                " first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (source, uid, rid) DO UPDATE SET start = excluded.start,"
                " end = excluded.end, summary = excluded.summary, status = excluded.status,"
                " organizer = excluded.organizer, attendees_json = excluded.attendees_json,"
                " person = excluded.person, all_day = excluded.all_day,"
                " transparent = excluded.transparent, sequence = excluded.sequence,"
                " last_seen = excluded.last_seen, deleted_at = NULL",
                rows,
            )
            vanished = 0
            if complete:
                # Only what the read could have seen may be called deleted: rows whose
                # start lies in the window and that the read did not return.
                vanished = conn.execute(
                    "UPDATE occurrences SET status = 'deleted', deleted_at = ?"
                    " WHERE source = ? AND status != 'deleted' AND start >= ? AND start < ?"
                    " AND NOT EXISTS (SELECT 1 FROM temp.seen s"
                    "   WHERE s.uid = occurrences.uid AND s.rid = occurrences.rid)",
                    (stamp, name, low, high),
                ).rowcount
            gone = [(o.uid, utc_text(o.recurrence_id) if o.recurrence_id else "") for o in dropped]
            gone += [(uid, "") for uid in removed]
            for uid, rid in gone:
                vanished += conn.execute(
                    "UPDATE occurrences SET status = 'deleted', deleted_at = ?"
                    " WHERE source = ? AND uid = ? AND rid = ? AND status != 'deleted'",
                    (stamp, name, uid, rid),
                ).rowcount
            for instance in cancelled:
                self._cancel(conn, name, instance, stamp)
            if busy is not None:
                conn.execute("DELETE FROM busy WHERE source = ?", (name,))
                conn.executemany(
                    "INSERT INTO busy VALUES (?, ?, ?)",
                    [(name, utc_text(b.start), utc_text(b.end)) for b in busy],
                )
            self._touch(conn, name, location, state, now, changed=True, events=events)
        return vanished

    @staticmethod
    def _cancel(
        conn: sqlite3.Connection, name: str, instance: CancelledInstance, stamp: str
    ) -> None:
        """Mark an instance cancelled; when it was never stored, store it as a cancelled
        copy of its nearest sibling (the series' title, people and length)."""
        rid = utc_text(instance.original_start)
        updated = conn.execute(
            "UPDATE occurrences SET status = 'cancelled', last_seen = ?"
            " WHERE source = ? AND uid = ? AND rid = ?",
            (stamp, name, instance.uid, rid),
        ).rowcount
        if updated:
            return
        sibling = conn.execute(
            "SELECT * FROM occurrences WHERE source = ? AND uid = ?"
            " ORDER BY abs(julianday(start) - julianday(?)) LIMIT 1",
            (name, instance.uid, rid),
        ).fetchone()
        if sibling is None:
            return  # not a series cadence keeps: nothing to record
        length = from_utc_text(sibling["end"]) - from_utc_text(sibling["start"])
        conn.execute(
            "INSERT INTO occurrences (source, uid, rid, start, end, summary, status,"
            " organizer, attendees_json, person, all_day, transparent, sequence,"
            " first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, 'cancelled', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                instance.uid,
                rid,
                rid,
                utc_text(instance.original_start + length),
                sibling["summary"],
                sibling["organizer"],
                sibling["attendees_json"],
                sibling["person"],
                sibling["all_day"],
                sibling["transparent"],
                sibling["sequence"],
                stamp,
                stamp,
            ),
        )

    def occurrences(
        self, since: datetime, sources: Iterable[str] | None = None
    ) -> list[Occurrence]:
        """Return stored occurrences that start or were meant to start at or after ``since``."""
        low = utc_text(since)
        query = "SELECT * FROM occurrences WHERE (start >= ? OR (rid != '' AND rid >= ?))"
        params: list[object] = [low, low]
        if sources is not None:
            names = list(sources)
            query += f" AND source IN ({','.join('?' * len(names))})"
            params += names
        return [_occurrence(r) for r in self.db.conn.execute(query + " ORDER BY start", params)]

    def busy(self, source: str, window: Interval) -> list[Interval]:
        rows = self.db.conn.execute(
            "SELECT start, end FROM busy WHERE source = ? AND start < ? AND end > ? ORDER BY start",
            (source, utc_text(window.end), utc_text(window.start)),
        )
        return [Interval(from_utc_text(r[0]), from_utc_text(r[1])) for r in rows]
