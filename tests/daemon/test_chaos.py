"""Chaos: nothing lost, nothing sent twice, with the real daemon killed over and over.

The real ``cadence daemon`` (1 s interval) reads a feed in which a new
cancellation appears every second or so, and sends its proposals to an SMTP
server that, message by message, takes it, refuses it with 451, hangs up at the
DATA command (nothing taken), or keeps it and hangs up before answering its
final "." (the case no client can tell from a lost message). Meanwhile the
daemon is stopped dozens of times at random moments, mostly by SIGKILL, some
times by SIGTERM, and started again at once. At the end, with the server
healthy, one more daemon runs until the outbox is settled, and:

- every cancellation has exactly one proposal, and there is no other (no gap
  lost, none invented);
- every proposal's email was received exactly once, except an email recorded
  ``unconfirmed``: received once when the server kept it and hung up, at most
  once when a kill fell inside its hand-over;
- no email was received twice, none is left waiting, every SIGTERM ended the
  daemon cleanly, no log holds a traceback, and SQLite's integrity check is ok.

The figures are printed (``pytest -s tests/daemon/test_chaos.py``).
$CADENCE_CHAOS_STOPS (default 36) and $CADENCE_CHAOS_SEED (default 2026) change
the run.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.daemon import NotifyListener, stop_is_prompt, wait_until
from tests.support.fault_rig import Rig, RigFactory, assert_clean, cycles_after, output
from tests.support.people import BERLIN, NOW

pytestmark = pytest.mark.slow

STOPS = int(os.environ.get("CADENCE_CHAOS_STOPS", "36"))
SEED = int(os.environ.get("CADENCE_CHAOS_SEED", "2026"))
EVERY_SIGTERM = 6  # one stop in six is a SIGTERM, the others SIGKILLs
# What the server does with each message: taken, refused, hung up on before or after.
MODES = {"ok": 45, "451": 20, "drop-before": 20, "drop-after": 15}
PEOPLE = [  # (email, weekday of the series, hour)
    ("p0@example.com", 0, 10),
    ("p1@example.com", 1, 11),
    ("p2@example.com", 2, 14),
    ("p3@example.com", 3, 9),
    ("p4@example.com", 4, 15),
    ("p5@example.com", 1, 16),
]
WEEKS_CANCELLED = range(1, 6)  # the next five weeks' meetings, one by one
FIRST_MONDAY = datetime(2026, 10, 5, tzinfo=BERLIN)


def meeting(weekday: int, hour: int, week: int) -> datetime:
    """The meeting of a series ``week`` weeks after NOW's week."""
    monday = NOW.replace(hour=0) - timedelta(days=NOW.weekday())
    return (monday + timedelta(weeks=week, days=weekday)).replace(hour=hour)


def feed(cancelled: set[tuple[str, datetime]]) -> bytes:
    series = []
    for email, weekday, hour in PEOPLE:
        first = (FIRST_MONDAY + timedelta(days=weekday)).replace(hour=hour)
        gone = sorted(at for who, at in cancelled if who == email)
        name = f"{email} / Olivia"
        series.append(
            feeds.weekly(
                f"{email}-1on1", name, first, attendees=[feeds.OWNER, email], cancelled=gone
            )
        )
    return feeds.calendar(*series)


