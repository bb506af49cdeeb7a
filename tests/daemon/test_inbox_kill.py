"""The owner's reply is acted on once, also when ``cadence daemon`` is killed.

The real daemon reads a real Dovecot mailbox over IMAP with TLS. The owner
replies "2" to the proposal email; the daemon books slot 2 (one transaction:
the acceptance, the invitation, the confirmation, the record of the reply),
hands the invitations to the SMTP server, and only then marks the reply read.
SIGKILL lands in between: after the commit, before the marking. The restarted
daemon recognises the reply as handled and only marks it: one acceptance, one
booking with its two invitations (the person's, the owner's copy), one
confirmation.

The rig (feed server, SMTP server, state file, notify socket) is
tests/support/fault_rig.py; the daemon's clock starts on Monday 23 November
2026, 09:00 in Berlin.
"""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.daemon import NotifyListener, wait_until
from tests.support.fault_rig import (
    Rig,
    RigFactory,
    assert_clean,
    cycles_after,
    output,
    wait_status,
)
from tests.support.imap_server import DovecotServer, ImapUser
from tests.support.people import ALICE, NOW
from tests.support.replies import mailto_reply, reply_fixture
from tests.support.smtp_server import Received

BOB = "bob@example.com"

pytestmark = pytest.mark.slow


@dataclass
class InboxRig:
    rig: Rig
    dovecot: DovecotServer
    user: ImapUser

    @property
    def env(self) -> dict[str, str]:
        return {
            "CADENCE_IMAP_PASSWORD": self.user.password,
            "SSL_CERT_FILE": str(self.dovecot.tls.cert),
        }

    def subjects(self) -> list[str]:
        return [str(m.message["Subject"]) for m in self.rig.smtp.messages]

    def count(self, prefix: str) -> int:
        return sum(s.startswith(prefix) for s in self.subjects())

    def reply(self, choice: str) -> None:
        (proposal,) = [m for m in self.rig.smtp.messages if m.message["X-Cadence-Proposal"]]
        secret = str(proposal.message["Message-ID"])
        raw = reply_fixture("gmail_reply_quoted.eml", CHOICE=choice, PROPOSAL_MESSAGE_ID=secret)
        self.dovecot.deliver(self.user, raw, when=NOW)

    def reply_flags(self) -> list[set[str]]:
        return list(self.dovecot.messages(self.user).values())


def inbox_rig(make_rig: RigFactory, dovecot: DovecotServer) -> InboxRig:
    user = dovecot.add_user()
    imap = {"host": dovecot.host, "port": dovecot.imaps_port, "username": user.name}
    rig = make_rig(extra={"email": {"inbox": {"transport": "imap", "imap": imap}}})
    rig.add_alice()
    return InboxRig(rig, dovecot, user)


def proposal_sent(inbox: InboxRig, env: dict[str, str]) -> None:
    """Run the daemon until the proposal email is out, then stop it."""
    with NotifyListener() as systemd, inbox.rig.daemon(systemd, **env) as daemon:
        wait_until(lambda: inbox.count("1:1 with") == 1, what="the proposal email")
        wait_status(systemd)
        assert daemon.stop() == 0


def killed_when_sent(inbox: InboxRig, subject: str) -> str:
    """Run the daemon until the SMTP server receives an email whose subject starts
    with ``subject``, SIGKILL it then, and return its log."""
    first = inbox.rig.daemon(**inbox.env)

    def kill(received: Received) -> None:
        if str(received.message["Subject"]).startswith(subject):
            os.kill(first.pid, signal.SIGKILL)

    inbox.rig.smtp.on_message = kill
    with first:
        assert first.process is not None
        assert first.process.wait(timeout=30) == -signal.SIGKILL
    inbox.rig.smtp.on_message = None
    return first.log()


def test_killed_between_acting_on_a_reply_and_marking_it(
    make_rig: RigFactory, dovecot: DovecotServer
) -> None:
    inbox = inbox_rig(make_rig, dovecot)
    proposal_sent(inbox, inbox.env)
    inbox.reply("2")
    # The acceptance is committed (the invitation left the outbox), the reply is not
    # marked yet: the daemon dies now.
    killed_log = killed_when_sent(inbox, "Invitation:")
    assert "proposal #1 accepted: slot 2" in killed_log
    assert inbox.reply_flags() == [set()]  # killed before marking
    (accepted,) = inbox.rig.proposals(include_closed=True)
    assert accepted["status"] == "accepted" and accepted["accepted_slot"] == 2

    with NotifyListener() as systemd, inbox.rig.daemon(systemd, **inbox.env) as second:
        started = wait_status(systemd)
        cycles_after(systemd, started.at, 2)
        # Everything still queued goes out (the owner's copy of the invitation may
        # leave after the confirmation) before the outbox is looked at.
        wait_until(
            lambda: inbox.count("cadence: booked") == 1 and inbox.count("Invitation:") == 2,
            what="the confirmation and the owner's copy",
        )
        status, _ = inbox.rig.snapshot()
        assert second.stop() == 0

    assert inbox.reply_flags() == [{"seen"}]
    assert inbox.count("Invitation:") == 2  # the person's and the owner's copy
    assert inbox.count("cadence: booked") == 1
    assert len(inbox.subjects()) == 4  # the proposal, two invitations, the confirmation
    # The invitation was cut off mid-delivery: counted as unconfirmed, never resent.
    assert status["outbox"] == {"pending": 0, "failed": 0, "unconfirmed": 1}
    (inbox_source,) = [s for s in status["sources"] if s["name"] == "inbox"]
    assert inbox_source["healthy"]
    log = second.log()
    assert "accepted" not in log and "booked slot" not in log  # the restart only marked it
    assert_clean(log)
    assert inbox.user.password not in log + killed_log


