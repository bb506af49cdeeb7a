"""Crash figures of replying to cadence: the real daemon killed while it acts on a reply.

Each round starts from scratch: a feed with Alice's cancelled 1:1 (served over
HTTP), a real SMTP server, a fresh Dovecot mailbox, a new state file. The
daemon sends the proposal; the owner's reply "2" (as Gmail writes it) arrives
in the mailbox; then the daemon is started and SIGKILLed after a random delay,
again and again, until a run outlives its handling of the reply (in every other
round the first kill is timed by the SMTP server instead: when an invitation or
the confirmation arrives, after the commit and before the marking). Then
Alice's decline arrives (an iTIP REPLY as Outlook sends it) and the same is
done while the daemon applies it to the booking (the timed kill: when the
cancellation of the owner's copy or the new proposal arrives). After each kill
the state and the mailbox tell where it landed: before the commit (the message
not recorded), between the commit and the marking (recorded, still unread in
the mailbox), or after the marking. At the end of each round it counts
acceptances, bookings and every email (delivered, or cut off and counted as
unconfirmed). Prints the figures; exits 1 if any round acted twice, sent an
email twice, or lost a message.

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
from tests.support.replies import mailto_reply, reply_fixture
from tests.support.smtp_server import Received, SmtpTestServer

ENV = {"CADENCE_NOW": NOW.isoformat(), "CADENCE_SMTP_PASSWORD": ""}
BOB = "bob@example.com"


def _rows(state: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(state)) as conn:
        return list(conn.execute(query))


def _where(state: Path, dovecot: DovecotServer, user: ImapUser, message: int) -> str:
    """Where the last kill left inbox message number ``message`` (1-based, in the
    order it arrived: messages are recorded in that order)."""
    recorded = _rows(state, "SELECT count(*) FROM inbox_messages")[0][0]
    flags = list(dovecot.messages(user).values())
    if recorded < message:
        return "before the commit"
    marked = len(flags) >= message and flags[message - 1] == {"seen"}
    return "after the marking" if marked else "between commit and marking"


def _all_marked(dovecot: DovecotServer, user: ImapUser, count: int) -> bool:
    flags = list(dovecot.messages(user).values())
    return len(flags) == count and all(f == {"seen"} for f in flags)


def _kill_until_handled(
    config: Path, env: dict[str, str], state: Path, smtp: SmtpTestServer,
    dovecot: DovecotServer, user: ImapUser, chance: random.Random, longest: float,
    aim: str | None, watch: int, count: int,
) -> list[str]:  # fmt: skip
    """SIGKILL the daemon again and again while it handles the inbox, the first kill
    timed by the SMTP server when an email whose subject starts with ``aim`` arrives,
    the others after a random delay, until a run outlives the handling of all
    ``count`` messages; then let a last run finish. Return where each kill left
    message ``watch``."""
    landed: list[str] = []
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
        landed.append(_where(state, dovecot, user, watch))
        if _all_marked(dovecot, user, count):
            break
    with DaemonProcess(config, env=env) as daemon:
        wait_until(lambda: _all_marked(dovecot, user, count), timeout=60,
                   what="the messages marked")  # fmt: skip
        time.sleep(2.5)  # a cycle or two more: anything left in the outbox goes out
        daemon.stop()
    return landed


def _row(state: Path, key: str) -> str:
    found = _rows(state, f"SELECT status FROM outbox WHERE key LIKE '{key}'")
    return str(found[0][0]) if len(found) == 1 else f"{len(found)} rows"


def _first(state: Path) -> str:
    """The row of the confirmation of the owner's first reply (the booking of Bob
    confirms itself by a second one)."""
    found = _rows(state, "SELECT status FROM outbox WHERE key LIKE 'inbox:%' ORDER BY id")
    return str(found[0][0]) if found else "missing"


def round_(
    tmp: Path, feed: FeedServer, smtp: SmtpTestServer, dovecot: DovecotServer,
    chance: random.Random, longest: float, timed: bool,
) -> tuple[list[str], list[str], dict[str, object]]:  # fmt: skip
    user = dovecot.add_user()
    imap = {"host": dovecot.host, "port": dovecot.imaps_port, "username": user.name}
    config = daemon_config(
        tmp, feed.url, smtp.port, interval="1s",
        extra={"email": {"inbox": {"transport": "imap", "imap": imap}}},
    )  # fmt: skip
    env = {**ENV, "CADENCE_IMAP_PASSWORD": user.password, "SSL_CERT_FILE": str(dovecot.tls.cert)}
    for who, name in ((ALICE, "Alice Example"), (BOB, "Bob Builder")):
        subprocess.run(
            [sys.executable, "-m", "cadence.cli", "--config", str(config), "person", "add", who,
             "--name", name, "--every", "weekly", "--day", "tue", "--time", "10:00"],
            env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
    smtp.messages.clear()
    with DaemonProcess(config, env=env) as daemon:
        wait_until(lambda: len(smtp.messages) == 2, what="the proposal emails")
        daemon.stop()
    proposals = {"Alice" if "Alice" in str(m.message["Subject"]) else "Bob": m
                 for m in smtp.messages}  # fmt: skip
    secret = str(proposals["Alice"].message["Message-ID"])
    raw = reply_fixture("gmail_reply_quoted.eml", CHOICE="2", PROPOSAL_MESSAGE_ID=secret)
    dovecot.deliver(user, raw, when=NOW)
    state = tmp / "state.db"

    # The owner's reply: every other round the first kill is timed by the SMTP
    # server, when an invitation or the confirmation arrives.
    aim = chance.choice(["Invitation:", "cadence: booked"]) if timed else None
    booked = _kill_until_handled(config, env, state, smtp, dovecot, user, chance, longest,
                                 aim, 1, 1)  # fmt: skip

    # Alice's decline (an iTIP REPLY as Outlook sends it) applied to her booking:
    # declined, the owner's copy cancelled, the gap proposed anew. Right after it in
    # the mailbox, the owner books Bob: that booking sends the mail queued so far at
    # once, so the timed kill (when the cancellation arrives) falls after the commit
    # of the decline and before its marking.
    (uid,) = _rows(state, "SELECT uid FROM bookings")[0]
    dovecot.deliver(user, reply_fixture("outlook_itip_reply_declined.eml", UID=str(uid)),
                    when=NOW)  # fmt: skip
    secret = str(proposals["Bob"].message["Message-ID"])
    dovecot.deliver(user, mailto_reply("1", secret, message_id="<bob-1@mail.example.com>"),
                    when=NOW)  # fmt: skip
    aim = "Cancelled:" if timed else None
    declined = _kill_until_handled(config, env, state, smtp, dovecot, user, chance, longest,
                                   aim, 2, 3)  # fmt: skip

    subjects = [str(m.message["Subject"]) for m in smtp.messages]
    figures: dict[str, object] = {
        "accepted": _rows(state, "SELECT count(*) FROM proposals WHERE status = 'accepted'")[0][0],
        "records": _rows(state, "SELECT count(*) FROM inbox_messages")[0][0],
        "bookings": [tuple(r) for r in _rows(state, "SELECT status, sequence FROM bookings")],
        "proposals": _rows(state, "SELECT count(*) FROM proposals")[0][0],
        "invitations": sum(s.startswith("Invitation: 1:1 Alice") for s in subjects),
        "confirmations": sum(s.startswith("cadence: booked Alice") for s in subjects),
        "cancellations": sum(s.startswith("Cancelled:") for s in subjects),
        "new proposals": sum(s.startswith("1:1 with Alice Example: declined") for s in subjects),
        # Each email's outbox row: sent, or unconfirmed (cut off mid-delivery).
        "Bob's invitations": sum(s.startswith("Invitation: 1:1 Bob") for s in subjects),
        "invitation row": _row(state, "booking:1:0:request:person"),
        "copy row": _row(state, "booking:1:0:request:owner"),
        "confirmation row": _first(state),
        "cancellation row": _row(state, "booking:1:1:cancel:owner"),
        "new proposal row": _row(state, "proposal:3:%"),
    }
    return booked, declined, figures


# Each email of a round, by the outbox row it was queued as, and the subject it is
# counted under (the person's invitation and the owner's copy share one).
EMAILS = (
    ("invitation", "invitation row", "invitations"),
    ("owner's copy", "copy row", "invitations"),
    ("confirmation", "confirmation row", "confirmations"),
    ("cancellation", "cancellation row", "cancellations"),
    ("new proposal", "new proposal row", "new proposals"),
)


def _fine(figures: dict[str, object]) -> tuple[bool, list[str]]:
    """Whether a round acted once on each message and sent no email twice (each sent
    once, or cut off while the server took it: unconfirmed, received once or not at
    all, never sent again); and how each email ended."""
    rows = {name: str(figures[row]) for name, row, _ in EMAILS}
    ok = (
        figures["accepted"] == 2
        and figures["records"] == 3
        and figures["bookings"] == [("declined", 1), ("invited", 0)]
        and figures["proposals"] == 3
        and all(r in ("sent", "unconfirmed") for r in rows.values())
    )
    for kind in dict.fromkeys(k for _, _, k in EMAILS):
        names = [name for name, _, counted in EMAILS if counted == kind]
        sent = sum(rows[name] == "sent" for name in names)
        ok = ok and sent <= int(str(figures[kind])) <= len(names)
    return ok, [f"{name}: {row}" for name, row in rows.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--longest", type=float, default=1.6,
                        help="kill within this many seconds of the start")  # fmt: skip
    args = parser.parse_args()
    chance = random.Random(args.seed)
    landings: dict[str, Counter[str]] = {
        "the owner's reply": Counter(),
        "Alice's decline": Counter(),
    }
    ends: Counter[str] = Counter()
    bad: list[str] = []
    started = time.monotonic()
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
        DovecotServer() as dovecot,
    ):
        for n in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="cadence-crash-") as tmp:
                timed = n % 2 == 1
                booked, declined, figures = round_(
                    Path(tmp), feed, smtp, dovecot, chance, args.longest, timed
                )
            landings["the owner's reply"].update(booked)
            landings["Alice's decline"].update(declined)
            ok, ended = _fine(figures)
            ends.update(ended)
            if not ok:
                bad.append(f"round {n + 1}: {figures} after kills {booked} / {declined}")
            kills = len(booked) + len(declined)
            print(f"round {n + 1:2}: {kills} kill(s) {booked} / {declined} -> {figures}",
                  flush=True)  # fmt: skip
    took = time.monotonic() - started
    kills = sum(sum(c.values()) for c in landings.values())
    print()
    print(f"{args.rounds} rounds, {kills} kills, {took:.0f} s (seed {args.seed})")
    for message, counts in landings.items():
        print(f"  {message}, after each kill:")
        for where in ("before the commit", "between commit and marking", "after the marking"):
            print(f"    {where:28} {counts[where]:4}")
    for end, count in sorted(ends.items()):
        print(f"  {end}: {count}")
    print(f"  rounds that acted twice, lost a message or sent an email twice: {len(bad)}")
    for line in bad:
        print("FAILED", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
