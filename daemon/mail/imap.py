"""The inbox over IMAP (stdlib imaplib): TLS or STARTTLS, UIDs, UIDVALIDITY.

A message's place is ``UIDVALIDITY/UID``: UIDs are stable within a
UIDVALIDITY, and a server that renumbers its messages changes the UIDVALIDITY,
so an old place is then simply gone. The folder is opened read-only (EXAMINE)
and fetched with BODY.PEEK, so reading changes no flag; only marking opens it
read-write. TLS is never downgraded: with ``security = "starttls"`` a server
without STARTTLS is an error, not a reason to log in in plaintext.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from cadence.daemon.core.errors import SourceError
from cadence.daemon.mail.account import MailAccount, Security, no_starttls
from cadence.daemon.mail.inbox import MAX_MESSAGE_BYTES, After

log = logging.getLogger(__name__)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CHUNK = 200  # UIDs per command
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_MESSAGES = re.compile(rb"MESSAGES (\d+)")
_NETWORK_ERRORS = (imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError)


def mailbox_name(name: str) -> str:
    """Given a folder name, return it as an IMAP command argument: modified UTF-7
    (RFC 3501 §5.1.3) for what is not printable ASCII, quoted."""
    out: list[str] = []
    wide: list[str] = []

    def flush() -> None:
        if wide:
            encoded = base64.b64encode("".join(wide).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            wide.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            wide.append(char)
    flush()
    quoted = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'


def _since(day: date) -> str:
    # IMAP wants English month names whatever the process locale says.
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _text(data: object) -> str:
    """The server's words from an imaplib response, as one line."""
    items = data if isinstance(data, list) else [data]
    words = []
    for item in items:
        if isinstance(item, bytes):
            words.append(item.decode("utf-8", "replace"))
        elif isinstance(item, tuple):
            words.append(_text(list(item)))
        elif item is not None:
            words.append(str(item))
    return " ".join(" ".join(words).split())


