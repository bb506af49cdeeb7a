"""The sd_notify datagrams, received on real sockets of both kinds systemd uses."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cadence.daemon.notify import Notifier


@pytest.fixture
def abstract() -> Iterator[tuple[socket.socket, str]]:
    name = f"cadence-notify-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        yield sock, "@" + name


def test_abstract_namespace_socket(abstract: tuple[socket.socket, str]) -> None:
    sock, address = abstract
    notifier = Notifier({"NOTIFY_SOCKET": address})
    notifier.ready("started")
    notifier.status("2 people,\n1 open proposal")
    notifier.stopping()
    assert sock.recv(4096) == b"READY=1\nSTATUS=started"
    # A newline in a value would start a field of its own: it is flattened.
    assert sock.recv(4096) == b"STATUS=2 people, 1 open proposal"
    assert sock.recv(4096) == b"STOPPING=1\nSTATUS=stopping"


def test_socket_in_the_file_system(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(2)
        assert Notifier({"NOTIFY_SOCKET": str(path)}).send(watchdog="1")
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent_and_nothing_fails() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert not notifier.send(ready="1")
    assert notifier.watchdog_interval is None


def test_a_vanished_socket_is_not_an_error(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert notifier.enabled and not notifier.send(status="x")


def test_watchdog_pings_at_half_the_timeout_for_this_process_only() -> None:
    own = Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert own.watchdog_interval == 15.0
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_interval == 15.0
    # Inherited from a parent the watchdog was meant for: not ours to feed.
    assert Notifier({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert Notifier({"WATCHDOG_USEC": "0"}).watchdog_interval is None
    assert Notifier({"WATCHDOG_USEC": "soon"}).watchdog_interval is None
