"""The errors cadence knows about.

Every error a user can cause or fix derives from :class:`CadenceError` and
carries a message that says what is wrong and what to do. The CLI turns them
into one line and an exit code (cadence.cli.exit_codes decides which);
anything else is a bug and gets a traceback in the debug log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class CadenceError(Exception):
    """Base of every error cadence reports to the user without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration or an argument, at a key path."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class ConfigError(CadenceError):
    """The configuration (or a command-line value) is unusable; lists every problem."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        lines = [str(p) for p in self.problems]
        head = f"{source}: " if source else ""
        if len(lines) == 1:
            message = head + lines[0]
        else:
            message = head + f"{len(lines)} problems:\n  " + "\n  ".join(lines)
        super().__init__(message)


class UsageError(CadenceError):
    """A command was called with a value that cannot work (bad email, a proposal
    already closed)."""


class NotFoundError(CadenceError):
    """A person, proposal or document asked for by the user does not exist."""


class SourceError(CadenceError):
    """A calendar or busy feed could not be read or parsed.

    ``source`` names the feed (a URL or path, never with credentials) so that
    logs, ``status`` and ``sync --json`` can say which one failed.
    """

    def __init__(self, source: str, message: str, *, needs_owner: bool = False) -> None:
        self.source = source
        self.reason = message
        # Only the owner can fix it (an authorization to renew): worth an email.
        self.needs_owner = needs_owner
        super().__init__(f"{source}: {message}")


class MailError(CadenceError):
    """An email could not be delivered, or it is unknown whether it was.

    ``permanent``: the server refused it and a retry cannot help. ``unknown``:
    the whole message was handed over but the server's answer never came (the
    connection broke after the end of the data): it may have been taken, so it
    must not be sent again blindly. Otherwise the email was certainly not
    delivered and the outbox keeps it for a retry.
    """

    def __init__(self, message: str, *, permanent: bool = False, unknown: bool = False) -> None:
        self.permanent = permanent
        self.unknown = unknown
        super().__init__(message)


class AgendaError(CadenceError):
    """The agenda document could not be read or written."""


class StoreError(CadenceError):
    """The state database is unusable (locked for too long, corrupt, too new)."""


class SlotUnavailableError(CadenceError):
    """The slot chosen for a proposal is no longer free."""