def test_killed_at_random_moments_the_reply_still_acts_once(
    make_rig: RigFactory, dovecot: DovecotServer
) -> None:
    """SIGKILL the daemon again and again at random moments while it handles the reply
    (seeded, so a failure can be replayed), then let it finish: whatever the kills hit,
    one acceptance, at most one invitation and one confirmation, each either delivered
    or counted as unconfirmed."""
    inbox = inbox_rig(make_rig, dovecot)
    proposal_sent(inbox, inbox.env)
    inbox.reply("1")
    chance = random.Random(13)
    kills: list[float] = []
    for _ in range(6):
        delay = chance.uniform(0.2, 2.0)
        with inbox.rig.daemon(**inbox.env) as daemon:
            time.sleep(delay)
            daemon.kill()
        kills.append(round(delay, 2))
        if inbox.reply_flags() == [{"seen"}]:
            break
    with NotifyListener() as systemd, inbox.rig.daemon(systemd, **inbox.env) as last:
        started = wait_status(systemd)
        cycles_after(systemd, started.at, 2)
        wait_until(lambda: inbox.reply_flags() == [{"seen"}], what="the reply marked")
        status, _ = inbox.rig.snapshot()
        assert last.stop() == 0

    (accepted,) = inbox.rig.proposals(include_closed=True)
    assert accepted["status"] == "accepted" and accepted["accepted_slot"] == 1, kills
    outbox: dict[str, Any] = status["outbox"]
    assert outbox["pending"] == outbox["failed"] == 0, kills
    invitations, confirmations = inbox.count("Invitation:"), inbox.count("cadence: booked")
    assert invitations <= 2 and confirmations <= 1, kills
    # Each email went out once, or once was cut off (unconfirmed, not resent).
    assert (2 - invitations) + (1 - confirmations) == outbox["unconfirmed"], kills
    assert_clean(last.log())


def test_killed_between_applying_an_invitation_reply_and_marking_it(
    make_rig: RigFactory, dovecot: DovecotServer
) -> None:
    """Alice declines her booking (an iTIP REPLY as Outlook sends it): one transaction
    declines the booking, queues the cancellation of the owner's copy and gives the gap
    back. Right after it in the mailbox the owner books Bob, whose booking sends what is
    queued at once: SIGKILL when the cancellation arrives lands after the commit of the
    decline and before its marking. The restart only marks it: declined once, one
    cancellation, one new proposal for Alice."""
    inbox = inbox_rig(make_rig, dovecot)
    inbox.rig.add(BOB, "Bob Builder", "--day", "tue", "--time", "10:00")
    with NotifyListener() as systemd, inbox.rig.daemon(systemd, **inbox.env) as daemon:
        wait_until(lambda: inbox.count("1:1 with") == 2, what="the proposal emails")
        wait_status(systemd)
        assert daemon.stop() == 0
    proposals = {str(m.message["Subject"]).split()[2]: m for m in inbox.rig.smtp.messages}
    inbox.dovecot.deliver(inbox.user, reply_fixture(
        "gmail_reply_quoted.eml", CHOICE="1",
        PROPOSAL_MESSAGE_ID=str(proposals["Alice"].message["Message-ID"]),
    ), when=NOW)  # fmt: skip
    with NotifyListener() as systemd, inbox.rig.daemon(systemd, **inbox.env) as daemon:
        wait_until(lambda: inbox.reply_flags() == [{"seen"}], what="the owner's reply marked")
        wait_status(systemd)
        assert daemon.stop() == 0
    (booking,) = output(inbox.rig.cadence("bookings", "list"))
    inbox.dovecot.deliver(inbox.user, reply_fixture(
        "outlook_itip_reply_declined.eml", UID=booking["uid"]), when=NOW)  # fmt: skip
    inbox.dovecot.deliver(inbox.user, mailto_reply(
        "1", str(proposals["Bob"].message["Message-ID"]), message_id="<bob-1@mail.example.com>",
    ), when=NOW)  # fmt: skip

    assert "booking #1: alice@example.com declined" in killed_when_sent(inbox, "Cancelled:")
    assert inbox.reply_flags() == [{"seen"}, set(), set()]  # applied, not marked

    with NotifyListener() as systemd, inbox.rig.daemon(systemd, **inbox.env) as second:
        started = wait_status(systemd)
        cycles_after(systemd, started.at, 2)
        wait_until(lambda: inbox.count("1:1 with Alice Example: declined") == 1,
                   what="the new proposal")  # fmt: skip
        status, _ = inbox.rig.snapshot()
        assert second.stop() == 0

    assert inbox.reply_flags() == [{"seen"}, {"seen"}, {"seen"}]
    bookings = output(inbox.rig.cadence("bookings", "list", "--all"))
    assert sorted((b["person"], b["status"], b["sequence"]) for b in bookings) == [
        (ALICE, "declined", 1), (BOB, "invited", 0),
    ]  # fmt: skip
    assert inbox.count("Cancelled:") == 1  # cut off by the kill: unconfirmed, not resent
    assert inbox.count("1:1 with Alice Example: declined") == 1
    assert status["outbox"]["unconfirmed"] == 1 and status["outbox"]["pending"] == 0
    log = second.log()
    assert "booking #1: alice@example.com declined" not in log  # the restart only marked it
    assert_clean(log)
