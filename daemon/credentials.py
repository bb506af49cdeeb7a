"""Secrets: where they come from, and the rules for keeping them.

A secret comes from the environment, from systemd's credentials directory
(``LoadCredential=``), or from a file that only its owner can read. It is never
logged and never written anywhere but a 0600 file, atomically.

The files cadence keeps for itself (the state database, its lock file, a
Maildir it delivers into, an OAuth token) hold people's names, calendars and
emails: they are made 0600 and the directories cadence creates for them 0700,
whatever the umask (:func:`private_file`, :func:`private_directory`).
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import suppress
from pathlib import Path

from cadence.daemon.core.errors import ConfigError, Problem


def credential(
    name: str, env_var: str, path: Path | None, where: str, env: dict[str, str] | None = None
) -> str | None:
    """Return a secret from ``$env_var``, ``$CREDENTIALS_DIRECTORY/name`` or ``path``.

    Raise ConfigError (naming ``where``, the config key) when the file is missing
    or readable by others.
    """
    env = dict(os.environ) if env is None else env
    if env.get(env_var):
        return env[env_var]
    directory = env.get("CREDENTIALS_DIRECTORY")
    if directory and (Path(directory) / name).is_file():
        given = (Path(directory) / name).read_text(encoding="utf-8").strip()
        # An empty credential is none at all (a placeholder left by an install).
        if given:
            return given
    if path is None:
        return None
    try:
        require_private(path, where)
    except OSError as exc:
        raise ConfigError([Problem(where, f"cannot read {path}: {exc.strerror}")]) from None
    return path.read_text(encoding="utf-8").strip()


def require_private(path: Path, where: str) -> None:
    """Raise ConfigError (naming ``where``) when others than its owner may read ``path``;
    OSError when it cannot be looked at (missing, say)."""
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError([Problem(where, f"{path} is readable by others; run: chmod 600 {path}")])


def private_directory(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700, whatever the umask; leave
    directories that exist as they are. Raise OSError."""
    missing: list[Path] = []
    while not path.exists() and path.parent != path:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by another process
        directory.chmod(0o700)  # the umask may have taken more than group and others


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (whatever the umask) unless it exists; take
    group's and others' access away from an existing one. Raise OSError.

    An existing file is never opened here: closing any descriptor of a file drops
    every POSIX lock this process holds on it, and SQLite keeps such locks on the
    state database and its -shm file for as long as a connection is open (the web
    app's threads open connections while the daemon's is in use).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Someone else's file cannot be changed; it is theirs to keep private.
            with suppress(PermissionError):
                path.chmod(mode & stat.S_IRWXU)
        return
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def write_secret(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` atomically with mode 0600 (never visible half-written
    or with wider permissions)."""
    private_directory(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
