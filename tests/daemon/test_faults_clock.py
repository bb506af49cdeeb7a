"""Faults ``cadence daemon`` must live through, 5: the wall clock jumps or
crosses a DST change (under libfaketime; skipped without it).

A jump forward runs a cycle at once and expires the periods that ended; a jump
back sends nothing twice and a deferred email promptly; across Berlin's change
to summer time the slots stay in local working hours and the email goes out
once.

The rig (the real daemon as a subprocess, a notify socket, a feed server, an
SMTP server, the state in a real SQLite file) is in tests/support/fault_rig.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.daemon import NotifyListener, wait_until
from tests.support.faketime import FakeClock, requires_faketime
from tests.support.fault_rig import (
    TOMORROWS_SECTION,
    RigFactory,
    assert_clean,
    logged_jump,
    recover,
    refuse_data,
    undelivered_ids,
    wait_status,
)
from tests.support.people import ALICE, BERLIN, NOW

pytestmark = pytest.mark.slow

# Short waits for the loop between two looks at the clocks: systemd's watchdog
# sets them in production; here they let a clock jump be noticed within a second.
FAST_WATCHDOG = {"WATCHDOG_USEC": "2000000"}


@requires_faketime
def test_wall_clock_jumping_forward_runs_a_cycle_and_expires_ended_periods(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    """The clock set three weeks ahead: logged, a cycle right away (not in an hour),
    the proposal whose week is over expires, no email is repeated."""
    clock = FakeClock(tmp_path / "faketime", NOW)
    rig = make_rig(interval="1h", clock=clock)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd, **FAST_WATCHDOG) as daemon:
        first = wait_status(systemd, containing="1 open proposal(s)", ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the proposal email")

        clock.set(datetime(2026, 12, 14, 9, 0, tzinfo=BERLIN))  # the gap's week is over
        log = daemon.wait_for_log("wall clock jumped forward")
        after = wait_status(systemd, after=first.at, containing="0 open proposal(s)")
        proposals = rig.proposals(include_closed=True)
        assert daemon.stop() == 0

    assert abs(logged_jump(log, "forward") - timedelta(days=21)) < timedelta(minutes=1)
    assert after.fields["STATUS"].endswith(": ok")
    assert "last cycle 09:0" in after.fields["STATUS"]
    (proposal,) = proposals
    assert proposal["status"] == "expired"
    assert len(rig.smtp.messages) == 1
    assert rig.agenda_headings() == Counter(
        {TOMORROWS_SECTION: 1, "## 2026-12-15 Tue 10:00, 30 min": 1}
    )
    assert_clean(daemon.log())


@requires_faketime
def test_wall_clock_jumping_back_sends_nothing_twice_and_a_deferred_email_promptly(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    """The clock set back a day while an email waits for its retry, planned in what
    is now tomorrow: logged, a cycle runs, the email goes out at once, only once."""
    clock = FakeClock(tmp_path / "faketime", NOW)
    # The retry comes 30 to 60 s after a failure: far later than the wait below.
    rig = make_rig(
        interval="1h", clock=clock, extra={"email": {"retry_first": "60s", "retry_max": "2m"}}
    )
    rig.add_alice()
    refuse_data(rig.smtp)
    with NotifyListener() as systemd, rig.daemon(systemd, **FAST_WATCHDOG) as daemon:
        failed = wait_status(systemd, containing="1 email(s) waiting")
        daemon.wait_for_log("retrying at")
        assert rig.smtp.messages == []

        recover(rig.smtp)
        clock.jump(-timedelta(days=1))
        log = daemon.wait_for_log("wall clock jumped back")
        wait_until(lambda: len(rig.smtp.messages) == 1, timeout=20, what="the deferred email")
        after = wait_status(systemd, after=failed.at, ending=": ok")
        status, proposals = rig.snapshot()
        assert daemon.stop() == 0

    assert abs(logged_jump(log, "back") - timedelta(days=1)) < timedelta(minutes=1)
    assert "1 open proposal(s); last cycle" in after.fields["STATUS"]
    assert rig.message_ids() == list(undelivered_ids(log))
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 0}
    (proposal,) = proposals
    assert proposal["status"] == "sent"
    assert_clean(daemon.log())


def berlin_weekly(first: datetime, cancelled: list[datetime]) -> list[str]:
    """Alice's weekly 1:1 as Google exports it: the series in Berlin time (so it
    stays at 10:00 local across a DST change), its exceptions in UTC."""
    lines = feeds.weekly(
        "alice-1on1@google.com",
        "Alice / Olivia",
        first,
        attendees=[feeds.OWNER, ALICE],
        cancelled=cancelled,
    )
    local = {"DTSTART": first, "DTEND": first + timedelta(minutes=30)}
    master = lines.index("END:VEVENT")
    for index, line in enumerate(lines[:master]):
        key = line.partition(":")[0]
        if key in local:
            lines[index] = f"{key};TZID=Europe/Berlin:{local[key]:%Y%m%dT%H%M%S}"
    return lines


@requires_faketime
def test_dst_change_during_a_run_keeps_slots_in_local_hours_and_sends_once(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    """Berlin moves to summer time (2027-03-28, 01:00 UTC) between two cycles: the
    proposal for the week after has its slots in 09:00-17:00 local (+02:00), and
    the cycles before and after the change send one email."""
    cancelled = datetime(2027, 3, 30, 10, 0, tzinfo=BERLIN)
    series = berlin_weekly(datetime(2027, 2, 23, 10, 0, tzinfo=BERLIN), [cancelled])
    clock = FakeClock(tmp_path / "faketime", datetime(2027, 3, 28, 0, 58, tzinfo=UTC))
    rig = make_rig(feeds.calendar(series), interval="2s", clock=clock)
    rig.add_alice()
    with NotifyListener() as systemd, rig.daemon(systemd, **FAST_WATCHDOG) as daemon:
        winter = wait_status(systemd, containing="last cycle 01:5", ending=": ok")
        wait_until(lambda: len(rig.smtp.messages) == 1, what="the proposal email")
        # Skip most of the two minutes to the change (a jump, noticed as one).
        clock.set(datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC))
        summer = wait_status(systemd, after=winter.at, containing="last cycle 03:00", timeout=20)
        proposals = rig.proposals()
        assert daemon.stop() == 0

    assert "1 open proposal(s)" in winter.fields["STATUS"]
    assert summer.fields["STATUS"].endswith(": ok")
    assert "1 open proposal(s)" in summer.fields["STATUS"]
    assert len(rig.smtp.messages) == 1
    (proposal,) = proposals
    assert proposal["period_start"] == "2027-03-29T00:00:00+02:00"
    assert proposal["cancelled_start"] == "2027-03-30T10:00:00+02:00"
    assert proposal["slots"]
    for slot in proposal["slots"]:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert slot["start"].endswith("+02:00") and slot["end"].endswith("+02:00")
        assert date(2027, 3, 29) <= start.date() <= date(2027, 4, 2)
        assert start.date() == end.date()
        assert "09:00" <= f"{start:%H:%M}" < f"{end:%H:%M}" <= "17:00"
    assert_clean(daemon.log())
