"""What the web app keeps: each person's agenda link, and the owner's sessions.

A person's agenda link carries a random nonce kept here; rotating the link
replaces the nonce, so the old link names nobody any more. A session is a
random value in the owner's cookie; only its SHA-256 is stored, so whoever
reads a copy of the database still cannot sign in with it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from cadence.daemon.store.database import Database, utc_text


def _hash(session: str) -> str:
    return hashlib.sha256(session.encode("utf-8")).hexdigest()


class WebState:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- agenda links -----------------------------------------------------------

    def nonce(self, person: str, now: datetime) -> str:
        """Return the nonce of the person's agenda link, making one on first use."""
        query = "SELECT nonce FROM web_links WHERE person = ?"
        row = self.db.conn.execute(query, (person.lower(),)).fetchone()
        if row is not None:
            return str(row[0])
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO web_links VALUES (?, ?, ?)",
                (person.lower(), secrets.token_hex(8), utc_text(now)),
            )
            return str(conn.execute(query, (person.lower(),)).fetchone()[0])

    def existing_nonce(self, person: str) -> str | None:
        """Return the nonce of the person's agenda link, None when none was made yet."""
        query = "SELECT nonce FROM web_links WHERE person = ?"
        row = self.db.conn.execute(query, (person.lower(),)).fetchone()
        return str(row[0]) if row else None

    def rotate(self, person: str, now: datetime) -> str:
        """Give the person a new agenda link nonce (the old link stops working); return it."""
        nonce = secrets.token_hex(8)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO web_links VALUES (?, ?, ?) ON CONFLICT (person) "
                "DO UPDATE SET nonce = excluded.nonce, created_at = excluded.created_at",
                (person.lower(), nonce, utc_text(now)),
            )
        return nonce

    def person_for(self, nonce: str) -> str | None:
        """Return whose agenda link carries ``nonce`` (None: rotated away, or never made)."""
        row = self.db.conn.execute(
            "SELECT person FROM web_links WHERE nonce = ?", (nonce,)
        ).fetchone()
        return str(row[0]) if row else None

    def forget(self, person: str) -> None:
        """End the person's agenda link (they were removed)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM web_links WHERE person = ?", (person.lower(),))

    # -- the owner's sessions ---------------------------------------------------

    def new_session(self, now: datetime, expires: datetime) -> str:
        """Start a session that lasts until ``expires``; return the cookie's value."""
        session = secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (utc_text(now),))
            conn.execute(
                "INSERT INTO web_sessions VALUES (?, ?, ?)",
                (_hash(session), utc_text(now), utc_text(expires)),
            )
        return session

    def session_valid(self, session: str, now: datetime) -> bool:
        """Return whether the cookie's value is a session that has not ended."""
        row = self.db.conn.execute(
            "SELECT expires_at FROM web_sessions WHERE id_hash = ?", (_hash(session),)
        ).fetchone()
        return row is not None and str(row[0]) > utc_text(now)

    def end_session(self, session: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (_hash(session),))
