"""Mail transports: hand a rendered message to SMTP or drop it into a Maildir."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from typing import Protocol


class Transport(Protocol):
    @property
    def name(self) -> str:
        """Names the transport in logs and status (host:port or path, no secrets)."""
        ...

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> None:
        """Deliver the message to the recipients; raise MailError on failure
        (``permanent=True`` when a retry cannot help)."""
        ...

    def delivered(self, message_id: str) -> bool | None:
        """Return whether a message with this Message-ID was already delivered,
        or None when the transport cannot tell (SMTP)."""
        ...

    def check(self) -> None:
        """Verify the transport is usable without sending mail; raise MailError."""
        ...
