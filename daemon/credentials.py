"""Secrets: where they come from, and the rules for keeping them.

A secret comes from the environment, from systemd's credentials directory
(``LoadCredential=``), or from a file that only its owner can read. It is never
logged and never written anywhere but a 0600 file, atomically.
"""

from __future__ import annotations

import os
import stat
import tempfile
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


def write_secret(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` atomically with mode 0600 (never visible half-written
    or with wider permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
