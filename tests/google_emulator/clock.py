"""The emulator's clock and its deterministic identifiers.

Google stamps every write with the server's time and hands out opaque ids and
etags. The emulator takes time from one settable clock (``now``: a fixed
instant set by a test, else the real UTC time) and derives every id and etag
from counters, so two runs of the same scenario produce the same responses.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from datetime import UTC, datetime

_EVENT_ID_BYTES = 16  # 16 bytes in base32hex are 26 characters, the length Google generates.


class Clock:
    """Time and counters shared by everything the emulator stores."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None
        self._counter = itertools.count(1)
        self._changes = itertools.count(1)

    def now(self) -> datetime:
        """The emulator's current instant (aware, UTC)."""
        if self.fixed is not None:
            return self.fixed.astimezone(UTC)
        return datetime.now(UTC)

    def next(self) -> int:
        """A fresh number, unique within this emulator."""
        return next(self._counter)

    def change(self) -> int:
        """The next change number: incremental sync orders changes by it."""
        return next(self._changes)

    def etag(self) -> str:
        """A quoted etag like Google's (``"3181161784712000"``), new on every call."""
        return f'"{3_180_000_000_000_000 + self.next() * 1000}"'

    def event_id(self) -> str:
        """An event id as Google generates them: 26 characters of base32hex, lower case."""
        digest = hashlib.sha256(f"event-{self.next()}".encode()).digest()[:_EVENT_ID_BYTES]
        return base64.b32hexencode(digest).decode().rstrip("=").lower()

    def file_id(self) -> str:
        """A Drive file id: 44 URL-safe characters starting with "1", as Drive's do."""
        digest = hashlib.sha256(f"file-{self.next()}".encode()).digest()
        return "1" + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:43]

    def token(self, prefix: str) -> str:
        """An opaque token (access, refresh, sync, page) with a recognisable prefix."""
        digest = hashlib.sha256(f"{prefix}-{self.next()}".encode()).digest()
        return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:40]


def derived_etag(*parts: str) -> str:
    """An etag computed from other values: it changes exactly when one of them does."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f'"{int(digest[:13], 16)}"'
