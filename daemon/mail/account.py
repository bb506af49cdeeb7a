"""An account on a mail server, as sending (SMTP) and the inbox (IMAP) reach it.

Both connect with TLS as configured and never downgrade it, keep the password
out of reprs and messages, and say in words what failed on the way to the
server; this is where they do it alike.
"""

from __future__ import annotations

import ssl
from typing import ClassVar, Literal

Security = Literal["starttls", "ssl", "none"]


def no_starttls(refusing: str) -> str:
    """What to say of a server that offers no STARTTLS when it was asked for."""
    return (
        f"server does not offer STARTTLS; refusing to {refusing} in plaintext "
        '(use security = "ssl" if it expects TLS from the start)'
    )


class MailAccount:
    """``username`` on ``host``:``port``, reached with ``security``; ``ssl_context``
    replaces the system's trust (tests), ``timeout`` bounds each network step."""

    # Named in URLs and errors: "smtp", "imap".
    SCHEME: ClassVar[str]
    # The settings of security, in the order the error for a wrong one lists them.
    SECURITIES: ClassVar[tuple[str, ...]] = ("starttls", "ssl", "none")

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        username: str | None,
        password: str | None,
        *,
        timeout: float,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        if security not in self.SECURITIES:
            choices = ", ".join(self.SECURITIES[:-1]) + f" or {self.SECURITIES[-1]}"
            raise ValueError(f"unknown {self.SCHEME.upper()} security {security!r}; use {choices}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self._context = ssl_context

    @property
    def name(self) -> str:
        return f"{self.SCHEME}://{self.host}:{self.port}"

    def __repr__(self) -> str:
        # The password stays out of reprs, and so out of logs and tracebacks.
        return f"{type(self).__name__}({self.name!r}, security={self.security!r})"

    def hidden(self, what: str) -> str:
        """Given a message about the account, return it with the password masked: a
        server echoing credentials back must not put them into logs or status."""
        return what.replace(self._password, "***") if self._password else what

    def tls(self) -> ssl.SSLContext:
        return self._context or ssl.create_default_context()

    def describe(self, exc: BaseException) -> str:
        """Say in words what failed on the way to the server."""
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused"
        if isinstance(exc, TimeoutError):
            return f"no answer within {self.timeout:g}s"
        if isinstance(exc, ssl.SSLError):
            return f"TLS failed: {exc.reason or exc}"
        return self.describe_other(exc)

    def describe_other(self, exc: BaseException) -> str:
        """What :meth:`describe` says of the rest; protocols with errors of their
        own say more."""
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
