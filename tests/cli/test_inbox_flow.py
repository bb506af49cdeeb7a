"""Replying to cadence, end to end: a proposal email goes out over SMTP, the owner's
reply arrives in a real Dovecot mailbox, ``cadence inbox check`` (and ``sync``)
reads it over IMAP with TLS and acts, once.

The clock is pinned with $CADENCE_NOW to Monday 23 November 2026, 09:00 in
Berlin; the feed holds a weekly 1:1 with Alice on Tuesdays at 10:00 whose
instance of 1 December is cancelled: one proposal, for the week of 30 November.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import by_smtp, write_config
from tests.support.feed_server import FeedServer
from tests.support.imap_server import DovecotServer, ImapUser
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.replies import mailto_reply, reply_fixture
from tests.support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow


@dataclass
class World:
    tmp: Path
    feed: FeedServer
    smtp: SmtpTestServer
    dovecot: DovecotServer
    user: ImapUser
    config: Path

    def run(self, *args: str, password: str | None = None) -> Result:
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": NOW.isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
            "CADENCE_IMAP_PASSWORD": self.user.password if password is None else password,
            # The test server's certificate, trusted as a private CA would be.
            "SSL_CERT_FILE": str(self.dovecot.tls.cert),
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def mails(self) -> list[EmailMessage]:
        return [m.message for m in self.smtp.messages]

    def proposal_mail(self) -> EmailMessage:
        (found,) = [m for m in self.mails() if m["Subject"].startswith("1:1 with")]
        return found

    def reply(self, name: str, **values: str) -> None:
        """The owner's reply, as ``name``'s client writes it, arrives in the inbox."""
        values.setdefault("PROPOSAL_MESSAGE_ID", str(self.proposal_mail()["Message-ID"]))
        self.dovecot.deliver(self.user, reply_fixture(name, **values), when=NOW)

    def deliver(self, raw: bytes) -> None:
        self.dovecot.deliver(self.user, raw, when=NOW)

    def inbox(self, folder: str = "INBOX") -> dict[str, set[str]]:
        return self.dovecot.messages(self.user, folder)


def make_world(tmp: Path, feed: FeedServer, smtp: SmtpTestServer, dovecot: DovecotServer,
               **inbox: Any) -> World:  # fmt: skip
    user = dovecot.add_user()
    config = write_config(
        tmp,
        {
            "calendar": {"ics": {"url": feed.url, "timeout": "5s"}},
            "agenda": {"directory": "agendas", "base_url": "https://wiki.example.com/1on1/"},
            "email": {
                "from": "cadence@example.com",
                **by_smtp(host=smtp.host, port=smtp.port, security="none"),
                "inbox": {
                    "transport": "imap",
                    "imap": {"host": dovecot.host, "port": dovecot.imaps_port,
                             "username": user.name},
                    **inbox,
                },
            },
        },
    )  # fmt: skip
    world = World(tmp, feed, smtp, dovecot, user, config)
    added = world.run(
        "person", "add", ALICE, "--name", "Alice Example", "--every", "weekly",
        "--day", "tue", "--time", "10:00", "--duration", "30m",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    return world


@pytest.fixture
def world(tmp_path: Path, dovecot: DovecotServer) -> Iterator[World]:
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
    ):
        w = make_world(tmp_path, feed, smtp, dovecot)
        assert w.run("sync").exit_code == 0
        yield w


def test_the_proposal_email_can_be_answered_by_reply(world: World) -> None:
    mail = world.proposal_mail()
    # The IMAP login is an address? No: the sender is where replies go then.
    assert mail["Reply-To"] == "cadence@example.com"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Reply to this email with 1, 2 or 3 to book that time" in text
    assert "cadence proposals accept 1 --slot 2" in text
    page = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert page.count('href="mailto:cadence@example.com?subject=Re%3A%20') == 4


def test_replying_2_from_gmail_books_slot_2_once_and_confirms_it(world: World) -> None:
    world.reply("gmail_reply_quoted.eml", CHOICE="2")
    found = world.json("inbox", "check")
    assert found["read"] == 1 and found["ignored"] == []
    (acted,) = found["acted"]
    assert acted["action"] == "book" and acted["proposal"] == 1 and acted["booking"] == 1
    assert acted["from"] == "olivia@example.com"
    assert acted["message_id"].endswith("@mail.gmail.com>")

    (proposal,) = world.json("proposals", "list", "--all")
    assert proposal["status"] == "accepted" and proposal["accepted_slot"] == 2
    invitation, copy, confirmation = world.mails()[1:]
    assert invitation["Subject"].startswith("Invitation: 1:1 Alice Example / Olivia Owner")
    assert copy["To"] == "Olivia Owner <olivia@example.com>"
    assert confirmation["Subject"].startswith("cadence: booked Alice Example, ")
    assert confirmation["In-Reply-To"].endswith("@mail.gmail.com>")
    assert confirmation["To"] == "olivia@example.com"
    assert list(world.inbox().values()) == [{"seen"}]

    again = world.json("inbox", "check")
    assert again == {"read": 0, "acted": [], "ignored": [], "errors": []}
    assert len(world.mails()) == 4


def test_a_dismissal_from_outlook_in_html_only(world: World) -> None:
    world.reply("outlook_reply_html_only.eml", CHOICE="dismiss")
    (acted,) = world.json("inbox", "check")["acted"]
    assert acted["action"] == "dismiss"
    (proposal,) = world.json("proposals", "list", "--all")
    assert proposal["status"] == "dismissed"
    assert world.mails()[-1]["Subject"] == "cadence: dismissed the proposal for Alice Example"


def test_a_reply_made_with_a_mailto_link_books(world: World) -> None:
    world.deliver(mailto_reply("3", str(world.proposal_mail()["Message-ID"])))
    (acted,) = world.json("inbox", "check")["acted"]
    assert acted["action"] == "book" and acted["slot"] == 3


def test_a_reply_not_understood_is_answered_and_changes_nothing(world: World) -> None:
    world.reply("apple_mail_reply_quoted.eml", CHOICE="Could we do Friday instead?")
    (acted,) = world.json("inbox", "check")["acted"]
    assert acted["action"] == "answer" and acted["why"] == "not understood"
    (proposal,) = world.json("proposals", "list")
    assert proposal["status"] == "sent"
    answer = world.mails()[-1]
    body = answer.get_content()
    assert "it read “Could we do Friday instead?”" in body
    assert answer["Auto-Submitted"] == "auto-replied"
    assert list(world.inbox().values()) == [{"seen"}]


def test_forged_replies_change_nothing_and_are_left_alone(world: World) -> None:
    secret = str(world.proposal_mail()["Message-ID"])
    world.reply("gmail_reply_quoted.eml", OWNER="mallory@example.net", PROPOSAL_MESSAGE_ID=secret)
    world.reply("outlook_reply_quoted.eml", PROPOSAL_MESSAGE_ID="<guess@example.com>")
    result = world.run("--verbose", "inbox", "check")
    assert result.exit_code == 0, result.output
    assert "Read 2 new messages." in result.stdout
    assert "not from the owner" in result.stdout
    assert "carries no proposal's secret" in result.stdout
    assert "WARNING" in result.stderr and "mallory@example.net" in result.stderr
    assert secret not in result.output
    (proposal,) = world.json("proposals", "list")
    assert proposal["status"] == "sent"
    assert len(world.mails()) == 1  # no answer to a forger
    assert all(flags == set() for flags in world.inbox().values())  # not marked


def test_a_slot_taken_meanwhile_is_answered(world: World) -> None:
    (proposal,) = world.json("proposals", "list")
    begins = datetime.fromisoformat(proposal["slots"][1]["start"])
    world.feed.set_body(
        feeds.calendar(
            alice_series(cancelled=[NEXT_WEEK]), feeds.single("board@example.com", "Board", begins)
        )
    )
    world.reply("gmail_reply_quoted.eml", CHOICE="2")
    (acted,) = world.json("inbox", "check")["acted"]
    assert acted["action"] == "answer" and acted["why"] == "slot taken"
    assert "is no longer free in your calendar" in world.mails()[-1].get_content()
    (proposal,) = world.json("proposals", "list")
    assert proposal["status"] == "sent"


def test_a_person_s_invitation_reply_is_recognised(world: World) -> None:
    assert world.run("proposals", "accept", "1", "--slot", "1").exit_code == 0
    invitation = world.mails()[-2]
    ics = invitation.get_body(("calendar",))
    assert ics is not None
    uid = next(line for line in ics.get_content().splitlines() if line.startswith("UID:"))[4:]
    world.deliver(reply_fixture("outlook_itip_reply_declined.eml", UID=uid.strip()))
    world.deliver(reply_fixture("google_itip_reply_accepted.eml", UID="someone-else@google.com"))
    found = world.json("inbox", "check")
    (acted,) = found["acted"]
    assert acted["action"] == "reply" and acted["partstat"] == "declined"
    assert acted["proposal"] == 1 and acted["booking"] == 1
    (ignored,) = found["ignored"]
    assert ignored["why"] == "invitation reply: no booking with that UID"
    flags = world.inbox()
    assert sorted(map(sorted, flags.values())) == [[], ["seen"]]


def test_handled_mail_can_be_moved_to_a_folder(tmp_path: Path, dovecot: DovecotServer) -> None:
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
    ):
        world = make_world(tmp_path, feed, smtp, dovecot, after="move", move_to="Handled")
        world.run("sync")
        world.reply("gmail_reply_quoted.eml", CHOICE="1")
        world.deliver(b"From: newsletter@example.org\r\nSubject: News\r\n\r\nHello\r\n")
        world.json("inbox", "check")
    assert list(world.inbox("Handled")) != []
    assert [flags for flags in world.inbox().values()] == [set()]  # the newsletter stays


def test_sync_reads_the_inbox_and_a_failing_inbox_is_a_failing_source(world: World) -> None:
    world.reply("gmail_reply_quoted.eml", CHOICE="1")
    result = world.json("sync")
    assert result["inbox"]["read"] == 1
    assert [a["action"] for a in result["inbox"]["acted"]] == ["book"]

    failing = world.run("sync", "--json", password="wrong")
    assert failing.exit_code == 1
    errors = json.loads(failing.stdout)["errors"]
    assert [e["source"] for e in errors] == [f"imap://{world.dovecot.host}:"
                                             f"{world.dovecot.imaps_port}/INBOX"]  # fmt: skip
    assert "login as" in errors[0]["message"] and "wrong" not in errors[0]["message"]
    status = world.json("status")
    (inbox,) = [s for s in status["sources"] if s["name"] == "inbox"]
    assert inbox["healthy"] is False and inbox["failures"] == 1


def test_inbox_check_without_an_inbox_says_how_to_set_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"calendar": {"ics": {"url": "feed.ics"}}})
    result = CliRunner().invoke(cli, ["--config", str(config), "inbox", "check"])
    assert result.exit_code == 2
    assert 'no inbox is configured: set [email.inbox] transport = "imap"' in result.output


def test_doctor_checks_the_inbox_without_reading_it(world: World) -> None:
    world.reply("gmail_reply_quoted.eml", CHOICE="1")
    checks = {c["check"]: c for c in world.json("doctor")}
    assert checks["inbox"]["ok"] is True
    assert f"logged in as {world.user.name}" in checks["inbox"]["detail"]
    assert "folder INBOX (1 message)" in checks["inbox"]["detail"]
    result = world.run("doctor", "--json", password="wrong")
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    assert checks["inbox"]["ok"] is False
    assert "email.inbox.imap.username" in checks["inbox"]["fix"]
    assert list(world.inbox().values()) == [set()]  # nothing read, nothing marked
    (proposal,) = world.json("proposals", "list")
    assert proposal["status"] == "sent"
