"""Bookings in the engine: an accepted slot on a feed becomes a booking that counts as
the 1:1 it arranges, answers and changes of people update or withdraw it, and every
email about it goes out once. A feed file, emails into a Maildir, a Maildir inbox,
a real SQLite state; the clock pinned at Monday 23 November 2026, 09:00 Berlin."""

from __future__ import annotations

import email
import email.policy
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
from cadence.cli.bookings import booking_json
from cadence.daemon.config import load_config
from cadence.daemon.core.digest_render import digest_email
from cadence.daemon.core.model import Cadence, Person
from cadence.daemon.digest import build_digest
from cadence.daemon.engine import Engine

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.ical_check import calendar_parts, method_of, strict_calendar
from tests.support.people import ALICE, BERLIN, NEXT_WEEK, NOW, alice_series
from tests.support.replies import reply_fixture

BOB = "bob@example.com"


class World:
    """The owner's feed file, the engine at a settable time, the mail it sent and the
    inbox replies arrive in."""

    def __init__(
        self,
        tmp: Path,
        email_settings: dict[str, Any] | None = None,
        base_url: str | None = "https://wiki.example.com/1on1/",
    ) -> None:
        self.tmp = tmp
        self.now = NOW
        self.feed(alice_series(cancelled=[NEXT_WEEK]))
        settings: dict[str, Any] = {
            "from": "cadence@example.com",
            "inbox": {"transport": "maildir", "maildir": {"path": "inbox"}},
        }
        settings.update(email_settings or {})
        self.config = write_config(
            tmp,
            {
                "calendar": {"ics": {"url": "feed.ics"}},
                "agenda": {"directory": "agendas", "base_url": base_url},
                "email": settings,
            },
        )
        for sub in ("tmp", "new", "cur"):
            (tmp / "inbox" / sub).mkdir(parents=True, exist_ok=True)
        self.engine = self.fresh_engine()
        self.engine.add_person(Person(ALICE, "Alice Example", Cadence.parse("weekly"), day=1))
        self.replies = 0

    def fresh_engine(self) -> Engine:
        return Engine(load_config(self.config, env={}), clock=lambda: self.now)

    def feed(self, *events: list[str]) -> None:
        (self.tmp / "feed.ics").write_bytes(feeds.calendar(*events))

    def mails(self) -> list[EmailMessage]:
        found = []
        files = sorted((self.tmp / "mail" / "new").glob("*"), key=lambda p: p.stat().st_mtime_ns)
        for path in files:
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.mails()]

    def deliver(self, raw: bytes) -> None:
        self.replies += 1
        path = self.tmp / "inbox" / "new" / f"1795000000.M{self.replies}.mailhost"
        path.write_bytes(raw)
        os.utime(path, (self.now.timestamp(), self.now.timestamp()))

    def bookings(self, *, all: bool = True) -> list[dict[str, Any]]:
        zone = self.engine.config.owner.zone
        return [booking_json(b, zone) for b in self.engine.bookings(include_closed=all)]

    def proposals(self) -> list[Any]:
        return self.engine.proposals(include_closed=True)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    w.engine.sync()
    yield w
    w.engine.close()


def booked(world: World, slot: int = 1) -> dict[str, Any]:
    (proposal,) = world.engine.proposals()
    accepted = world.engine.accept(proposal.id, slot)
    assert accepted.how == "invited" and accepted.booking is not None
    (found,) = world.bookings()
    assert found["id"] == accepted.booking
    return found


def ics_of(message: EmailMessage) -> tuple[str, icalendar.Event]:
    ((method, text),) = calendar_parts(message)
    strict_calendar(text)
    assert method_of(text) == method
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    return method, event


# --- a booking ----------------------------------------------------------------------


def test_accepting_on_a_feed_records_a_booking_and_invites_both_sides(world: World) -> None:
    found = booked(world, 2)
    (proposal,) = world.proposals()
    slot = proposal.slots[1]
    assert found["status"] == "invited" and found["sequence"] == 0
    assert found["proposal"] == proposal.id and found["person"] == ALICE
    assert found["start"] == slot.start.astimezone(BERLIN).isoformat()
    assert found["recurrence"] is None
    assert found["uid"].startswith("cadence-") and found["uid"].endswith("@example.com")
    assert found["organizer"] == "cadence@example.com"
    invitation, copy = world.mails()[1:]
    assert invitation["To"] == "Alice Example <alice@example.com>"
    assert copy["To"] == "Olivia Owner <olivia@example.com>"
    for message in (invitation, copy):
        method, event = ics_of(message)
        assert method == "REQUEST"
        assert event["UID"] == found["uid"] and event["SEQUENCE"] == 0
        assert event["ORGANIZER"] == "mailto:cadence@example.com"
        assert event["URL"] == "https://wiki.example.com/1on1/alice-at-example.com.md"
    # Listed until it is answered; the engine counts it as the 1:1 of that week.
    assert [b["id"] for b in world.bookings(all=False)] == [found["id"]]
    report = world.engine.sync()
    assert report.gaps == 0 and report.proposals_created == 0


