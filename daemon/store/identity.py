"""The installation's secret: made once, kept in the state, never shown.

Message-IDs (and, with bookings, UIDs) are derived from it
(``cadence.daemon.core.identity``), so they are unique per installation and
nobody without the state can guess one.
"""

from __future__ import annotations

import secrets

from cadence.daemon.store.database import Database

_KEY = "installation-secret"


class Identity:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._secret: bytes | None = None

    def secret(self) -> bytes:
        """Return the installation secret, creating it on first use (32 random bytes)."""
        if self._secret is None:
            query = "SELECT value FROM meta WHERE key = ?"
            row = self.db.conn.execute(query, (_KEY,)).fetchone()
            if row is None:
                # Two processes starting together: the first one's secret wins.
                with self.db.transaction() as conn:
                    conn.execute(
                        "INSERT OR IGNORE INTO meta VALUES (?, ?)", (_KEY, secrets.token_hex(32))
                    )
                    row = conn.execute(query, (_KEY,)).fetchone()
            self._secret = bytes.fromhex(str(row[0]))
        return self._secret

    def __repr__(self) -> str:
        return "Identity(<secret>)"
