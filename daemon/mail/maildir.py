"""Deliver mail into a local Maildir (read by a local mail client, or by tests).

Each message is stored under a name derived from its Message-ID, so delivering
the same message twice leaves one file, and ``delivered`` can tell whether an
earlier attempt got through before a crash.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path

from cadence.daemon.core.errors import MailError
from cadence.daemon.credentials import private_directory
from cadence.daemon.mail import HandOver, always, nothing

log = logging.getLogger(__name__)

_SUBDIRS = ("tmp", "new", "cur")


def file_name(message_id: str) -> str:
    """Given a Message-ID (with or without angle brackets), return the file name
    the message is stored under: a hash, so only safe characters."""
    key = message_id.strip().removeprefix("<").removesuffix(">").strip()
    return "cadence." + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


class MaildirTransport:
    """Write messages into ``path/new`` the Maildir way: tmp, fsync, then link."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        return f"maildir:{self.path}"

    def __repr__(self) -> str:
        return f"MaildirTransport({str(self.path)!r})"

    def _error(
        self, what: str, exc: OSError | None = None, *, permanent: bool = False
    ) -> MailError:
        reason = f": {exc.strerror or exc}" if exc is not None else ""
        return MailError(f"{self.name}: {what}{reason}", permanent=permanent)

    def _prepare(self) -> None:
        for sub in _SUBDIRS:
            private_directory(self.path / sub)

    def send(
        self,
        message: EmailMessage,
        recipients: Sequence[str],
        handover: HandOver = always,
        taken: Callable[[], None] = nothing,
    ) -> bool:
        """Given a message and its envelope recipients, store it once in ``new/``
        (recipients recorded as Delivered-To lines, as local delivery agents do),
        calling ``handover`` just before linking it there and ``taken`` once it is
        there; return True when it is there, False when ``handover`` called it
        off. Raise MailError."""
        message_id = message["Message-ID"]
        if not message_id:
            raise self._error("message has no Message-ID; cannot deliver it once", permanent=True)
        if not recipients or any(_has_control(r) for r in recipients):
            raise self._error(f"invalid recipients {list(recipients)!r}", permanent=True)
        if self.delivered(str(message_id)):
            log.info("%s: %s already delivered; not writing it again", self.name, message_id)
            taken()
            return True
        try:
            envelope = "".join(f"Delivered-To: {r.strip()}\n" for r in recipients)
            # Maildir files use the local line ending, whatever the message's policy says.
            data = envelope.encode() + message.as_bytes(policy=message.policy.clone(linesep="\n"))
        except (UnicodeError, ValueError, TypeError) as exc:
            raise MailError(f"{self.name}: cannot render message: {exc}", permanent=True) from exc
        name = file_name(str(message_id))
        try:
            self._prepare()
            stored = self._store(name, data, handover)
        except OSError as exc:
            raise self._error(f"cannot write {name}", exc) from exc
        if stored:
            log.debug("%s: stored %s as new/%s", self.name, message_id, name)
            taken()
        return stored

    def _store(self, name: str, data: bytes, handover: HandOver) -> bool:
        temporary = self.path / "tmp" / f"{name}.{os.getpid()}.{secrets.token_hex(6)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # Up to here nothing is delivered: a file in tmp/ is no message yet.
            if not handover():
                return False
            try:
                # link() refuses to replace an existing file, unlike rename(): of two
                # racing deliveries of one message, exactly one lands.
                os.link(temporary, self.path / "new" / name)
            except FileExistsError:
                log.info("%s: new/%s appeared meanwhile; keeping that one", self.name, name)
        finally:
            temporary.unlink(missing_ok=True)
        # The new directory entry must survive a power loss as much as the data does.
        sync_directory(self.path / "new")
        return True

    def delivered(self, message_id: str) -> bool:
        """Given a Message-ID, return whether that message is in ``new/`` or, read
        and flagged by a mail client (``name:2,S``), in ``cur/``."""
        name = file_name(message_id)
        if (self.path / "new" / name).exists():
            return True
        try:
            with os.scandir(self.path / "cur") as entries:
                # ":" separates the info part; "!" and ";" stand in for it where ":"
                # is not allowed in file names (some Windows-friendly clients).
                return any(
                    entry.name == name or entry.name[: len(name) + 1] in {name + c for c in ":!;"}
                    for entry in entries
                )
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._error("cannot read cur/", exc) from exc

    def check(self) -> None:
        """Create the Maildir if needed and prove it is writable by writing and
        removing a file in ``tmp/``; raise MailError."""
        try:
            self._prepare()
            probe = self.path / "tmp" / f"cadence-check.{os.getpid()}.{secrets.token_hex(6)}"
            descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(descriptor)
            probe.unlink()
        except OSError as exc:
            raise self._error("not writable", exc) from exc


def sync_directory(directory: Path) -> None:
    """Make the entries just linked or renamed into ``directory`` durable; raise OSError."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
