"""A failure to reach the mail server, said in the words a feed's failure is said in.

smtplib and the socket module speak in errno texts ("[Errno -2] Name or
service not known"); ``cadence doctor`` says what happened and whether it may
heal by itself, the same way for the mail server as for a calendar feed.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

from cadence.daemon.config import SmtpConfig
from cadence.daemon.core.errors import MailError

# The mail server in the starter config: nobody's, on purpose.
EXAMPLE_HOST = "smtp.example.com"


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def mail_problem(error: MailError, name: str, smtp: SmtpConfig) -> str:
    """Given why the SMTP server could not be reached (its transport's ``name``),
    return the words for it: ``will retry`` marks what may heal by itself."""
    host, port = smtp.host, smtp.port
    for cause in _chain(error):
        if isinstance(cause, socket.gaierror):
            return (
                f"{name}: cannot resolve the host {host}: check email.smtp.host and the "
                "network; will retry"
            )
        if isinstance(cause, ConnectionRefusedError):
            return f"{name}: cannot connect to {host}:{port} (refused); will retry"
        if isinstance(cause, TimeoutError):
            return f"{name}: no answer within {smtp.timeout.total_seconds():g} s; will retry"
        if isinstance(cause, ssl.SSLError):
            break  # its own words ("TLS failed: ...") say it well
        if isinstance(cause, OSError) and cause.strerror and not isinstance(error, OSError):
            return f"{name}: cannot connect to {host}:{port} ({cause.strerror}); will retry"
    return str(error)
