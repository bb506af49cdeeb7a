"""A real IMAP server for tests: Dovecot from Debian's packages, on 127.0.0.1.

    with DovecotServer() as server:
        user = server.add_user()                       # a fresh, empty mailbox
        uid = server.deliver(user, raw_message)        # IMAP APPEND
        ImapInbox(server.host, server.imaps_port, "ssl", user.name, user.password,
                  ssl_context=server.tls.client_context())
        server.flags(user)                             # {uid: {"\\Seen", ...}}

It runs in the foreground (``dovecot -F``) with a throwaway configuration in a
temporary directory: its own base_dir and state_dir,
Maildirs under the same directory, and a self-signed certificate for
implicit TLS (``imaps_port``) and STARTTLS (``imap_port``, where a plaintext
login is allowed too, for ``security = "none"``). Every account has the
server's one password (a static passdb), so a test makes itself a fresh,
empty mailbox by naming a new user.

As root (CI) the login processes run as Dovecot's own ``dovenull`` and
``dovecot`` users, which the package creates, and mail belongs to ``nobody``:
Dovecot refuses to serve mail as root. As anyone else everything runs as the
current user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

from tests.support.smtp_server import TlsFiles, free_port, make_tls

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass(frozen=True)
class ImapUser:
    name: str
    password: str


def _accounts() -> tuple[str, str, str, int, int]:
    """Return the login user, internal user and group, and the uid/gid mail is kept as."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return "dovenull", "dovecot", "dovecot", nobody.pw_uid, nobody.pw_gid
    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    return me, me, group, os.getuid(), os.getgid()


class DovecotServer:
    host = "127.0.0.1"

    def __init__(self) -> None:
        # Not under pytest's tmp_path: as root its parents are 0700, and Dovecot's
        # unprivileged login processes must reach the sockets in base_dir.
        self.directory = Path(tempfile.mkdtemp(prefix="cadence-dovecot-"))
        self.directory.chmod(0o755)
        self.imaps_port = free_port()
        self.imap_port = free_port()
        self.tls: TlsFiles = make_tls(self.directory)
        # Every account has this password: a static passdb needs no user list, so
        # a test makes itself a fresh mailbox just by naming a new user.
        self.password = secrets.token_hex(12)
        self.mail = self.directory / "mail"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "dovecot.log"

    def _config(self) -> str:
        login, internal, group, uid, gid = _accounts()
        d = self.directory
        return f"""\
base_dir = {d}/run
state_dir = {d}/state
log_path = {self.log}
protocols = imap
listen = {self.host}
ssl = yes
ssl_cert = <{self.tls.cert}
ssl_key = <{self.tls.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# A wrong password in one test must not slow down the logins of the next.
auth_failure_delay = 0
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {group}
first_valid_uid = 1
first_valid_gid = 0
mail_location = maildir:{self.mail}/%u
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.mail}/%u
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

    def start(self) -> Self:
        _, _, _, uid, gid = _accounts()
        self.mail.mkdir(mode=0o755)
        os.chown(self.mail, uid, gid)
        config = self.directory / "dovecot.conf"
        config.write_text(self._config())
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.directory / "stderr").open("wb"),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.failure()}")
            if all(self._answers(port) for port in (self.imaps_port, self.imap_port)):
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dovecot did not start within 20 s: {self.failure()}")

    def _answers(self, port: int) -> bool:
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def failure(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.directory / "stderr", self.log)
                 if p.exists()]  # fmt: skip
        return "\n".join(parts)[-4000:]

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- users and their mail -------------------------------------------------

    def add_user(self) -> ImapUser:
        """A new account with an empty mailbox."""
        return ImapUser(f"u{secrets.token_hex(6)}", self.password)

    def client(self, user: ImapUser) -> imaplib.IMAP4_SSL:
        """A logged-in client over TLS, for delivering and inspecting mail."""
        client = imaplib.IMAP4_SSL(
            self.host, self.imaps_port, ssl_context=self.tls.client_context(), timeout=10
        )
        client.login(user.name, user.password)
        return client

    def deliver(
        self, user: ImapUser, raw: bytes, folder: str = "INBOX", when: datetime | None = None
    ) -> int:
        """APPEND the message (with CRLF line ends, as SMTP delivers) and return its UID."""
        data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        client = self.client(user)
        try:
            quoted = f'"{folder}"'  # imaplib passes names as they are
            if folder != "INBOX":
                client.create(quoted)
            moment = imaplib.Time2Internaldate(when.timestamp()) if when else None
            kind, answer = client.append(quoted, None, moment, data)
            assert kind == "OK", answer
            text = answer[0].decode() if isinstance(answer[0], bytes) else str(answer[0])
            return int(text.split("APPENDUID ", 1)[1].split()[1].rstrip("]"))
        finally:
            client.logout()

    def messages(self, user: ImapUser, folder: str = "INBOX") -> dict[str, set[str]]:
        """Every message of the folder by Message-ID, with its flags as a mail client
        shows them ("seen", "flagged", ...; not the session's \\Recent)."""
        client = self.client(user)
        try:
            kind, _ = client.select(f'"{folder}"', readonly=True)
            if kind != "OK":
                return {}
            kind, data = client.uid(
                "FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
            )
            found: dict[str, set[str]] = {}
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head, header = item[0].decode(), item[1].decode()
                flags = head.split("FLAGS (", 1)[1].split(")", 1)[0].split()
                _, _, mid = header.partition(":")
                uid = head.split("UID ", 1)[1].split()[0] if "UID " in head else "?"
                mid = mid.strip() or f"(no Message-ID, UID {uid})"
                found[mid] = {f.lstrip("\\").lower() for f in flags} - {"recent"}
            return found
        finally:
            client.logout()

    def set_seen(self, user: ImapUser, message_id: str) -> None:
        """Flag a message \\Seen, as a mail client does when it is read."""
        client = self.client(user)
        try:
            client.select("INBOX")
            _, data = client.uid("SEARCH", "HEADER", "Message-ID", f'"{message_id}"')
            for uid in data[0].split():
                client.uid("STORE", uid, "+FLAGS", r"(\Seen)")
        finally:
            client.logout()

    def flags(self, user: ImapUser, folder: str = "INBOX") -> dict[int, set[str]]:
        """Every message of the folder by UID, with its flags (read without changing them)."""
        client = self.client(user)
        try:
            kind, _ = client.select(f'"{folder}"', readonly=True)
            if kind != "OK":
                return {}
            kind, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
            found: dict[int, set[str]] = {}
            for item in data:
                if not isinstance(item, bytes):
                    continue
                text = item.decode()
                uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")"))
                flags = text.split("FLAGS (", 1)[1].split(")", 1)[0].split()
                found[uid] = set(flags)
            return found
        finally:
            client.logout()
