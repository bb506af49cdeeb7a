"""Crash figures of replying to cadence: the real daemon killed while it acts on a reply.

Each round starts from scratch: a feed with Alice's cancelled 1:1 (served over
HTTP), a real SMTP server, a fresh Dovecot mailbox, a new state file. The
daemon sends the proposal; the owner's reply "2" (as Gmail writes it) arrives
in the mailbox; then the daemon is started and SIGKILLed after a random delay,
again and again, until a run outlives its handling of the reply (in every other
round the first kill is timed by the SMTP server instead: when the invitation
or the confirmation arrives, after the commit and before the marking). After each
kill the state and the mailbox tell where it landed: before the commit (the
reply not recorded), between the commit and the marking (recorded, still
unread in the mailbox), or after the marking. At the end of each round it
counts acceptances, invitations and confirmations (delivered, or cut off and
counted as unconfirmed). Prints the figures; exits 1 if any round acted
twice, sent an email twice, or lost the reply.

    .venv/bin/python benchmarks/inbox_crash.py [--rounds 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import feeds
from tests.support.daemon import DaemonProcess, daemon_config, wait_until
from tests.support.feed_server import FeedServer
from tests.support.imap_server import DovecotServer, ImapUser
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.replies import reply_fixture
from tests.support.smtp_server import Received, SmtpTestServer

ENV = {"CADENCE_NOW": NOW.isoformat(), "CADENCE_SMTP_PASSWORD": ""}


def _rows(state: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(state)) as conn:
        return list(conn.execute(query))


def _where(state: Path, dovecot: DovecotServer, user: ImapUser) -> str:
    """Where the last kill landed, from what it left behind."""
    recorded = _rows(state, "SELECT count(*) FROM inbox_messages")[0][0]
    marked = list(dovecot.messages(user).values()) == [{"seen"}]
    if not recorded:
        return "before the commit"
    return "after the marking" if marked else "between commit and marking"


def round_(
    tmp: Path, feed: FeedServer, smtp: SmtpTestServer, dovecot: DovecotServer,
    chance: random.Random, longest: float, timed: bool,
) -> tuple[list[str], dict[str, int]]:  # fmt: skip
    user = dovecot.add_user()
    imap = {"host": dovecot.host, "port": dovecot.imaps_port, "username": user.name}
    config = daemon_config(
        tmp, feed.url, smtp.port, interval="1s",
        extra={"email": {"inbox": {"transport": "imap", "imap": imap}}},
    )  # fmt: skip
    env = {**ENV, "CADENCE_IMAP_PASSWORD": user.password, "SSL_CERT_FILE": str(dovecot.tls.cert)}
    subprocess.run(
        [sys.executable, "-m", "cadence.cli", "--config", str(config), "person", "add", ALICE,
         "--name", "Alice Example", "--every", "weekly", "--day", "tue", "--time", "10:00"],
        env={**os.environ, **env}, check=True, capture_output=True,
    )  # fmt: skip
    smtp.messages.clear()
    with DaemonProcess(config, env=env) as daemon:
        wait_until(lambda: len(smtp.messages) == 1, what="the proposal email")
        daemon.stop()
    secret = str(smtp.messages[0].message["Message-ID"])
    raw = reply_fixture("gmail_reply_quoted.eml", CHOICE="2", PROPOSAL_MESSAGE_ID=secret)
    dovecot.deliver(user, raw, when=NOW)

    state = tmp / "state.db"
    landed: list[str] = []
    # Every other round the first kill is timed by the SMTP server: when the
    # invitation or the confirmation arrives (after the commit, before the marking);
    # every other kill comes after a random delay.
    aim = chance.choice(["Invitation:", "cadence: booked"]) if timed else None
    for attempt in range(30):
        daemon = DaemonProcess(config, env=env)

        def kill_on(received: Received, daemon: DaemonProcess = daemon) -> None:
            if aim and str(received.message["Subject"]).startswith(aim):
                os.kill(daemon.pid, signal.SIGKILL)

        smtp.on_message = kill_on if attempt == 0 and aim else None
        with daemon:
            if smtp.on_message is not None:
                assert daemon.process is not None
                daemon.process.wait(timeout=60)
            else:
                time.sleep(chance.uniform(0.0, longest))
                daemon.kill()
        smtp.on_message = None
        landed.append(_where(state, dovecot, user))
        if landed[-1] == "after the marking":
            break
    with DaemonProcess(config, env=env) as daemon:
        wait_until(lambda: list(dovecot.messages(user).values()) == [{"seen"}], timeout=60,
                   what="the reply marked")  # fmt: skip
        time.sleep(2.5)  # a cycle or two more: anything left in the outbox goes out
        daemon.stop()

    subjects = [str(m.message["Subject"]) for m in smtp.messages]
    rows = dict(_rows(state, "SELECT substr(key, 1, 6), status FROM outbox"))
    figures: dict[str, object] = {
        "accepted": _rows(state, "SELECT count(*) FROM proposals WHERE status = 'accepted'")[0][0],
        "records": _rows(state, "SELECT count(*) FROM inbox_messages")[0][0],
        "invitations": sum(s.startswith("Invitation:") for s in subjects),
        "confirmations": sum(s.startswith("cadence: booked") for s in subjects),
        # Each email's outbox row: sent, or unconfirmed (cut off mid-delivery).
        "invitation row": rows.get("invite", "missing"),
        "confirmation row": rows.get("inbox:", "missing"),
    }
    return landed, figures


# What each email may end as: delivered once and known so, or cut off while the
# server took it (unconfirmed: the server may or may not have it, never sent again).
FINE = {(1, "sent"), (1, "unconfirmed"), (0, "unconfirmed")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--longest", type=float, default=1.6,
                        help="kill within this many seconds of the start")  # fmt: skip
    args = parser.parse_args()
    chance = random.Random(args.seed)
    landings: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    bad: list[str] = []
    accepted = 0
    started = time.monotonic()
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
        DovecotServer() as dovecot,
    ):
        for n in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="cadence-crash-") as tmp:
                timed = n % 2 == 1
                landed, figures = round_(
                    Path(tmp), feed, smtp, dovecot, chance, args.longest, timed
                )
            landings.update(landed)
            accepted += int(str(figures["accepted"]))
            ok = figures["accepted"] == 1 and figures["records"] == 1
            for kind, row in (
                ("invitations", "invitation row"),
                ("confirmations", "confirmation row"),
            ):
                end = (figures[kind], figures[row])
                ends[f"{kind}: {end[0]} received, row {end[1]}"] += 1
                ok = ok and end in FINE
            if not ok:
                bad.append(f"round {n + 1}: {figures} after kills {landed}")
            print(f"round {n + 1:2}: {len(landed)} kill(s) {landed} -> {figures}", flush=True)
    took = time.monotonic() - started
    print()
    print(f"{args.rounds} rounds, {sum(landings.values())} kills, {took:.0f} s (seed {args.seed})")
    print("  the reply, after each kill:")
    for where in ("before the commit", "between commit and marking", "after the marking"):
        print(f"    {where:28} {landings[where]:4}")
    print(f"  acceptances: {accepted} (one per round: {args.rounds})")
    for end, count in sorted(ends.items()):
        print(f"  {end}: {count}")
    for line in bad:
        print("FAILED", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
