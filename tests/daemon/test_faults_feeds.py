"""Faults ``cadence daemon`` must live through, 3: the feeds fail, hang, serve
garbage or vanish.

While the owner's feed is broken, status and log name it (without its secret),
the old state is kept and nothing is invented, deleted or sent; it heals
without a restart. A person's vanished busy feed does not stop the owner's
calendar.

The rig (the real daemon as a subprocess, a notify socket, a feed server, an
SMTP server, the state in a real SQLite file) is in tests/support/fault_rig.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.support import feeds
from tests.support.daemon import NotifyListener, wait_until
from tests.support.fault_rig import BOB, RigFactory, assert_clean, occurrence_rows, wait_status
from tests.support.feed_server import SECRET, FeedServer
from tests.support.people import ALICE, BERLIN, NEXT_WEEK, alice_series

pytestmark = pytest.mark.slow

HEALTHY_FEED = feeds.calendar(alice_series())


@dataclass(frozen=True)
class FeedFault:
    name: str
    symptom: str  # in the source's last_error
    apply: Callable[[FeedServer], None]
    heal: Callable[[FeedServer], None] = FeedServer.reset


FEED_FAULTS = [
    FeedFault("http-500", "the server failed (HTTP 500)", lambda f: f.fail_with(500)),
    FeedFault("timeout", "no complete answer within 3 s", lambda f: f.answer_slowly(10)),
    FeedFault("login-page", "looks like an HTML page", FeedServer.serve_html),
    FeedFault(
        "not-icalendar",
        "does not start with BEGIN:VCALENDAR",
        lambda f: f.set_body(b"garbage"),
        lambda f: f.set_body(HEALTHY_FEED),
    ),
    FeedFault("gone-404", "not found (HTTP 404)", lambda f: f.fail_with(404)),
]


@pytest.mark.parametrize("fault", FEED_FAULTS, ids=[f.name for f in FEED_FAULTS])
def test_a_broken_feed_is_reported_keeps_the_old_state_and_heals(
    make_rig: RigFactory, fault: FeedFault
) -> None:
    """While the owner's feed fails, status and log name it (without its secret),
    nothing is invented, nothing deleted, nothing sent; it heals by itself."""
    rig = make_rig(HEALTHY_FEED)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        wait_status(systemd, containing="0 open proposal(s)", ending=": ok")
        before = occurrence_rows(rig.state)

        fault.apply(rig.feed)
        failing = wait_status(systemd, after=time.monotonic(), containing="error:")
        status = rig.status()
        during = occurrence_rows(rig.state)

        fault.heal(rig.feed)
        healed = wait_status(systemd, after=time.monotonic(), ending=": ok")
        (after,) = rig.status()["sources"]
        assert daemon.stop() == 0
    notices = json.dumps([n.fields for n in systemd.notices])

    assert fault.symptom in failing.fields["STATUS"]
    assert "/…/basic.ics" in failing.fields["STATUS"]
    (source,) = status["sources"]
    assert source["name"] == "calendar"
    assert source["healthy"] is False
    assert fault.symptom in source["last_error"]
    assert source["failures"] >= 1
    assert SECRET not in json.dumps(status)
    assert SECRET not in notices
    assert status["open_proposals"] == 0
    assert before[0] > 0 and during == before == occurrence_rows(rig.state)
    assert before[1] == 0  # none marked deleted
    assert rig.smtp.messages == []
    assert after["healthy"] is True
    assert after["failures"] == 0
    assert "0 open proposal(s)" in healed.fields["STATUS"]
    log = daemon.log()
    assert re.search(r"WARNING .*source calendar failed: http://127\.0\.0\.1:\d+/…/basic\.ics", log)
    assert_clean(log)


def test_a_vanished_busy_feed_does_not_stop_the_owner_calendar(make_rig: RigFactory) -> None:
    """Bob's busy feed server is gone: reported as his source, while Alice's gap in
    the owner's (working) calendar still gets its one proposal email."""
    bob_series = feeds.weekly(
        "bob-1on1@google.com",
        "Bob / Olivia",
        datetime(2026, 10, 8, 14, 0, tzinfo=BERLIN),
        attendees=[feeds.OWNER, BOB],
    )
    rig = make_rig(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), bob_series))
    busy = FeedServer().start()
    busy.stop()  # the address stays in Bob's settings; nothing answers there any more
    rig.add_alice()
    rig.add(BOB, "Bob Builder", "--day", "thu", "--time", "14:00", "--busy-feed", busy.url)
    with NotifyListener() as systemd, rig.daemon(systemd) as daemon:
        first = wait_status(systemd, containing="error:")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="Alice's proposal email")
        status, proposals = rig.snapshot()
        assert daemon.stop() == 0

    assert "refused" in first.fields["STATUS"]
    sources = {s["name"]: s for s in status["sources"]}
    assert sources["calendar"]["healthy"] is True
    bob = sources[f"busy:{BOB}"]
    assert bob["healthy"] is False
    assert "cannot connect" in bob["last_error"]
    assert bob["failures"] >= 1
    assert SECRET not in json.dumps(status)
    (proposal,) = proposals
    assert proposal["person"] == ALICE
    assert proposal["status"] == "sent"
    assert "Alice Example" in str(rig.smtp.messages[0].message["Subject"])
    log = daemon.log()
    assert f"source busy:{BOB} failed: http://127.0.0.1:" in log
    assert_clean(log)