def test_the_installation_id_is_in_every_uid(tmp_path: Path) -> None:
    uids = []
    for name in ("one", "two"):
        place = tmp_path / name
        place.mkdir()
        w = World(place)
        w.engine.sync()
        uids.append(booked(w)["uid"])
        w.engine.close()
    assert uids[0] != uids[1]  # same proposal #1, two installations


def test_a_state_rebuilt_from_scratch_never_reuses_a_message_id(world: World) -> None:
    """The Maildir transport names files by Message-ID and takes a repeated one as
    delivered already: a new state must not collide with what the old one sent."""
    booked(world)
    before = {str(m["Message-ID"]) for m in world.mails()}
    world.engine.close()
    (world.tmp / "state.db").unlink()
    world.engine = world.fresh_engine()
    world.engine.add_person(Person(ALICE, "Alice Example", Cadence.parse("weekly"), day=1))
    world.engine.sync()
    booked(world)  # proposal #1 and booking #1 again
    after = world.mails()[len(before) :]
    assert [str(m["Subject"])[:12] for m in after] == ["1:1 with Ali", "Invitation: ",
                                                       "Invitation: "]  # fmt: skip
    assert not before & {str(m["Message-ID"]) for m in after}


def test_a_booked_time_is_never_offered_again(world: World) -> None:
    found = booked(world)
    start = datetime.fromisoformat(found["start"])
    # Bob's usual time is exactly the booked one.
    bob = Person(BOB, "Bob Builder", Cadence.parse("weekly"), day=start.weekday(),
                 time=start.astimezone(BERLIN).time().replace(second=0))  # fmt: skip
    world.engine.add_person(bob)
    world.engine.sync()
    (proposal,) = world.engine.proposals()
    assert proposal.person == BOB
    end = datetime.fromisoformat(found["end"])
    assert all(s.end <= start or s.start >= end for s in proposal.slots), proposal.slots


def test_the_report_counts_the_week_as_rescheduled_before_the_feed_shows_it(world: World) -> None:
    found = booked(world)
    world.now = datetime.fromisoformat(found["end"]) + timedelta(hours=1)
    report = world.engine.report(weeks=2)
    (alice,) = report.people
    cells = [o.cell.value for o in alice.outcomes]
    assert cells[-1] == "rescheduled", cells


# --- answers ------------------------------------------------------------------------


def test_the_person_s_answers_update_the_booking(world: World) -> None:
    found = booked(world)
    world.deliver(reply_fixture("apple_itip_reply_tentative.eml", UID=found["uid"]))
    world.engine.check_inbox()
    (now,) = world.bookings()
    assert now["status"] == "tentative" and now["person_answer"] == "tentative"
    world.deliver(reply_fixture("google_itip_reply_accepted.eml", UID=found["uid"]))
    acted = world.engine.check_inbox().acted
    assert [(a["action"], a["booking"]) for a in acted] == [("reply", found["id"])]
    (now,) = world.bookings()
    assert now["status"] == "accepted" and now["sequence"] == 0
    assert len(world.mails()) == 3  # nothing sent for an acceptance


def test_the_owner_s_own_answer_is_recorded(world: World) -> None:
    found = booked(world)
    world.deliver(reply_fixture("google_itip_reply_accepted.eml", UID=found["uid"],
                                ATTENDEE=feeds.OWNER))  # fmt: skip
    (acted,) = world.engine.check_inbox().acted
    assert acted["detail"] == "invitation reply: olivia@example.com accepted"
    (now,) = world.bookings()
    assert now["owner_answer"] == "accepted" and now["status"] == "invited"