class _Session:
    """An open, selected IMAP folder (see cadence.daemon.mail.inbox.Mailbox)."""

    def __init__(self, inbox: ImapInbox, client: imaplib.IMAP4, uidvalidity: str) -> None:
        self._inbox = inbox
        self._client = client
        self._uidvalidity = uidvalidity
        self._writable = False

    def _ok(self, answer: tuple[str, Sequence[Any]], what: str) -> Sequence[Any]:
        kind, data = answer
        if kind != "OK":
            raise self._inbox.error(f"{what} failed: {_text(data)}")
        return data

    def list_new(self, since: date) -> list[str]:
        with self._inbox.guard("search"):
            data = self._ok(self._client.uid("SEARCH", "SINCE", _since(since)), "SEARCH")
        uids = sorted({int(u) for item in data if isinstance(item, bytes) for u in item.split()})
        return [f"{self._uidvalidity}/{uid}" for uid in uids]

    def _uid(self, ref: str) -> str | None:
        validity, _, uid = ref.partition("/")
        return uid if validity == self._uidvalidity and uid.isdigit() else None

    def fetch(self, ref: str) -> bytes | None:
        uid = self._uid(ref)
        if uid is None:
            return None
        with self._inbox.guard("fetch"):
            sized = self._ok(self._client.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH")
            size = next((_SIZE.search(i) for i in sized if isinstance(i, bytes)), None)
            if size is None:
                return None  # expunged meanwhile
            if int(size.group(1)) > MAX_MESSAGE_BYTES:
                log.info("%s: message %s is larger than %d bytes; not read", self._inbox.name,
                         ref, MAX_MESSAGE_BYTES)  # fmt: skip
                return None
            data = self._ok(self._client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
        return next((bytes(i[1]) for i in data if isinstance(i, tuple) and len(i) > 1), None)

    def mark_handled(self, refs: Sequence[str]) -> list[str]:
        wanted = {ref: self._uid(ref) for ref in refs}
        gone = [ref for ref, uid in wanted.items() if uid is None]
        uids = [uid for uid in wanted.values() if uid is not None]
        if not uids:
            return gone
        with self._inbox.guard("mark"):
            if not self._writable:
                self._ok(self._client.select(self._inbox.folder_arg), "SELECT")
                self._writable = True
            present: set[str] = set()
            for start in range(0, len(uids), _CHUNK):
                chunk = ",".join(uids[start : start + _CHUNK])
                found = self._ok(self._client.uid("SEARCH", "UID", chunk), "SEARCH")
                present |= {u.decode() for i in found if isinstance(i, bytes) for u in i.split()}
            gone += [ref for ref, uid in wanted.items() if uid is not None and uid not in present]
            kept = [uid for uid in uids if uid in present]
            for start in range(0, len(kept), _CHUNK):
                chunk = ",".join(kept[start : start + _CHUNK])
                if self._inbox.after == "move":
                    self._move(chunk)
                else:
                    self._ok(self._client.uid("STORE", chunk, "+FLAGS.SILENT", r"(\Seen)"), "STORE")
        return gone

    def _move(self, uids: str) -> None:
        target = mailbox_name(self._inbox.move_to)
        listed = self._ok(self._client.list('""', target), "LIST")
        if not any(isinstance(item, bytes) for item in listed):
            self._ok(self._client.create(target), f"CREATE {self._inbox.move_to}")
        caps = self._inbox.capabilities(self._client)
        if "MOVE" in caps:
            self._ok(self._client.uid("MOVE", uids, target), "MOVE")
            return
        self._ok(self._client.uid("COPY", uids, target), "COPY")
        self._ok(self._client.uid("STORE", uids, "+FLAGS.SILENT", r"(\Seen \Deleted)"), "STORE")
        if "UIDPLUS" in caps:
            # Only these UIDs: a plain EXPUNGE would also remove what others deleted.
            self._ok(self._client.uid("EXPUNGE", uids), "EXPUNGE")


class ImapInbox(MailAccount):
    """A folder of an IMAP server, read as cadence's inbox."""

    SCHEME = "imap"
    SECURITIES = ("ssl", "starttls", "none")
    username: str  # an inbox is always logged in to

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        username: str,
        password: str | None,
        folder: str = "INBOX",
        *,
        after: After = "mark",
        move_to: str = "cadence",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            host, port, security, username, password, timeout=timeout, ssl_context=ssl_context
        )
        self.folder = folder
        self.after = after
        self.move_to = move_to

    @property
    def name(self) -> str:
        return f"{super().name}/{self.folder}"

    @property
    def folder_arg(self) -> str:
        return mailbox_name(self.folder)

    def error(self, what: str) -> SourceError:
        return SourceError(self.name, self.hidden(what))

    def describe_other(self, exc: BaseException) -> str:
        if isinstance(exc, imaplib.IMAP4.abort | EOFError):
            return f"connection lost ({exc})" if str(exc) else "connection lost"
        text = str(exc) or type(exc).__name__
        return text if isinstance(exc, imaplib.IMAP4.error) else f"{type(exc).__name__}: {text}"

    @contextmanager
    def guard(self, step: str) -> Iterator[None]:
        """Turn imaplib's and the network's errors during ``step`` into SourceError."""
        try:
            yield
        except SourceError:
            raise
        except _NETWORK_ERRORS as exc:
            raise self.error(f"{step}: {self.describe(exc)}") from exc

    def capabilities(self, client: imaplib.IMAP4) -> set[str]:
        """What the server offers now (imaplib only asks before login)."""
        kind, data = client.capability()
        if kind != "OK":
            return {c.upper() for c in client.capabilities}
        return {c.upper() for c in _text(data).split()}

    def _connect(self) -> imaplib.IMAP4:
        context = self.tls()
        if self.security == "ssl":
            return imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=self.timeout
            )
        client = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            if "STARTTLS" not in {c.upper() for c in client.capabilities}:
                client.shutdown()
                raise self.error(no_starttls("log in"))
            client.starttls(ssl_context=context)
        return client

    def _login(self, client: imaplib.IMAP4) -> None:
        caps = {c.upper() for c in client.capabilities}
        if "LOGINDISABLED" in caps and "AUTH=PLAIN" not in caps:
            raise self.error("server refuses logins without TLS; use security = starttls or ssl")
        password = self._password or ""
        try:
            if "AUTH=PLAIN" in caps:
                # PLAIN carries any UTF-8 password; LOGIN's quoted string only ASCII.
                token = f"\0{self.username}\0{password}".encode()
                client.authenticate("PLAIN", lambda _: token)
            else:
                client.login(self.username, password)
        except imaplib.IMAP4.error as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            raise self.error(f"login as {self.username} failed: {exc}") from None

    @contextmanager
    def _open(self, step: str) -> Iterator[imaplib.IMAP4]:
        client: imaplib.IMAP4 | None = None
        try:
            with self.guard(step):
                client = self._connect()
                self._login(client)
            yield client
        finally:
            if client is not None:
                try:
                    client.logout()
                except _NETWORK_ERRORS:
                    log.debug("%s: LOGOUT failed after a completed session", self.name)

    def _examine(self, client: imaplib.IMAP4) -> str:
        kind, data = client.select(self.folder_arg, readonly=True)
        if kind != "OK":
            raise self.error(f"folder {self.folder!r} cannot be opened: {_text(data)}")
        validity = client.untagged_responses.get("UIDVALIDITY") or []
        found = [v for v in validity if isinstance(v, bytes) and v.strip().isdigit()]
        if not found:
            raise self.error(f"folder {self.folder!r}: the server gave no UIDVALIDITY")
        return found[-1].strip().decode()

    @contextmanager
    def session(self) -> Iterator[_Session]:
        with self._open("connect") as client:
            with self.guard("open folder"):
                validity = self._examine(client)
            yield _Session(self, client, validity)

    def check(self) -> str:
        with self._open("connect") as client, self.guard("status"):
            kind, data = client.status(self.folder_arg, "(MESSAGES UIDVALIDITY)")
            if kind != "OK":
                raise self.error(f"folder {self.folder!r} cannot be opened: {_text(data)}")
            raw = b" ".join(i for i in data if isinstance(i, bytes))
            count = _MESSAGES.search(raw)
            if _UIDVALIDITY.search(raw) is None:
                raise self.error(f"folder {self.folder!r}: the server gave no UIDVALIDITY")
            number = count.group(1).decode() if count else "?"
            detail = f"folder {self.folder} ({number} message{'' if number == '1' else 's'})"
            if self.after == "move":
                listed = client.list('""', mailbox_name(self.move_to))[1]
                there = any(isinstance(item, bytes) for item in listed)
                detail += f", handled mail moves to {self.move_to}" + (
                    "" if there else " (created on first use)"
                )
            return detail
