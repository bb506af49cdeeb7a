"""The fixture that builds the fault tests' rig (see tests/support/fault_rig.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import daemon_config
from tests.support.faketime import FakeClock
from tests.support.fault_rig import CANCELLED_FEED, Rig, RigFactory
from tests.support.feed_server import FeedServer
from tests.support.smtp_server import SmtpTestServer


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[RigFactory]:
    """Build a rig: a started feed server, an SMTP server (started unless told not
    to) and a fast-cycling daemon config (``extra`` merged into it); the servers
    are stopped after the test."""
    rigs: list[Rig] = []

    def make(
        body: bytes = CANCELLED_FEED,
        *,
        smtp_running: bool = True,
        interval: str = "1s",
        clock: FakeClock | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Rig:
        feed = FeedServer(body).start()
        smtp = SmtpTestServer()
        rig = Rig(
            tmp_path,
            feed,
            smtp,
            daemon_config(tmp_path, feed.url, smtp.port, interval=interval, extra=extra),
            clock,
        )
        rigs.append(rig)
        if smtp_running:
            rig.start_smtp()
        return rig

    yield make
    for rig in rigs:
        rig.feed.stop()
        if rig.smtp_running:
            rig.smtp.stop()
