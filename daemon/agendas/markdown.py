"""Agendas as Markdown files in a directory, one file per person.

The directory can be a synced folder, a git checkout or a path a web server
publishes (then ``base_url`` is where it is published). Files belong to the
people who edit them: cadence only adds sections, writes atomically, keeps the
file's mode (a new file gets the owner's umask, as any editor would give it, so
the owner decides how widely agendas are shared), and backs off when the file
changed while it was working on it.

A symlink in the directory is followed only while it stays inside the
directory (an agenda kept in a subfolder, say): one that leads out of it is
refused, for reading and writing alike, since whoever can plant a link there
could otherwise have cadence write into (or mail out) any file the user can
reach. The final step of every write is a rename, which replaces a link
rather than writing through it, and files are read without following one.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from cadence.daemon.core.agenda import new_document, prepare_document
from cadence.daemon.core.errors import AgendaError
from cadence.daemon.core.model import Owner, Person

# A new agenda is created like any document: this, less the umask.
NEW_FILE_MODE = 0o666
_ATTEMPTS = 3
_MAX_STEM = 120
_UNSAFE = re.compile(r"[^a-z0-9._-]")
_PLAIN_EMAIL = re.compile(r"[a-z0-9_][a-z0-9._-]*@[a-z0-9._-]+")


def file_name(email: str) -> str:
    """Given an email, return the name of its agenda file, e.g.
    ``alice@example.com`` → ``alice-at-example.com.md``.

    The name only holds ``[a-z0-9._-]``, never starts with a dot or a dash, and
    so can neither leave the directory nor hide in it. When the email had to be
    altered beyond the ``@`` (``a+b@x`` → ``a-b-at-x``), a short hash of the
    email is appended so that two people never share a file.
    """
    key = email.strip().lower()
    stem = _UNSAFE.sub("-", key.replace("@", "-at-")).lstrip(".-")
    plain = _PLAIN_EMAIL.fullmatch(key) is not None and "-at-" not in key and len(stem) <= _MAX_STEM
    if not plain:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem[:_MAX_STEM]}-{digest}".lstrip("-")
    return f"{stem}.md"


@contextmanager
def _reported(doing: str, path: Path) -> Iterator[None]:
    """Turn an OSError into an AgendaError that names the path and what failed."""
    try:
        yield
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        reason = getattr(error, "strerror", None) or str(error)
        raise AgendaError(f"cannot {doing} {path}: {reason}") from error


def _read(path: Path) -> str | None:
    """Given a path, return its text, or None if there is no file; never follow a
    symlink (it was checked before, and must not have been swapped in since)."""
    with _reported("read agenda", path):
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        with os.fdopen(descriptor, "rb") as handle:
            raw = handle.read()
    try:
        # Bytes, not read_text(): newline translation would rewrite CRLF files.
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AgendaError(
            f"agenda {path} is not valid UTF-8 ({error.reason} at byte {error.start}); "
            "cadence leaves it alone until it is saved as UTF-8"
        ) from error


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some filesystems cannot open a directory.
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write(path: Path, text: str, expected: str | None) -> bool:
    """Given a path, new text and the text it was computed from (None: no file),
    atomically write the text unless the file changed since; return whether written.

    The new text goes to a temporary file in the same directory (so the rename
    is atomic), is synced, then renamed over the file. A new file is linked into
    place rather than renamed so that one created meanwhile is never replaced.
    """
    mode: int | None = None  # a new file: as created, the umask applied
    if expected is not None:
        with _reported("read agenda", path):
            info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            raise AgendaError(f"agenda {path} became a symlink; cadence does not write through it")
        mode = stat.S_IMODE(info.st_mode)
    with _reported("write agenda", path):
        fd, temporary = _temporary(path)
        try:
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            if expected is None:
                if not _link_new(temporary, path):
                    return False
            else:
                # Someone may have saved the file while the section was being
                # rendered; replacing it now would lose their edit.
                if _read(path) != expected:
                    return False
                temporary.replace(path)
            _fsync_directory(path.parent)
            return True
        finally:
            with suppress(FileNotFoundError):
                temporary.unlink()


def _temporary(path: Path) -> tuple[int, Path]:
    """Create a new temporary file beside ``path`` (mode NEW_FILE_MODE less the umask);
    return its descriptor and path."""
    for _ in range(100):
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            return os.open(candidate, flags, NEW_FILE_MODE), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def _link_new(temporary: Path, path: Path) -> bool:
    """Put ``temporary`` in place as ``path`` unless ``path`` exists; return whether done."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as error:
        # Some filesystems (FAT, some network shares) have no hard links.
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if path.exists():
            return False
        temporary.replace(path)
    return True


