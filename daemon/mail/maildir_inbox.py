"""The inbox as a Maildir on this machine (delivered to by the local mail system).

A message's place is its Maildir key (the file name before ``:2,``), which
stays the same while mail clients move it from ``new/`` to ``cur/`` and change
its flags. Marking does what a mail client does when a message is read: it
renames the file into ``cur/`` with the ``S`` flag; moving renames it into the
Maildir++ folder ``.<move_to>`` (created with ``mailbox.Maildir.add_folder``).
A rename is atomic: a crash leaves the message in one place or the other,
never in both or neither.
"""

from __future__ import annotations

import errno
import logging
import mailbox
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from cadence.daemon.core.errors import SourceError
from cadence.daemon.mail.inbox import MAX_MESSAGE_BYTES, After
from cadence.daemon.mail.maildir import sync_directory

log = logging.getLogger(__name__)

_SUBDIRS = ("new", "cur", "tmp")
# ":" separates the info part; "!" and ";" stand in for it where ":" cannot be
# used in file names (some Windows-friendly clients).
_INFO_SEPARATORS = (":", "!", ";")


def _split(name: str) -> tuple[str, str]:
    """Given a file name in new/ or cur/, return its key and its flags."""
    for separator in _INFO_SEPARATORS:
        key, found, info = name.partition(separator)
        if found:
            return key, info[2:] if info.startswith("2,") else ""
    return name, ""


class _Session:
    def __init__(self, inbox: MaildirInbox) -> None:
        self._inbox = inbox

    def _files(self) -> Iterator[tuple[str, str, Path, os.stat_result]]:
        for sub in ("new", "cur"):
            with os.scandir(self._inbox.path / sub) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                        continue
                    key, flags = _split(entry.name)
                    yield key, flags, Path(entry.path), entry.stat(follow_symlinks=False)

    def list_new(self, since: date) -> list[str]:
        start = datetime.combine(since, datetime.min.time(), tzinfo=UTC).timestamp()
        with self._inbox.guard("list"):
            found = [(stat.st_mtime, key) for key, flags, _, stat in self._files()
                     if stat.st_mtime >= start and "T" not in flags]  # fmt: skip
        return [key for _, key in sorted(found)]

    def _find(self, ref: str) -> tuple[Path, str] | None:
        for key, flags, path, _ in self._files():
            if key == ref:
                return path, flags
        return None

    def fetch(self, ref: str) -> bytes | None:
        with self._inbox.guard("read"):
            found = self._find(ref)
            if found is None:
                return None
            path, _ = found
            try:
                if path.stat().st_size > MAX_MESSAGE_BYTES:
                    log.info("%s: %s is larger than %d bytes; not read", self._inbox.name, ref,
                             MAX_MESSAGE_BYTES)  # fmt: skip
                    return None
                return path.read_bytes()
            except FileNotFoundError:
                return None  # a mail client moved it just now

    def mark_handled(self, refs: Sequence[str]) -> list[str]:
        gone: list[str] = []
        with self._inbox.guard("mark"):
            target = self._inbox.path
            if self._inbox.after == "move":
                target = self._inbox.folder_path()
            for ref in refs:
                found = self._find(ref)
                if found is None:
                    gone.append(ref)
                    continue
                path, flags = found
                name = f"{ref}:2,{''.join(sorted(set(flags) | {'S'}))}"
                try:
                    path.rename(target / "cur" / name)
                except FileNotFoundError:
                    gone.append(ref)
            # The renamed entry must survive a power loss as much as the state's commit did.
            sync_directory(target / "cur")
        return gone


class MaildirInbox:
    """A Maildir read as cadence's inbox."""

    def __init__(self, path: Path, *, after: After = "mark", move_to: str = "cadence") -> None:
        self.path = Path(path)
        self.after = after
        self.move_to = move_to

    @property
    def name(self) -> str:
        return f"maildir:{self.path}"

    def __repr__(self) -> str:
        return f"MaildirInbox({str(self.path)!r})"

    @contextmanager
    def guard(self, step: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise SourceError(self.name, f"{step}: {exc.strerror or exc}{where}") from exc

    def folder_path(self) -> Path:
        """The Maildir++ folder handled mail moves to (made when missing)."""
        folder = self.path / f".{self.move_to}"
        if not (folder / "cur").is_dir():
            mailbox.Maildir(self.path, create=False).add_folder(self.move_to)
        return folder

    def _require(self) -> None:
        for sub in _SUBDIRS:
            if not (self.path / sub).is_dir():
                raise SourceError(
                    self.name, f"not a Maildir: {self.path / sub} is missing"
                ) from None

    @contextmanager
    def session(self) -> Iterator[_Session]:
        self._require()
        yield _Session(self)

    def check(self) -> str:
        self._require()
        for sub in ("new", "cur"):
            if not os.access(self.path / sub, os.R_OK | os.W_OK | os.X_OK):
                error = OSError(errno.EACCES, os.strerror(errno.EACCES), str(self.path / sub))
                with self.guard("check"):
                    raise error
        with self.guard("check"):
            count = sum(1 for _ in _Session(self)._files())
        detail = f"{self.path} ({count} message{'' if count == 1 else 's'})"
        if self.after == "move":
            exists = (self.path / f".{self.move_to}" / "cur").is_dir()
            detail += f", handled mail moves to .{self.move_to}" + (
                "" if exists else " (created on first use)"
            )
        return detail
