"""Logging for the command line and the service: one line per event, on stderr.

Under systemd, stderr is connected to the journal, which stamps each line
itself and understands a ``<N>`` syslog priority prefix: there the lines carry
the priority instead of a timestamp.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# Loggers of libraries that would print what must stay private (httpx logs each
# request's full URL, and a feed URL carries its secret) or flood debug output.
QUIET = ("httpx", "httpcore", "hpack", "googleapiclient.discovery_cache")

_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


def writes_to_journal(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """Return whether ``stream`` is the journal's: $JOURNAL_STREAM names its device
    and inode (a process whose stderr was redirected elsewhere inherits the
    variable, so the variable alone is not enough)."""
    env = dict(os.environ) if env is None else env
    value = env.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


class JournalFormatter(logging.Formatter):
    """``<priority>LEVEL logger: message``; journald adds the time."""

    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        text = super().format(record)
        # A traceback spans lines; each one gets the prefix so none loses its priority.
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def configure(
    level: int, *, timestamps: bool, stream: TextIO | None = None, env: dict[str, str] | None = None
) -> None:
    """Send log records of ``level`` and above to ``stream`` (stderr), one line each."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    body = "%(levelname)s %(name)s: %(message)s"
    if writes_to_journal(stream, env):
        handler.setFormatter(JournalFormatter(body))
    elif timestamps:
        handler.setFormatter(logging.Formatter("%(asctime)s " + body))
    else:
        handler.setFormatter(logging.Formatter(body))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
