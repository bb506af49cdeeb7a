"""The systemd notify protocol (sd_notify(3)), spoken directly over the socket.

A datagram of ``KEY=VALUE`` lines to the AF_UNIX socket named by
``$NOTIFY_SOCKET`` (a path, or an abstract-namespace name written with a
leading ``@``). No libsystemd: the protocol is one ``sendto``. Outside systemd
there is no socket and every call does nothing. A failed send is logged at
debug level and otherwise ignored: telling systemd how we are must never be
what takes the service down.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def _address(env: dict[str, str]) -> str | None:
    value = env.get("NOTIFY_SOCKET", "")
    if value.startswith("@"):
        # Abstract namespace: the name starts with a NUL byte instead of "@".
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None


def _watchdog_seconds(env: dict[str, str]) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        # The watchdog is meant for another process (we were started by one that had it).
        return None
    return int(usec) / 1_000_000


class Notifier:
    """Send state changes to the service manager, if there is one."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        self.address = _address(env)
        self.watchdog_timeout = _watchdog_seconds(env)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings (half the timeout, as sd_watchdog_enabled(3)
        recommends), or None when no watchdog is set."""
        return None if self.watchdog_timeout is None else self.watchdog_timeout / 2

    def send(self, **fields: str) -> bool:
        """Send ``KEY=VALUE`` lines (keys upper-cased); return whether it went out."""
        if self.address is None:
            return False
        # One line per field: a newline inside a value would start a bogus field.
        payload = "\n".join(
            f"{key.upper()}={' '.join(str(value).split())}" for key, value in fields.items()
        )
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload.encode("utf-8"), self.address)
        except OSError as exc:
            log.debug("cannot notify the service manager: %s", exc)
            return False
        return True

    def ready(self, status: str) -> None:
        self.send(ready="1", status=status)

    def status(self, text: str) -> None:
        self.send(status=text)

    def watchdog(self) -> None:
        self.send(watchdog="1")

    def reloading(self) -> None:
        self.send(reloading="1", status="reloading the configuration")

    def stopping(self) -> None:
        self.send(stopping="1", status="stopping")