def test_a_decline_cancels_the_owner_s_copy_and_brings_one_new_proposal(world: World) -> None:
    found = booked(world)
    world.deliver(reply_fixture("outlook_itip_reply_declined.eml", UID=found["uid"]))
    world.engine.check_inbox()
    (now,) = world.bookings()
    assert now["status"] == "declined" and now["sequence"] == 1
    assert world.bookings(all=False) == []
    cancel = world.mails()[-1]
    assert cancel["To"] == "Olivia Owner <olivia@example.com>"
    method, event = ics_of(cancel)
    assert method == "CANCEL" and event["SEQUENCE"] == 1 and event["UID"] == found["uid"]
    assert "Alice Example declined" in cancel.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    report = world.engine.sync()
    assert report.proposals_created == 1
    first, second = world.proposals()
    assert first.status.value == "accepted" and first.closed_reason.startswith(ALICE)
    assert second.reason.value == "declined" and second.status.value == "sent"
    assert second.cancelled_start == datetime.fromisoformat(found["start"])
    assert all(s.start != second.cancelled_start for s in second.slots)
    assert world.engine.sync().proposals_created == 0  # one proposal per gap, still


def test_stale_and_foreign_answers_change_nothing(world: World) -> None:
    found = booked(world)
    world.deliver(reply_fixture("outlook_itip_reply_declined.eml", UID=found["uid"],
                                ATTENDEE="mallory@example.net"))  # fmt: skip
    world.deliver(reply_fixture("google_itip_reply_accepted.eml", UID=found["uid"],
                                SEQUENCE="-1"))  # fmt: skip
    report = world.engine.check_inbox()
    assert report.acted == []
    whys = sorted(i["why"] for i in report.ignored)
    assert whys == [
        "invitation reply: answers an older version (SEQUENCE -1 < 0)",
        "invitation reply: mallory@example.net was not invited",
    ]
    (now,) = world.bookings()
    assert now["status"] == "invited"


# --- withdrawn ----------------------------------------------------------------------


def test_removing_the_person_cancels_the_booking(world: World) -> None:
    found = booked(world)
    world.engine.remove_person(ALICE)
    world.engine.sync()
    (now,) = world.bookings()
    assert now["status"] == "cancelled" and now["sequence"] == 1
    assert now["closed_reason"] == "alice@example.com was removed"
    person, owner = world.mails()[-2:]
    assert person["To"] == "Alice Example <alice@example.com>"
    assert owner["To"] == "Olivia Owner <olivia@example.com>"
    for message in (person, owner):
        method, event = ics_of(message)
        assert method == "CANCEL" and event["STATUS"] == "CANCELLED"
        assert event["UID"] == found["uid"] and event["SEQUENCE"] == 1
    assert "was removed" not in person.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    count = len(world.mails())
    world.engine.sync()
    assert len(world.mails()) == count  # withdrawn once


def test_the_original_meeting_restored_supersedes_the_booking(world: World) -> None:
    booked(world)
    world.feed(alice_series())
    world.engine.sync()
    (now,) = world.bookings()
    assert now["status"] == "cancelled"
    assert now["closed_reason"] == "the calendar filled the gap"
    assert world.subjects()[-1].startswith("Cancelled: 1:1 Alice Example / Olivia Owner")


def test_a_pause_over_the_meeting_cancels_it(world: World) -> None:
    booked(world)
    world.engine.pause(ALICE, None)
    world.engine.sync()
    (now,) = world.bookings()
    assert now["status"] == "cancelled" and now["closed_reason"] == "Alice Example was paused"


def recurring_world(tmp_path: Path) -> World:
    """Alice with no 1:1 at all: one no-series proposal, booked as a weekly series."""
    w = World(tmp_path)
    w.feed([])
    w.engine.sync()
    found = booked(w)
    assert found["recurrence"] == "FREQ=WEEKLY"
    return w


def test_a_recurring_booking_ends_with_an_until_when_its_person_is_removed(
    tmp_path: Path,
) -> None:
    world = recurring_world(tmp_path)
    (found,) = world.bookings()
    first = datetime.fromisoformat(found["start"])
    world.now = first + timedelta(days=8)  # one meeting held, the next ahead
    world.engine.remove_person(ALICE)
    world.engine.sync()
    (now,) = world.bookings()
    assert now["status"] == "invited" and now["sequence"] == 1
    assert now["ends"] == (first + timedelta(weeks=2)).isoformat()
    person, owner = world.mails()[-2:]
    for message in (person, owner):
        method, event = ics_of(message)
        assert method == "REQUEST" and event["SEQUENCE"] == 1
        assert event["RRULE"]["UNTIL"] == [(first + timedelta(weeks=2, seconds=-1))]
    assert person["Subject"].startswith("Updated invitation: 1:1 Alice Example")
    world.engine.sync()
    assert len(world.mails()) == 5  # proposal, invitation, copy, two updates: once