class Clock:
    """The daemon's time across restarts: NOW plus the time the test has run."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def now(self) -> str:
        return (NOW + timedelta(seconds=time.monotonic() - self.started)).isoformat()


def publish_cancellations(
    rig: Rig, order: list[tuple[str, datetime]], done: threading.Event
) -> None:
    """Cancel one more meeting in the feed about every second, then set ``done``."""
    cancelled: set[tuple[str, datetime]] = set()
    for one in order:
        time.sleep(1.1)
        cancelled.add(one)
        rig.feed.set_body(feed(cancelled))
    done.set()


def outbox_rows(state: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=10)) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status"))


def proposal_count(state: Path) -> int:
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=10)) as conn:
        return int(conn.execute("SELECT count(*) FROM proposals").fetchone()[0])


def test_killed_dozens_of_times_every_gap_gets_one_email_none_twice(
    make_rig: RigFactory,
) -> None:
    rng = random.Random(SEED)
    rig = make_rig(feed(set()), extra={"email": {"smtp": {"timeout": "3s"}}})
    days = ("mon", "tue", "wed", "thu", "fri")
    for email, weekday, hour in PEOPLE:
        rig.add(email, email.split("@")[0].upper(), "--day", days[weekday], "--time", f"{hour}:00")
    order = [
        (email, meeting(weekday, hour, week))
        for email, weekday, hour in PEOPLE
        for week in WEEKS_CANCELLED
    ]
    rng.shuffle(order)
    server_rng = random.Random(SEED + 1)
    rig.smtp.plan = lambda: server_rng.choices(list(MODES), list(MODES.values()))[0]

    clock = Clock()
    published = threading.Event()
    publisher = threading.Thread(
        target=publish_cancellations, args=(rig, order, published), daemon=True
    )
    publisher.start()
    kills = terms = early_terms = 0
    term_seconds: list[float] = []
    logs: list[str] = []
    while kills + terms < STOPS or not published.is_set():
        with rig.daemon(CADENCE_NOW=clock.now()) as daemon:
            time.sleep(rng.uniform(0.3, 2.6))
            if (kills + terms) % EVERY_SIGTERM == EVERY_SIGTERM - 1:
                code, took = stop_is_prompt(daemon, signal.SIGTERM)
                if code == -signal.SIGTERM:
                    # Still starting up: Python's default action ended it, as a kill would.
                    assert "cadence daemon started" not in daemon.log()
                    early_terms += 1
                else:
                    assert code == 0, daemon.log()
                    term_seconds.append(took)
                terms += 1
            else:
                daemon.kill()
                kills += 1
        logs.append(daemon.log())
    chaos_seconds = time.monotonic() - clock.started

    # The server heals; one more daemon settles what is left.
    rig.smtp.plan = lambda: "ok"
    with NotifyListener() as systemd, rig.daemon(systemd, CADENCE_NOW=clock.now()) as final:

        def settled() -> bool:
            rows = outbox_rows(rig.state)
            return proposal_count(rig.state) == len(order) and not (
                rows.get("pending") or rows.get("sending")
            )

        wait_until(settled, timeout=90, what="every proposal made and its email settled")
        cycles_after(systemd, time.monotonic(), 2)
        assert final.stop() == 0
    logs.append(final.log())
    status = output(rig.cadence("status"))
    proposals = output(rig.cadence("proposals", "list", "--all"))
    emails = output(rig.cadence("outbox", "list", "--all"))

    # Every cancellation has one proposal, and there is no other.
    made = Counter((p["person"], datetime.fromisoformat(p["cancelled_start"])) for p in proposals)
    assert set(made) == set(order) and set(made.values()) == {1}
    assert {p["reason"] for p in proposals} == {"cancelled"}
    assert {p["status"] for p in proposals} == {"sent"}

    received = Counter(str(m.message["Message-ID"]) for m in rig.smtp.messages)
    kept_unanswered = {mid for mode, mid in rig.smtp.outcomes if mode == "drop-after"}
    by_proposal = {
        int(e["key"].split(":")[1]): e for e in emails if e["key"].startswith("proposal:")
    }
    assert set(by_proposal) == {p["id"] for p in proposals}
    per_proposal = Counter()
    unconfirmed = {"dropped after the end of data": 0, "killed during the hand-over": 0}
    unconfirmed_received = 0
    for email in by_proposal.values():
        count = received[email["message_id"]]
        per_proposal[count] += 1
        if email["status"] == "sent":
            assert count == 1, email  # 0 lost, 0 twice
            continue
        assert email["status"] == "unconfirmed", email
        assert count <= 1, email
        unconfirmed_received += count
        if email["message_id"] in kept_unanswered and "may have taken it" in email["last_error"]:
            unconfirmed["dropped after the end of data"] += 1
            assert count == 1, email
        else:
            assert "interrupted while handing it over" in email["last_error"], email
            unconfirmed["killed during the hand-over"] += 1
    assert max(received.values()) == 1  # no email at all arrived twice
    assert status["outbox"]["pending"] == status["outbox"]["failed"] == 0
    assert status["outbox"]["unconfirmed"] == sum(unconfirmed.values())
    with closing(sqlite3.connect(rig.state)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for log in logs:
        assert_clean(log)
        assert "could not stop within" not in log
        assert "unexpected error" not in log

    outcomes = Counter(mode for mode, _ in rig.smtp.outcomes)
    print(
        f"\nchaos (seed {SEED}): {chaos_seconds:.0f} s, {kills} SIGKILLs, {terms} SIGTERMs"
        f" ({early_terms} before the daemon had started; the others stopped it cleanly,"
        f" each in at most {max(term_seconds, default=0):.1f} s);"
        f"\n  {len(order)} cancellations, {len(proposals)} proposals;"
        f" emails received per proposal: {dict(sorted(per_proposal.items()))};"
        f" duplicates: 0; lost: 0;"
        f"\n  unconfirmed: {sum(unconfirmed.values())} ({unconfirmed}),"
        f" of which received: {unconfirmed_received};"
        f"\n  server answers: {dict(outcomes)}; integrity_check: ok"
    )
