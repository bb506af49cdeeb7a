"""Run the real ``cadence daemon`` as a subprocess, and listen to it like systemd does.

    with NotifyListener() as systemd, DaemonProcess(config, systemd) as daemon:
        systemd.wait_for("READY")
        systemd.wait_for("STATUS", containing="last cycle")
        daemon.stop()                       # SIGTERM, returns the exit code

The listener binds an abstract-namespace datagram socket (``NOTIFY_SOCKET``
starting with ``@``), the kind systemd itself hands out, and records every
notification with the monotonic time it arrived.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Self

from tests.support.configs import by_smtp, write_config


@dataclass(frozen=True)
class Notice:
    at: float  # time.monotonic() on arrival
    fields: dict[str, str]


class NotifyListener:
    """A stand-in for systemd's notification socket."""

    def __init__(self) -> None:
        self.name = f"cadence-test-{uuid.uuid4().hex}"
        self.notices: list[Notice] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + self.name)
        self._sock.settimeout(0.1)
        self._running = True
        self._thread = threading.Thread(target=self._receive, daemon=True)

    @property
    def env(self) -> dict[str, str]:
        return {"NOTIFY_SOCKET": "@" + self.name}

    def _receive(self) -> None:
        while self._running:
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self._lock:
                self.notices.append(Notice(time.monotonic(), fields))

    def seen(self, key: str) -> list[Notice]:
        with self._lock:
            return [n for n in self.notices if key in n.fields]

    def wait_for(
        self,
        key: str,
        *,
        containing: str = "",
        after: float = 0.0,
        timeout: float = 30.0,
    ) -> Notice:
        """Return the first notice with ``key`` (whose value contains ``containing``)
        that arrived after monotonic time ``after``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for notice in self.seen(key):
                if notice.at > after and containing in notice.fields[key]:
                    return notice
            time.sleep(0.02)
        raise AssertionError(f"no {key}={containing!r}… within {timeout}s; got {self.notices!r}")

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._sock.close()


class DaemonProcess:
    """``python -m cadence.cli --config CONFIG daemon`` with its stderr in a file."""

    def __init__(
        self,
        config: Path,
        systemd: NotifyListener | None = None,
        *,
        env: Mapping[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.log_path = config.parent / f"daemon-{uuid.uuid4().hex[:8]}.log"
        self._env = {**os.environ, "CADENCE_SMTP_PASSWORD": "", **(systemd.env if systemd else {})}
        self._env.pop("JOURNAL_STREAM", None)
        self._env.update(env or {})
        self._args = args
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Self:
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "cadence.cli", *self._args]
        self.process = subprocess.Popen(
            [*command, "--config", str(self.config), "daemon"],
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def send(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``signum`` and return the exit code once the process is gone."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, *, count: int = 1, timeout: float = 30.0) -> str:
        """Wait until ``text`` appears ``count`` times in the log; return the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(text) >= count:
                return log
            assert self.process is not None
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} x{count} not logged within {timeout}s:\n{self.log()}")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "") -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def daemon_config(
    directory: Path,
    feed_url: str,
    smtp_port: int,
    *,
    interval: str = "2s",
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a config for a fast-cycling daemon (mail retried after 1 s, at most 4 s),
    with ``extra`` merged in last."""
    return write_config(
        directory,
        {
            "calendar": {"ics": {"url": feed_url, "timeout": "3s"}},
            "agenda": {"directory": "agendas", "base_url": "https://wiki.example.com/1on1/"},
            "email": {
                "from": "cadence@example.com",
                "retry_first": "1s",
                "retry_max": "4s",
                **by_smtp(host="127.0.0.1", port=smtp_port, security="none", timeout="3s"),
            },
            "daemon": {"interval": interval},
        },
        extra,
    )


def stop_is_prompt(daemon: DaemonProcess, signum: int = signal.SIGTERM) -> tuple[int, float]:
    """Stop the daemon; return its exit code and how many seconds it took."""
    started = time.monotonic()
    code = daemon.stop(signum)
    return code, time.monotonic() - started
