"""Reading the inbox in the engine: each message once, marked after the commit, and
the cases that must not loop. A Maildir inbox on disk, emails into a Maildir, the
feed a file, a real SQLite state."""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path

import pytest
from cadence.daemon.config import load_config
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Cadence, Person
from cadence.daemon.doctor import run_checks
from cadence.daemon.engine import Engine
from cadence.daemon.inbox import MOST_ANSWERS
from cadence.daemon.mail import maildir_inbox

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.replies import mailto_reply, reply_fixture


class Box:
    """The Maildir replies arrive in, as a delivery agent fills it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True)

    def deliver(self, raw: bytes) -> str:
        self.count += 1
        name = f"1795000000.M{self.count}.mailhost"
        (self.path / "new" / name).write_bytes(raw)
        stamp = NOW.timestamp()
        os.utime(self.path / "new" / name, (stamp, stamp))
        return name

    def seen(self) -> list[str]:
        return sorted(p.name.split(":")[0] for p in (self.path / "cur").glob("*:2,*S*"))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "feed.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    config = write_config(
        tmp_path,
        {
            "calendar": {"ics": {"url": "feed.ics"}},
            "agenda": {"directory": "agendas"},
            "email": {
                "from": "cadence@example.com",
                "inbox": {"transport": "maildir", "maildir": {"path": "inbox"}},
            },
        },
    )
    engine = Engine(load_config(config, env={}), clock=lambda: NOW)
    engine.add_person(Person(ALICE, "Alice Example", Cadence.parse("weekly"), day=1))
    engine.sync()
    yield engine
    engine.close()


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path / "inbox")


def sent(tmp_path: Path) -> list[EmailMessage]:
    found = []
    for path in sorted((tmp_path / "mail" / "new").glob("*"), key=lambda p: p.stat().st_mtime_ns):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def proposal_id(tmp_path: Path) -> str:
    (mail,) = [m for m in sent(tmp_path) if m["Subject"].startswith("1:1 with")]
    return str(mail["Message-ID"])


def test_a_crash_after_the_commit_only_marks_the_message_next_time(
    engine: Engine, box: Box, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = box.deliver(mailto_reply("1", proposal_id(tmp_path)))

    def crash(self: object, refs: Sequence[str]) -> list[str]:
        raise SourceError("maildir", "the connection dropped before marking")

    # The mailbox goes away between the commit and the marking.
    monkeypatch.setattr(maildir_inbox._Session, "mark_handled", crash)
    with pytest.raises(SourceError):
        engine.check_inbox()
    assert engine.proposals(include_closed=True)[0].status == "accepted"
    assert box.seen() == []
    monkeypatch.undo()

    again = engine.check_inbox()
    assert again.read == 0 and again.acted == [] and again.ignored == []
    assert box.seen() == [name]
    confirmations = [m for m in sent(tmp_path) if m["Subject"].startswith("cadence: booked")]
    assert len(confirmations) == 1


def test_a_second_copy_of_a_reply_is_handled_once(engine: Engine, box: Box, tmp_path: Path) -> None:
    reply = mailto_reply("2", proposal_id(tmp_path))
    first, second = box.deliver(reply), box.deliver(reply)
    found = engine.check_inbox()
    assert [a["action"] for a in found.acted] == ["book"]
    assert [i["why"] for i in found.ignored] == ["already handled"]
    assert box.seen() == sorted([first, second])  # both copies are cadence's
    assert len([m for m in sent(tmp_path) if m["Subject"].startswith("cadence: booked")]) == 1


def test_replies_not_understood_are_answered_a_few_times_then_left(
    engine: Engine, box: Box, tmp_path: Path
) -> None:
    secret = proposal_id(tmp_path)
    for n in range(MOST_ANSWERS + 2):
        box.deliver(
            reply_fixture("gmail_reply_quoted.eml", CHOICE=f"what about {n}pm?",
                          PROPOSAL_MESSAGE_ID=secret).replace(b"CAJ5", f"N{n}".encode())
        )  # fmt: skip
    found = engine.check_inbox()
    assert [a["action"] for a in found.acted] == ["answer"] * MOST_ANSWERS
    assert len(found.ignored) == 2
    assert "already answered" in found.ignored[0]["why"]
    answers = [m for m in sent(tmp_path) if "your reply changed nothing" in m["Subject"]]
    assert len(answers) == MOST_ANSWERS


def test_cadences_own_email_in_the_inbox_is_never_answered(
    engine: Engine, box: Box, tmp_path: Path
) -> None:
    # With email.from the owner's address and the inbox her mailbox, cadence's own
    # emails arrive there: they carry every secret, and must never start a loop.
    (proposal_mail,) = (tmp_path / "mail" / "new").glob("*")
    box.deliver(proposal_mail.read_bytes())
    found = engine.check_inbox()
    assert found.acted == []
    assert [(i["why"], i["message_id"]) for i in found.ignored] == [("sent by cadence", None)]
    assert box.seen() == []


def test_a_reply_to_a_closed_proposal_changes_nothing(
    engine: Engine, box: Box, tmp_path: Path
) -> None:
    engine.dismiss(1)
    box.deliver(mailto_reply("1", proposal_id(tmp_path)))
    (acted,) = engine.check_inbox().acted
    assert acted["action"] == "answer" and acted["why"] == "proposal closed"
    assert engine.proposal(1).status == "dismissed"


def test_an_unreadable_inbox_is_recorded_as_a_failing_source(engine: Engine, box: Box) -> None:
    for sub in ("tmp", "new", "cur"):
        (box.path / sub).rmdir()
    report = engine.sync()
    assert any("not a Maildir" in e["message"] for e in report.errors)
    (inbox,) = [s for s in engine.status()["sources"] if s.name == "inbox"]
    assert not inbox.healthy and inbox.location == f"maildir:{box.path}"


def test_doctor_checks_a_maildir_inbox(engine: Engine, box: Box) -> None:
    box.deliver(b"Subject: hello\r\n\r\nx\r\n")
    checks = {c.name: c for c in run_checks(engine)}
    assert checks["inbox"].ok
    assert checks["inbox"].detail == f"{box.path} (1 message)"
    for sub in ("tmp", "cur"):
        (box.path / sub).rmdir()
    checks = {c.name: c for c in run_checks(engine)}
    assert not checks["inbox"].ok and "not a Maildir" in checks["inbox"].detail
    assert checks["inbox"].fix is not None and "email.inbox.maildir.path" in checks["inbox"].fix
    assert list((box.path / "new").glob("*")) != []  # nothing read or moved


def test_an_unreadable_imap_password_fails_the_inbox_not_the_cycle(tmp_path: Path) -> None:
    (tmp_path / "feed.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    secret = tmp_path / "imap-password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    imap = {"host": "127.0.0.1", "username": "olivia", "password_file": "imap-password"}
    config = write_config(
        tmp_path,
        {"calendar": {"ics": {"url": "feed.ics"}}, "agenda": {"directory": "agendas"},
         "email": {"inbox": {"transport": "imap", "imap": imap}}},
    )  # fmt: skip
    engine = Engine(load_config(config, env={}), clock=lambda: NOW)
    try:
        engine.add_person(Person(ALICE, "Alice Example", Cadence.parse("weekly"), day=1))
        report = engine.sync()
        assert report.proposals_created == 1  # the rest of the cycle went on
        (error,) = report.errors
        assert error["source"] == "inbox" and "readable by others" in error["message"]
        (inbox,) = [s for s in engine.status()["sources"] if s.name == "inbox"]
        assert not inbox.healthy and inbox.location == "email.inbox (imap)"
    finally:
        engine.close()


def test_an_unconfirmed_email_found_in_the_inbox_is_settled_as_sent(
    engine: Engine, box: Box, tmp_path: Path
) -> None:
    """The owner's mailbox is the inbox: the proposal whose delivery went unanswered
    (the connection broke after the data) turns up there, so it did arrive."""
    (item,) = engine.store.outbox.items(["sent"])
    with engine.store.db.transaction() as conn:
        conn.execute("UPDATE outbox SET status = 'unconfirmed' WHERE id = ?", (item.id,))
    (mail,) = sent(tmp_path)
    box.deliver(bytes(mail))
    report = engine.check_inbox()
    (ignored,) = report.ignored
    assert ignored["why"] == ("sent by cadence; it arrived, so the email is no longer unconfirmed")
    assert [i.status for i in engine.store.outbox.items()] == ["sent"]
    assert box.seen() == []  # cadence's own email is left as it is
