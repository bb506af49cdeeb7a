"""The SQLite state: migrations, WAL, history kept, one proposal and one email per gap."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cadence.daemon.core.errors import StoreError
from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Interval,
    Occurrence,
    Partstat,
    Person,
    Proposal,
    ProposalStatus,
)
from cadence.daemon.store import NewMail, Store
from cadence.daemon.store.database import SCHEMA_VERSION

from tests.support.proposals import draft

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def occurrence(uid: str, day: int, *, rid: bool = True) -> Occurrence:
    start = datetime(2026, 11, day, 9, 0, tzinfo=UTC)
    return Occurrence(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=30),
        summary="1:1",
        recurrence_id=start if rid else None,
        organizer="olivia@example.com",
        attendees=(Attendee("alice@example.com", Partstat.ACCEPTED),),
    )


def test_new_database_is_at_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    with Store(tmp_path / "s" / "state.db") as store:
        assert store.db.version() == SCHEMA_VERSION
        mode = store.db.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_a_database_from_a_newer_cadence_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = 999")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer cadence"):
        Store(path)


def test_people_round_trip(tmp_path: Path) -> None:
    alice = Person("alice@example.com", "Alice", Cadence.parse("3w"), timezone="Asia/Tokyo")
    with Store(tmp_path / "state.db") as store:
        assert store.people.add(alice, NOW)
        assert not store.people.add(alice, NOW)
        assert store.people.get("ALICE@example.com") == alice
        assert store.people.remove(alice.email)
        assert store.people.all() == []


def test_a_read_marks_vanished_occurrences_deleted_and_keeps_history(tmp_path: Path) -> None:
    window = Interval(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    first = [occurrence("s", 24), occurrence("s", 25), occurrence("old", 2)]
    with Store(tmp_path / "state.db") as store:
        obs = store.observations
        obs.record_read("calendar", "feed", {"etag": "1"}, window, first, [], NOW)
        later = Interval(datetime(2026, 11, 20, tzinfo=UTC), window.end)
        vanished = obs.record_read("calendar", "feed", {"etag": "2"}, later, first[:1], [], NOW)
        assert vanished == 1  # the 25th; the 2nd lies outside the second window
        statuses = {o.start.day: o.status.value for o in obs.occurrences(window.start)}
        assert statuses == {2: "confirmed", 24: "confirmed", 25: "deleted"}
        assert obs.source("calendar").state == {"etag": "2"}  # type: ignore[union-attr]


def test_a_failed_read_keeps_the_previous_state(tmp_path: Path) -> None:
    window = Interval(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    with Store(tmp_path / "state.db") as store:
        obs = store.observations
        obs.record_read("calendar", "feed", {"etag": "1"}, window, [occurrence("s", 24)], [], NOW)
        obs.record_failure("calendar", "feed", "HTTP 500", NOW)
        health = obs.source("calendar")
        assert health is not None and health.failures == 1 and health.state == {"etag": "1"}
        assert len(obs.occurrences(window.start)) == 1


def mail_for(proposal: Proposal) -> NewMail:
    return NewMail(
        f"proposal:{proposal.id}", f"<{proposal.id}@x>", ("o@x.org",), b"Subject: x\r\n\r\nx"
    )


def test_one_proposal_and_one_email_per_gap(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        created = store.proposals.create(draft(), mail_for, NOW)
        assert created is not None and created.id >= 1
        assert store.proposals.create(draft(), mail_for, NOW) is None
        assert len(store.proposals.outbox()) == 1
        assert store.proposals.by_gap(draft().gap_key) == created


def test_a_failing_render_leaves_neither_proposal_nor_email(tmp_path: Path) -> None:
    def broken(_: Proposal) -> NewMail:
        raise RuntimeError("render failed")

    with Store(tmp_path / "state.db") as store:
        with pytest.raises(RuntimeError):
            store.proposals.create(draft(), broken, NOW)
        assert store.proposals.all(include_closed=True) == []
        assert store.proposals.outbox() == []


def test_closing_an_unsent_proposal_cancels_its_email(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        created = store.proposals.create(draft(), mail_for, NOW)
        assert created is not None
        store.proposals.set_status(created.id, ProposalStatus.SUPERSEDED, NOW)
        assert [i.status for i in store.proposals.outbox()] == ["cancelled"]
        assert store.outbox.due(NOW) == []


@pytest.mark.parametrize("outcome", ["sent", "unconfirmed"])
def test_mail_handed_over_moves_the_proposal_to_sent(tmp_path: Path, outcome: str) -> None:
    with Store(tmp_path / "state.db") as store:
        created = store.proposals.create(draft(), mail_for, NOW)
        assert created is not None
        (item,) = store.outbox.due(NOW)
        assert store.outbox.claim(item.id, NOW)
        if outcome == "sent":
            store.outbox.record_sent(item.id, NOW)
        else:
            store.outbox.record_unconfirmed(item.id, "connection lost", NOW)
        assert store.proposals.get(created.id).status is ProposalStatus.SENT  # type: ignore[union-attr]
        assert [i.status for i in store.outbox.items()] == [outcome]


def test_an_unconfirmed_email_is_settled_by_its_message_id(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        created = store.proposals.create(draft(), mail_for, NOW)
        assert created is not None
        (item,) = store.outbox.due(NOW)
        store.outbox.claim(item.id, NOW)
        store.outbox.record_unconfirmed(item.id, "connection lost", NOW)
        assert not store.outbox.settle_delivered("<other@x>")
        assert store.outbox.settle_delivered(f"<{created.id}@x>")
        assert [i.status for i in store.outbox.items()] == ["sent"]
        # Only an unconfirmed email is settled: a second sighting changes nothing.
        assert not store.outbox.settle_delivered(f"<{created.id}@x>")
