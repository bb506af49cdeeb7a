"""The SQLite file: connection settings, transactions and schema migrations.

Autocommit mode (``isolation_level=None``) with explicit ``BEGIN IMMEDIATE``
so a write transaction takes the lock up front and a concurrent writer (the
CLI while the daemon runs) waits ``busy_timeout`` instead of failing halfway.
WAL lets readers go on during a write.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from cadence.daemon.core.errors import StoreError
from cadence.daemon.credentials import private_directory, private_file

log = logging.getLogger(__name__)

# Each entry moves the schema from version i to i + 1. Append only: a released
# migration is never edited, so every database walks the same steps.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE people (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        every TEXT NOT NULL,
        day INTEGER NOT NULL,
        time TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL,
        timezone TEXT,
        busy_feed TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        paused_until TEXT,
        anchor TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        location TEXT NOT NULL,
        state_json TEXT NOT NULL DEFAULT '{}',
        last_attempt_at TEXT,
        last_success_at TEXT,
        last_change_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE occurrences (
        source TEXT NOT NULL,
        uid TEXT NOT NULL,
        rid TEXT NOT NULL,
        start TEXT NOT NULL,
        end TEXT NOT NULL,
        summary TEXT NOT NULL,
        status TEXT NOT NULL,
        organizer TEXT,
        attendees_json TEXT NOT NULL,
        person TEXT,
        all_day INTEGER NOT NULL,
        transparent INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        deleted_at TEXT,
        PRIMARY KEY (source, uid, rid)
    );
    CREATE INDEX occurrences_start ON occurrences (start);
    CREATE TABLE busy (
        source TEXT NOT NULL,
        start TEXT NOT NULL,
        end TEXT NOT NULL
    );
    CREATE INDEX busy_source_start ON busy (source, start);
    CREATE TABLE proposals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        gap_key TEXT NOT NULL UNIQUE,
        person TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        cancelled_start TEXT,
        slots_json TEXT NOT NULL,
        notes_json TEXT NOT NULL DEFAULT '[]',
        accepted_slot INTEGER,
        sequence INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX proposals_status ON proposals (status);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        proposal_id INTEGER REFERENCES proposals (id),
        message_id TEXT NOT NULL,
        recipients_json TEXT NOT NULL,
        message BLOB NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_status ON outbox (status, next_attempt_at);
    CREATE TABLE cycles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        result TEXT,
        summary_json TEXT
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # Google: the recurring series cadence created (one live per person; ended
    # ones are kept to recognise their instances), the events that carry the
    # agenda link, and each person's agenda doc.
    """
    CREATE TABLE series (
        event_id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        settings TEXT NOT NULL,
        first_start TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX series_person ON series (person, ended_at);
    CREATE TABLE attached (
        event_id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        url TEXT NOT NULL,
        attached_at TEXT NOT NULL
    );
    CREATE TABLE agenda_docs (
        person TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL,
        url TEXT NOT NULL,
        created_at TEXT NOT NULL,
        shared_at TEXT
    );
    """,
    # When each person's 1:1s were on hold, so reports can show past pauses: a
    # pause runs from started_at until the local date `until` (exclusive) or
    # until ended_at (resumed, or replaced by a new pause), whichever is first.
    # People paused before this table existed get a pause from their last change.
    """
    CREATE TABLE pauses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person TEXT NOT NULL,
        started_at TEXT NOT NULL,
        until TEXT,
        ended_at TEXT
    );
    CREATE INDEX pauses_person ON pauses (person, started_at);
    INSERT INTO pauses (person, started_at, until)
        SELECT email, updated_at, paused_until FROM people WHERE paused = 1;
    """,
    # How each agenda doc was shared: silently, with Drive's notification (an
    # address without a Google account), to anyone with the link, or "refused".
    """
    ALTER TABLE agenda_docs ADD COLUMN shared_how TEXT;
    UPDATE agenda_docs SET shared_how = 'silently' WHERE shared_at IS NOT NULL;
    """,
    # The inbox: every message cadence looked at, once, under where it lies in
    # the mailbox (an IMAP UIDVALIDITY/UID, a Maildir key) and its Message-ID:
    # what was done, and whether it still has to be marked (or moved) there.
    # Replies name proposals by their emails' Message-IDs, looked up in the outbox.
    """
    CREATE TABLE inbox_messages (
        mailbox TEXT NOT NULL,
        ref TEXT NOT NULL,
        message_key TEXT NOT NULL,
        sender TEXT NOT NULL,
        action TEXT NOT NULL,
        proposal_id INTEGER,
        detail TEXT NOT NULL,
        handled_at TEXT NOT NULL,
        mark INTEGER NOT NULL,
        marked_at TEXT,
        PRIMARY KEY (mailbox, ref)
    );
    CREATE INDEX inbox_messages_key ON inbox_messages (message_key);
    CREATE INDEX inbox_messages_unmarked ON inbox_messages (mailbox, mark, marked_at);
    CREATE INDEX outbox_message_id ON outbox (message_id);
    """,
    # Why a proposal closed when it says more than its status (withdrawn: the
    # person was paused or removed, or their settings changed). The gaps the
    # last planning left unanswered, and why, for `cadence status`. Per source:
    # how many events its last accepted full read held, and a read held back as
    # suspect (DESIGN rule 14) since when and why.
    """
    ALTER TABLE proposals ADD COLUMN closed_reason TEXT;
    CREATE TABLE unanswered_gaps (
        gap_key TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        reason TEXT NOT NULL,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        cancelled_start TEXT,
        why TEXT NOT NULL,
        since TEXT NOT NULL
    );
    ALTER TABLE sources ADD COLUMN events INTEGER;
    ALTER TABLE sources ADD COLUMN suspect_reason TEXT;
    ALTER TABLE sources ADD COLUMN suspect_since TEXT;
    """,
    # The web app: each person's agenda link (a random nonce, replaced when the
    # link is rotated), and the owner's signed-in sessions (only a hash of each
    # session's cookie is kept, so a copy of the database signs nobody in).
    """
    CREATE TABLE web_links (
        person TEXT PRIMARY KEY,
        nonce TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE web_sessions (
        id_hash TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    """,
    # Bookings: every invitation cadence sent (DESIGN "booking", rules 8-12): its
    # UID and SEQUENCE, the ORGANIZER it went out as (updates and cancellations
    # must come from the same), the gap it answers, its meetings (a recurring one
    # by its RRULE in the owner's zone, cut at `ends`), the answers heard, the
    # meetings declined one by one, and the person's settings it was made for. A proposal made for
    # a gap no slot fits under the rules offers the nearest bookable times
    # instead, and says so (rule 11): `no_free_time`.
    """
    CREATE TABLE bookings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        person TEXT NOT NULL,
        person_name TEXT NOT NULL,
        organizer TEXT NOT NULL,
        proposal_id INTEGER REFERENCES proposals (id),
        period_start TEXT,
        period_end TEXT,
        sequence INTEGER NOT NULL DEFAULT 0,
        start TEXT NOT NULL,
        end TEXT NOT NULL,
        zone TEXT NOT NULL,
        recurrence TEXT,
        ends TEXT,
        status TEXT NOT NULL,
        person_partstat TEXT NOT NULL,
        owner_partstat TEXT NOT NULL,
        declined_json TEXT NOT NULL DEFAULT '[]',
        settings TEXT NOT NULL,
        closed_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX bookings_status ON bookings (status, start);
    CREATE INDEX bookings_person ON bookings (person);
    ALTER TABLE proposals ADD COLUMN no_free_time INTEGER NOT NULL DEFAULT 0;
    """,
    # An occurrence's SEQUENCE as its organizer wrote it: asking an organizer to move
    # their meeting must echo it. Rows read before are 0 until their feed is read again.
    """
    ALTER TABLE occurrences ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

Found = TypeVar("Found")


def utc_text(moment: datetime) -> str:
    """Return an aware datetime as a sortable UTC ISO string (second precision)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Database:
    """An open state database at the current schema version."""

    def __init__(self, path: Path, *, busy_timeout: float = 10.0) -> None:
        self.path = path
        self._depth = 0
        try:
            private_directory(path.parent)
            # SQLite gives the -wal and -shm files the mode of the database file.
            private_file(path)
            for companion in ("-wal", "-shm"):
                if path.with_name(path.name + companion).exists():
                    private_file(path.with_name(path.name + companion))
            self.conn = sqlite3.connect(
                path, isolation_level=None, timeout=busy_timeout, check_same_thread=False
            )
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the state database: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the state database: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def one(
        self, query: str, params: Sequence[object], read: Callable[[sqlite3.Row], Found]
    ) -> Found | None:
        """Given a query, its parameters and how to read a row, return the first row
        the query finds, read; None when it finds none."""
        row = self.conn.execute(query, params).fetchone()
        return read(row) if row else None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction; commit on success, roll back on error.

        A block inside another joins it: its writes commit or roll back with the
        outer block's, so an effect and the record of why it happened (an inbox
        message acted on) land together or not at all.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"{self.path}: the state database is busy ({exc}); another cadence process "
                "holds it for too long; try again"
            ) from exc
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self.conn.execute("COMMIT")

    def version(self) -> int:
        row = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if row is None:
            return 0
        found = self.conn.execute("SELECT version FROM schema_version").fetchone()
        return int(found[0]) if found else 0

    def _migrate(self) -> None:
        if self.version() == SCHEMA_VERSION:
            # Up to date: no write lock, so opening never waits for another writer.
            return
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = self.version()
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: the state database is from a newer cadence (schema "
                    f"{current}, this one knows {SCHEMA_VERSION}); upgrade cadence"
                )
            for number in range(current, SCHEMA_VERSION):
                log.info("migrating state database %s to schema %d", self.path, number + 1)
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            if current != SCHEMA_VERSION:
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
