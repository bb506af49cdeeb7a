"""The inbox: a mailbox cadence reads for the replies to what it sent.

An :class:`Inbox` opens a :class:`Mailbox` session that lists the messages
that arrived since a day, fetches one by its place (``ref``: an IMAP
``UIDVALIDITY/UID``, a Maildir key) without marking it read, and marks (or
moves) the ones cadence handled. Nothing else in the mailbox is touched:
nothing is deleted, and a message cadence did not handle keeps its flags.
Failures raise SourceError naming the inbox (never with its password): for
``status`` the inbox is a source like a feed.

After handling, a message is either marked (``after = "mark"``: flagged
\\Seen, as a mail client marks what was read) or moved into a folder
(``after = "move"``, folder ``move_to``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Literal, Protocol

After = Literal["mark", "move"]
# Larger messages are no reply to a proposal; they are not fetched.
MAX_MESSAGE_BYTES = 5_000_000


class Mailbox(Protocol):
    """An open inbox."""

    def list_new(self, since: date) -> list[str]:
        """Return the places of the messages that arrived on ``since`` or later,
        oldest first."""
        ...

    def fetch(self, ref: str) -> bytes | None:
        """Return the message at ``ref`` as it is stored, without changing its flags;
        None when it is gone or larger than MAX_MESSAGE_BYTES."""
        ...

    def mark_handled(self, refs: Sequence[str]) -> list[str]:
        """Mark (or move) the messages at ``refs``; return those that were no longer
        there (nothing to mark)."""
        ...


class Inbox(Protocol):
    @property
    def name(self) -> str:
        """Names the inbox in logs and status (no password)."""
        ...

    def session(self) -> AbstractContextManager[Mailbox]:
        """Open the mailbox (connect, log in, select the folder); raise SourceError."""
        ...

    def check(self) -> str:
        """Verify the inbox is usable without reading or marking anything; return what
        was verified; raise SourceError."""
        ...
