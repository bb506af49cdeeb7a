"""Deliver mail through an SMTP submission server (smtplib).

smtplib's ``send_message`` does the conversation (EHLO, STARTTLS, AUTH, MAIL,
RCPT, DATA) and stays in charge of it; only its DATA step is replaced, so that
the one uncertain moment of a delivery is told apart from the rest. The message
goes out without its final ".", then the caller's hand-over callback runs (the
outbox records the email as being handed over), then the "." goes out and the
server's answer is read. Whatever fails before the "." has left leaves the
message undelivered (a server discards a transaction whose data never ended);
a lost connection or a timeout while waiting for the answer to the "." leaves
it unknown, and is reported as such rather than as a failure worth retrying:
the server may well have taken the message.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from typing import TYPE_CHECKING

from cadence.daemon.core.errors import MailError
from cadence.daemon.mail import HandOver, always, nothing
from cadence.daemon.mail.account import MailAccount, Security, no_starttls

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"(?m)^\.")


class _CalledOff(Exception):
    """The hand-over callback said no: the message data was left unended."""


class _AnswerLost(Exception):
    """The end of the data was sent, and no answer to it came back."""


class _Client(smtplib.SMTP):
    """smtplib's client with a DATA step in two phases (see the module)."""

    handover: HandOver = staticmethod(always)
    taken: Callable[[], None] = staticmethod(nothing)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        content = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
        stuffed = _LEADING_DOT.sub(b"..", content)
        if not stuffed.endswith(b"\r\n"):
            stuffed += b"\r\n"
        # Everything but the final ".": a failure here (an OSError turned into
        # SMTPServerDisconnected by smtplib) leaves the message undelivered.
        self.send(stuffed)
        if not self.handover():
            self.close()
            raise _CalledOff
        self.send(b".\r\n")
        try:
            code, reply = self.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise _AnswerLost(str(exc) or type(exc).__name__) from exc
        if code == 250:
            self.taken()  # recorded now, not after the goodbye
        return code, reply


class _SslClient(smtplib.SMTP_SSL, _Client):
    """The same, with TLS from the first byte."""


def _permanent(code: int) -> bool:
    # 5xx means "do not retry this as it is"; 4xx (and anything odd) may heal.
    return 500 <= code < 600


def _reply(code: int, text: bytes | str) -> str:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(detail.split())}".strip()


class SmtpTransport(MailAccount):
    """Send messages to one SMTP server, with STARTTLS or implicit TLS and login.

    TLS is never downgraded: with ``security="starttls"`` a server that does not
    offer STARTTLS is an error, not a reason to send in plaintext.
    """

    SCHEME = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            host, port, security, username, password, timeout=timeout, ssl_context=ssl_context
        )

    def _error(self, what: str, *, permanent: bool = False, unknown: bool = False) -> MailError:
        return MailError(f"{self.name}: {self.hidden(what)}", permanent=permanent, unknown=unknown)

    @contextmanager
    def _session(self) -> Iterator[_Client]:
        """Given the configuration, yield a connected, secured and logged-in
        session; raise MailError (never an smtplib or socket error)."""
        context = self.tls()
        client: _Client | None = None
        try:
            if self.security == "ssl":
                client = _SslClient(self.host, self.port, timeout=self.timeout, context=context)
            else:
                client = _Client(self.host, self.port, timeout=self.timeout)
            if client.sock is not None:
                # The final "." goes out on its own, after the hand-over is recorded:
                # Nagle's algorithm would hold it back until the server acknowledges
                # the message data (up to 40 ms of delayed ACK), and for as long the
                # email would sit in the uncertain state.
                client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.ehlo()
            if self.security == "starttls":
                if not client.has_extn("starttls"):
                    raise self._error(no_starttls("send"))
                client.starttls(context=context)
                client.ehlo()
            if self.username is not None:
                self._login(client)
            yield client
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                # The work is done; a failed goodbye must not turn a sent message
                # into a failure that a retry would deliver a second time.
                log.debug("%s: QUIT failed after a completed session", self.name)
        except MailError:
            raise
        except _AnswerLost as exc:
            raise self._error(
                f"connection lost after the whole message was sent ({exc}); the server may "
                "have taken it",
                unknown=True,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refused(exc.recipients) from None
        except smtplib.SMTPAuthenticationError as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            # 535 (bad credentials) is final; 454 (temporary auth failure) may heal.
            permanent = _permanent(exc.smtp_code)
            error = self._error(f"login as {self.username} failed: {reply}", permanent=permanent)
            raise error from exc
        except smtplib.SMTPResponseException as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise self._error(f"server said {reply}", permanent=_permanent(exc.smtp_code)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise self._error(f"server cannot take this message: {exc}", permanent=True) from exc
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib wraps a read timeout in a disconnect; say which it was.
            cause = exc.__context__
            what = self.describe(cause) if isinstance(cause, TimeoutError) else "connection lost"
            raise self._error(f"{what} ({exc or 'server disconnected'})") from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise self._error(self.describe(exc)) from exc
        finally:
            if client is not None:
                client.close()

    def _login(self, client: smtplib.SMTP) -> None:
        if not client.has_extn("auth"):
            raise self._error(
                "server offers no AUTH; cannot log in"
                + (" (it may only offer it over TLS)" if self.security == "none" else ""),
                permanent=True,
            )
        try:
            client.login(self.username or "", self._password or "")
        except smtplib.SMTPException as exc:
            if isinstance(exc, smtplib.SMTPResponseException):
                raise
            # "No suitable authentication method": no retry changes that.
            raise self._error(f"login as {self.username} failed: {exc}", permanent=True) from exc

    def _refused(self, refused: dict[str, tuple[int, bytes]]) -> MailError:
        each = ", ".join(f"{rcpt} ({_reply(*reply)})" for rcpt, reply in refused.items())
        permanent = all(_permanent(code) for code, _ in refused.values())
        return self._error(f"recipients refused: {each}", permanent=permanent)

    def send(
        self,
        message: EmailMessage,
        recipients: Sequence[str],
        handover: HandOver = always,
        taken: Callable[[], None] = nothing,
    ) -> bool:
        """Given a message and its envelope recipients, deliver it, calling ``handover``
        just before the end of the message data and ``taken`` when the server says
        it took it; return True when it did, False when ``handover`` called it off.
        Raise MailError: ``permanent`` for 5xx refusals and failed logins,
        ``unknown`` when the connection was lost after the end of the data."""
        if not recipients:
            raise self._error("no recipients", permanent=True)
        try:
            with self._session() as client:
                client.handover, client.taken = handover, taken
                refused = client.send_message(message, to_addrs=list(recipients))
                if refused:
                    # Some recipients accepted it: a retry would deliver to them twice,
                    # so this is reported as final even when the refusal was temporary.
                    error = self._refused(refused)
                    raise MailError(str(error), permanent=True)
        except _CalledOff:
            log.debug("%s: %s called off before the end of data", self.name, message["Message-ID"])
            return False
        log.debug("%s: sent %s to %d recipients", self.name, message["Message-ID"], len(recipients))
        return True

    def delivered(self, message_id: str) -> bool | None:
        """SMTP cannot tell what it delivered earlier: return None."""
        return None

    def check(self) -> None:
        """Connect, greet, secure and log in as configured, then quit without
        sending anything; raise MailError when any step fails."""
        with self._session():
            pass