def test_a_recurring_booking_ends_when_the_person_s_settings_change(tmp_path: Path) -> None:
    world = recurring_world(tmp_path)
    world.engine.update_person(ALICE, cadence=Cadence.parse("biweekly"))
    world.engine.sync()
    (now, *_) = world.bookings()
    assert now["ends"] is not None
    assert now["closed_reason"] == "Alice Example's settings changed"


# --- who organizes ------------------------------------------------------------------


def test_without_an_address_of_its_own_the_owner_organizes_and_gets_a_publish(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, {"from": None, "inbox": None})
    world.engine.sync()
    found = booked(world)
    assert found["organizer"] == feeds.OWNER
    invitation, copy = world.mails()[1:]
    method, event = ics_of(invitation)
    assert method == "REQUEST" and event["ORGANIZER"] == f"mailto:{feeds.OWNER}"
    method, event = ics_of(copy)
    assert method == "PUBLISH" and "ATTENDEE" not in event
    assert copy["Subject"].startswith("For your calendar: 1:1 Alice Example")


def test_the_schema_keeps_bookings_in_their_own_table(world: World) -> None:
    booked(world)
    with closing(sqlite3.connect(world.tmp / "state.db")) as conn:
        rows = conn.execute("SELECT uid, status, organizer, settings FROM bookings").fetchall()
        keys = [r[0] for r in conn.execute("SELECT key FROM outbox ORDER BY id")]
    assert [(r[1], r[2], r[3]) for r in rows] == [("invited", "cadence@example.com",
                                                   "weekly|1|10:00|30")]  # fmt: skip
    assert keys[1:] == ["booking:1:0:request:person", "booking:1:0:request:owner"]
    assert json.dumps(world.bookings())  # the listing is JSON as it is


def test_without_a_web_address_nothing_sent_to_the_person_points_at_the_owner_s_disk(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, base_url=None)
    world.engine.sync()
    booked(world)
    proposal, invitation, copy = world.mails()
    assert "file://" in proposal.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for message in (invitation, copy):
        assert "file:" not in message.as_string()
        _, event = ics_of(message)
        assert "URL" not in event and "ATTACH" not in event


def test_the_digest_counts_nobody_overdue_right_after_the_invitation_went_out(
    tmp_path: Path,
) -> None:
    world = World(tmp_path)
    world.now = NEXT_WEEK - timedelta(days=1, hours=1)  # Monday 30 November, 09:00
    world.feed(alice_series(cancelled=[NEXT_WEEK - timedelta(weeks=1), NEXT_WEEK]))
    world.engine.sync()
    (alice,) = world.engine.report(weeks=2).people
    assert alice.at_risk and alice.overdue_days is not None  # last held 13 days ago
    booked(world)
    (alice,) = world.engine.report(weeks=2).people
    assert not alice.at_risk and alice.overdue_days is None
    digest = build_digest(world.engine.services(), world.now, "2026-W49")
    subject = digest_email(digest, sender="c@example.com", to=["o@example.com"],
                           message_id="<d@example.com>")["Subject"]  # fmt: skip
    assert "0 overdue" in subject and "1 1:1 ahead" in subject
    world.engine.close()


def test_the_calendar_taking_over_and_the_owner_calling_it_off(world: World) -> None:
    found = booked(world)
    start = datetime.fromisoformat(found["start"])
    title, both = "1:1 Alice Example / Olivia Owner", [feeds.OWNER, ALICE]
    copy = feeds.single(found["uid"], title, start, 30, attendees=both)
    # Her calendar shows the booking, moved by an hour: that is where it is now.
    moved = feeds.single(found["uid"], title, start + timedelta(hours=1), 30, attendees=both)
    world.feed(alice_series(cancelled=[NEXT_WEEK]), moved)
    assert world.engine.sync().proposals_created == 0
    (now,) = world.bookings()
    assert now["status"] == "invited"
    # She deletes her copy: the person's copy is cancelled too.
    world.feed(alice_series(cancelled=[NEXT_WEEK]), [*copy[:-1], "STATUS:CANCELLED", "END:VEVENT"])
    world.engine.sync()
    (now,) = world.bookings()
    assert now["status"] == "cancelled"
    assert now["closed_reason"] == "you called it off in your calendar"
    cancels = [m for m in world.mails() if str(m["Subject"]).startswith("Cancelled:")]
    assert sorted(m["To"].addresses[0].addr_spec for m in cancels) == [ALICE, feeds.OWNER]
