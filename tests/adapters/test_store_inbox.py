"""The state behind the inbox: joined transactions, the installation secret, and the
record of every inbox message (each handled once, marked after)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cadence.daemon.core.identity import message_id, reference_of
from cadence.daemon.core.model import Proposal
from cadence.daemon.store import AlreadyHandled, InboxRecord, NewMail, Store

from tests.support.proposals import draft

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def record(ref: str, key: str = "<r1@mail.example.com>", **changes: object) -> InboxRecord:
    values: dict[str, object] = {
        "mailbox": "imap://mail.example.com:993/INBOX",
        "ref": ref,
        "message_key": key,
        "sender": "olivia@example.com",
        "action": "book",
        "proposal_id": None,
        "detail": "booked slot 1",
        "mark": True,
    }
    values.update(changes)
    return InboxRecord(**values)  # type: ignore[arg-type]


def test_a_transaction_inside_another_commits_and_rolls_back_with_it(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        with pytest.raises(RuntimeError), store.db.transaction():
            store.set_meta("inner", "1")  # its own transaction, joined to the outer one
            raise RuntimeError("the outer block fails")
        assert store.get_meta("inner") is None
        with store.db.transaction():
            store.set_meta("inner", "2")
        assert store.get_meta("inner") == "2"
        # The connection is back in autocommit mode: a plain transaction works again.
        store.set_meta("after", "3")
        assert store.get_meta("after") == "3"


def test_the_installation_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        secret = store.identity.secret()
        assert len(secret) == 32
        assert store.identity.secret() == secret
        assert "secret" not in repr(store.identity).replace("<secret>", "")
    with Store(tmp_path / "a.db") as again:
        assert again.identity.secret() == secret
    with Store(tmp_path / "b.db") as other:
        assert other.identity.secret() != secret


def test_message_ids_are_unique_to_the_installation(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as a, Store(tmp_path / "b.db") as b:
        key = "proposal:1:alice@example.com|2026-11-23"
        mine = message_id(a.identity.secret(), key, "cadence@example.com")
        assert mine == message_id(a.identity.secret(), key, "cadence@example.com")
        assert mine != message_id(b.identity.secret(), key, "cadence@example.com")
        assert mine.startswith("<cadence.") and mine.endswith("@example.com>")
        assert reference_of(mine) is not None


def test_each_place_is_recorded_once(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        inbox = store.inbox
        assert not inbox.known("imap://mail.example.com:993/INBOX", "7/1")
        inbox.record(record("7/1"), NOW)
        assert inbox.known("imap://mail.example.com:993/INBOX", "7/1")
        assert not inbox.known("maildir:/elsewhere", "7/1")
        with pytest.raises(AlreadyHandled):
            inbox.record(record("7/1", detail="a second time"), NOW)
        assert inbox.by_key("<r1@mail.example.com>") == record("7/1")
        assert inbox.by_key("<unknown@mail.example.com>") is None


def test_handled_messages_wait_to_be_marked(tmp_path: Path) -> None:
    mailbox = "imap://mail.example.com:993/INBOX"
    with Store(tmp_path / "state.db") as store:
        inbox = store.inbox
        inbox.record(record("7/1"), NOW)
        inbox.record(record("7/2", "<r2@x>", action="ignore", mark=False), NOW)
        inbox.record(record("7/3", "<r3@x>"), NOW)
        assert inbox.unmarked(mailbox) == ["7/1", "7/3"]
        inbox.set_marked(mailbox, ["7/1"], NOW)
        assert inbox.unmarked(mailbox) == ["7/3"]


def test_a_record_inside_a_failed_transaction_is_not_kept(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        with pytest.raises(sqlite3.IntegrityError), store.db.transaction() as conn:
            store.inbox.record(record("7/1"), NOW)
            conn.execute("INSERT INTO meta VALUES ('x', '1')")
            conn.execute("INSERT INTO meta VALUES ('x', '2')")  # the effect fails
        assert not store.inbox.known("imap://mail.example.com:993/INBOX", "7/1")


def test_a_proposal_is_found_by_the_reference_of_its_email(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        secret = store.identity.secret()

        def render(proposal: Proposal) -> NewMail:
            key = f"proposal:{proposal.id}:{proposal.gap_key}"
            mid = message_id(secret, key, "cadence@example.com")
            return NewMail(key, mid, ("olivia@example.com",), b"Subject: x\r\n\r\nx")

        created = store.proposals.create(draft(), render, NOW)
        assert created is not None
        (item,) = store.proposals.outbox()
        reference = reference_of(item.message_id)
        assert reference is not None
        assert store.inbox.proposal_by_reference(reference) == created
        assert store.inbox.proposal_by_reference(reference.upper()) == created
        assert store.inbox.proposal_by_reference("0" * 32) is None
        # Other emails (an alert, an answer) are no proposal's secret.
        alert = message_id(secret, "alert:x", "cadence@example.com")
        store.proposals.enqueue(NewMail("alert:x", alert, ("o@x",), b"x"), NOW)
        assert store.inbox.proposal_by_reference(reference_of(alert) or "") is None


def test_answers_are_counted_per_proposal(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        store.inbox.record(record("7/1", "<a@x>", action="answer", proposal_id=3), NOW)
        store.inbox.record(record("7/2", "<b@x>", action="answer", proposal_id=3), NOW)
        store.inbox.record(record("7/3", "<c@x>", action="book", proposal_id=3), NOW)
        assert store.inbox.answers(3) == 2
        assert store.inbox.answers(4) == 0
