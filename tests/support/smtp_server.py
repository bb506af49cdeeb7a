"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in a thread.

    with SmtpTestServer() as server:                      # plain SMTP
        SmtpTransport(server.host, server.port, "none").send(message, ["a@example.com"])
        assert server.messages[0].message["Subject"] == ...

    tls = make_tls(tmp_path)                              # self-signed, for 127.0.0.1
    with SmtpTestServer(tls=tls, users={"me": "secret"}) as server:   # STARTTLS + AUTH
        SmtpTransport(server.host, server.port, "starttls", "me", "secret",
                      ssl_context=tls.client_context())

Switches, settable while the server runs: ``rcpt_reply`` / ``data_reply`` (e.g.
"451 4.3.0 Try again later", "550 5.1.1 No such user") answer every RCPT / the
end of every message with that reply, ``rcpt_replies`` does so per address.
Two ways to hang up mid-delivery: ``drop_at_data`` closes the connection when
the DATA command arrives (nothing was taken: the client knows it was not
delivered), ``drop_after_data`` keeps the message and closes the connection
before answering its final "." (the client cannot know it arrived).

``plan``, when set, is asked at each DATA command what to do with that message:
"ok", "451" (refuse it after its data), "drop-before" or "drop-after" (as the
switches above); ``outcomes`` records each answer with the message's
Message-ID (None when the message never came), and ``on_answer`` is called
with them just before the client hears the answer (or the hang-up).
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Mode = str  # "ok" | "451" | "drop-before" | "drop-after"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for ``localhost`` and 127.0.0.1, and its key."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this certificate (and verifies it)."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_tls(directory: Path) -> TlsFiles:
    """Given a directory, write a fresh self-signed certificate and key into it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    alt = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(alt, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "smtp-cert.pem", directory / "smtp-key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass(frozen=True)
class Received:
    """One message as the server got it: envelope, raw bytes and parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    authenticated: bool
    tls: bool


class _Smtp(SMTP):
    """aiosmtpd's protocol, able to hang up when the DATA command arrives."""

    def __init__(self, server: SmtpTestServer, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server
        self.mode: Mode = "ok"

    async def smtp_DATA(self, arg: str) -> None:
        self.mode = self.test_server.next_mode()
        if self.mode == "drop-before" and self.envelope is not None and self.envelope.rcpt_tos:
            self.test_server.record_outcome(self.mode, None)
            assert self.transport is not None
            self.transport.close()
            return
        await super().smtp_DATA(arg)


@dataclass
class _Handler:
    server: SmtpTestServer
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.server.rcpt_replies.get(address) or self.server.rcpt_reply
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        mode = smtp.mode if isinstance(smtp, _Smtp) else "ok"
        content = envelope.original_content or envelope.content or b""
        raw = content.encode() if isinstance(content, str) else content
        # Parsed with local line ends, so bodies compare equal to what was sent.
        parsed = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        message_id = str(parsed["Message-ID"])
        if mode == "451" or (mode == "ok" and self.server.data_reply):
            self.server.record_outcome(mode, message_id)
            return self.server.data_reply if mode == "ok" else "451 4.3.0 Try again later"
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            message=parsed,
            authenticated=bool(session.authenticated),
            tls=session.ssl is not None,
        )
        with self.lock:
            self.server.messages.append(received)
        self.server.record_outcome(mode, message_id)
        if mode == "drop-after":
            # Kept, and the client never hears so: the one case it cannot tell.
            assert smtp.transport is not None
            smtp.transport.close()
            return "250 2.0.0 Message accepted (never heard)"
        if self.server.on_message is not None:
            # Runs after the message is taken and before the client hears so:
            # the window in which a client crash leaves delivery unknown to it.
            self.server.on_message(received)
        return "250 2.0.0 Message accepted"


class _Controller(Controller):
    def __init__(self, server: SmtpTestServer, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server

    def factory(self) -> SMTP:
        return _Smtp(self.test_server, self.handler, **self.SMTP_kwargs)


class SmtpTestServer:
    """An aiosmtpd server on 127.0.0.1 and a free port; start/stop or use ``with``.

    ``tls`` offers STARTTLS (or, with ``implicit_tls``, TLS from the first byte);
    ``users`` enables AUTH PLAIN/LOGIN against that mapping of login to password,
    also over plain connections unless ``auth_require_tls``.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        implicit_tls: bool = False,
        users: Mapping[str, str] | None = None,
        auth_require_tls: bool = False,
    ) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self.rcpt_reply: str | None = None
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.drop_at_data = False
        self.drop_after_data = False
        self.plan: Callable[[], Mode] | None = None
        self.outcomes: list[tuple[Mode, str | None]] = []
        self._outcomes_lock = threading.Lock()
        self.on_message: Callable[[Received], None] | None = None
        self.on_answer: Callable[[Mode, str | None], None] | None = None
        self.users = dict(users or {})
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port}
        if tls is not None and implicit_tls:
            kwargs["ssl_context"] = tls.server_context()
        elif tls is not None:
            kwargs["tls_context"] = tls.server_context()
        if users is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=auth_require_tls)
        self._controller = _Controller(self, _Handler(self), **kwargs)

    def next_mode(self) -> Mode:
        """What to do with the message whose DATA command just arrived."""
        if self.plan is not None:
            return self.plan()
        if self.drop_at_data:
            return "drop-before"
        return "drop-after" if self.drop_after_data else "ok"

    def record_outcome(self, mode: Mode, message_id: str | None) -> None:
        with self._outcomes_lock:
            self.outcomes.append((mode, message_id))
        if self.on_answer is not None:
            self.on_answer(mode, message_id)

    def _authenticate(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        return AuthResult(success=self.users.get(login) == password, handled=False)

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)
