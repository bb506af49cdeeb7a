"""Mail transports: hand a rendered message to SMTP or drop it into a Maildir.

A delivery has two phases. Until the hand-over, nothing can have reached the
recipient: a failure then means "not delivered", and the email can simply be
tried again. The hand-over itself (SMTP: the end of the message data and the
server's answer to it; Maildir: linking the file into ``new/``) is the one
moment after which a failure may leave the email delivered or not. The caller
learns when that moment comes through ``handover``, a callback the transport
calls just before it: the outbox records the email as being handed over
there, and can still call the delivery off by returning False. ``taken`` is
called the moment the transport knows the message was taken (SMTP: the
server's "250", before the goodbye), so that the outbox records it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Protocol

# Called right before the hand-over; returning False calls the delivery off
# (another process has taken the email meanwhile).
HandOver = Callable[[], bool]


def always() -> bool:
    """The hand-over callback of a caller with nothing to record."""
    return True


def nothing() -> None:
    """The ``taken`` callback of a caller with nothing to record."""


class Transport(Protocol):
    @property
    def name(self) -> str:
        """Names the transport in logs and status (host:port or path, no secrets)."""
        ...

    def send(
        self,
        message: EmailMessage,
        recipients: Sequence[str],
        handover: HandOver = always,
        taken: Callable[[], None] = nothing,
    ) -> bool:
        """Deliver the message to the recipients, calling ``handover`` just before the
        step that hands it over and ``taken`` as soon as it was taken; return True
        when delivered, False when ``handover`` called it off (nothing was
        delivered). Raise MailError on failure: ``permanent=True`` when a retry
        cannot help, ``unknown=True`` when the failure came after the hand-over
        began, so the message may have arrived. An error raised by a callback
        ends the delivery and is raised as it is."""
        ...

    def delivered(self, message_id: str) -> bool | None:
        """Return whether a message with this Message-ID was already delivered,
        or None when the transport cannot tell (SMTP)."""
        ...

    def check(self) -> None:
        """Verify the transport is usable without sending mail; raise MailError."""
        ...