class MarkdownAgendas:
    """The AgendaBackend keeping each person's agenda as ``directory/<file_name>``.

    ``zone`` is the owner's timezone: it decides the local date of a meeting,
    hence which section it gets.
    """

    def __init__(self, directory: Path, base_url: str | None, zone: ZoneInfo) -> None:
        self.directory = Path(directory)
        self.base_url = base_url
        self.zone = zone

    def path(self, person: Person) -> Path:
        """Given a person, return the path of their agenda file (it may not exist)."""
        path = self.directory / file_name(person.email)
        if path.parent != self.directory:  # file_name guarantees this; be sure anyway
            raise AgendaError(f"agenda file name for {person.email!r} leaves {self.directory}")
        return path

    def url(self, person: Person) -> str:
        """Given a person, return the link to their agenda: under ``base_url`` when
        set, else the file's ``file://`` URI."""
        name = file_name(person.email)
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/{quote(name, safe='')}"
        return self.path(person).absolute().as_uri()

    def ensure(self, person: Person, owner: Owner) -> str:
        """Given a person and the owner, create the agenda file unless it exists;
        return its link. Raise AgendaError when the directory is unusable."""
        target = self._target(person)
        if _read(target) is None:
            _write(target, new_document(person, owner), None)
        return self.url(person)

    def prepare(self, person: Person, owner: Owner, meeting_start: datetime) -> bool:
        """Given a person, the owner and the meeting's aware start, add the
        meeting's section unless its date has one; return whether one was added.
        Raise AgendaError when the file cannot be read or written, or keeps
        changing under cadence's hands."""
        target = self._target(person)
        for _ in range(_ATTEMPTS):
            before = _read(target)
            after = prepare_document(before, person, owner, meeting_start, self.zone)
            if after is None:
                return False
            if _write(target, after, before):
                return True
        raise AgendaError(
            f"agenda {target} changed while a section was being added; will try again later"
        )

    def edit(self, person: Person, change: Callable[[str], str]) -> str:
        """Given a person and an edit (the document as it is now in, the new one out),
        apply the edit to the file as it is when written: when someone saved the file
        meanwhile, the edit is applied again to their version, so neither is lost.
        Return the new text. Raise AgendaError when there is no agenda, or it keeps
        changing; whatever ``change`` raises passes through, leaving the file as it was."""
        target = self._target(person)
        for _ in range(_ATTEMPTS):
            before = _read(target)
            if before is None:
                raise AgendaError(f"agenda {target} does not exist (yet)")
            after = change(before)
            if after == before or _write(target, after, before):
                return after
        raise AgendaError(f"agenda {target} kept changing while being edited; try again")

    def text(self, person: Person) -> str | None:
        """Given a person, return their agenda's text, or None if there is none yet.
        Raise AgendaError for a symlink leading out of the directory."""
        return _read(self._inside(self.path(person)))

    def _target(self, person: Person) -> Path:
        """Return the file to write: the agenda file, or its target when it is a
        symlink that stays inside the directory. Raise AgendaError otherwise."""
        with _reported("create agenda directory", self.directory):
            self.directory.mkdir(parents=True, exist_ok=True)
        return self._inside(self.path(person))

    def _inside(self, path: Path) -> Path:
        if not path.is_symlink():
            return path
        with _reported("follow symlinked agenda", path):
            target = path.resolve()
            root = self.directory.resolve()
        if not target.is_relative_to(root) or target == root:
            raise AgendaError(
                f"agenda {path} is a symlink leading out of {self.directory}; cadence neither"
                " reads nor writes through it (put the file itself there instead)"
            )
        return target
