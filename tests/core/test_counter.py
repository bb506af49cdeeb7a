"""Asking the organizer to move a 1:1 the owner does not organize: the email says it in
words, and carries a COUNTER (RFC 5546 §3.2.7) only for a calendar that acts on one;
the COUNTER is read back by an independent strict parser."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from cadence.daemon.core.counter import OrganizersEvent, move_request_email, organized_by_owner
from cadence.daemon.core.model import Cadence, Occurrence, Owner, Person, Slot
from hypothesis import given
from hypothesis import strategies as st

from tests.support.ical_check import calendar_parts, method_of, strict_calendar

OWNER = Owner("Olivia Owner", "olivia@example.com", "Europe/Berlin")
MANAGER = Person("mia@example.com", "Mia Manager", Cadence.parse("monthly"))
WAS = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OUTLOOK_UID = "040000008200E00074C5B7101A82E00800000000F1E2D3C4B5A69788@outlook.example"
STAMP = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def event(uid: str = OUTLOOK_UID, sequence: int | None = 2) -> OrganizersEvent:
    return OrganizersEvent(
        uid, MANAGER.email, WAS, WAS + timedelta(minutes=30), recurrence_id=WAS, sequence=sequence
    )


def email_for(found: OrganizersEvent, slot: Slot) -> EmailMessage:
    message = move_request_email(
        found,
        slot,
        MANAGER,
        OWNER,
        sender="cadence@example.com",
        message_id="<x@example.com>",
        agenda_url="https://wiki.example.com/1on1/mia.md",
        stamp=STAMP,
    )
    parsed = message_from_bytes(bytes(message), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


SLOT = Slot(datetime(2026, 12, 2, 13, 0, tzinfo=UTC), datetime(2026, 12, 2, 13, 30, tzinfo=UTC))


def test_a_counter_names_the_organizers_meeting_at_the_new_time() -> None:
    message = email_for(event(), SLOT)
    assert message["To"] == MANAGER.email
    assert message["Cc"].addresses[0].addr_spec == OWNER.email
    assert message["Reply-To"].addresses[0].addr_spec == OWNER.email
    ((method, text),) = calendar_parts(message)
    assert method == "COUNTER" and method_of(text) == "COUNTER"
    (vevent,) = strict_calendar(text).events
    assert vevent.uid == OUTLOOK_UID
    assert vevent.recurrence_id == "20261201T090000Z"
    assert vevent.sequence == 2
    assert (vevent.dtstart, vevent.dtend) == (SLOT.start, SLOT.end)
    assert vevent.organizer is not None and vevent.organizer.uri == f"mailto:{MANAGER.email}"
    assert [a.uri for a in vevent.attendees] == [f"mailto:{OWNER.email}"]
    words = message.get_body(("plain",))
    assert words is not None
    body = words.get_content()
    asked = "asks to move our 1:1 of Tue 01 Dec 2026 at 10:00 to Wed 02 Dec 2026, 14:00–14:30"
    assert asked in body
    assert "only you can move it" in body and "https://wiki.example.com/1on1/mia.md" in body


def test_a_google_organizer_gets_the_request_in_words_alone() -> None:
    message = email_for(event(uid="abc123def456@google.com"), SLOT)
    assert calendar_parts(message) == []
    words = message.get_body(("plain",))
    assert words is not None and "please move the meeting in your calendar" in words.get_content()


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=15, max_value=120),
    st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
)
def test_every_counter_is_valid_and_at_the_slot(
    start: datetime, minutes: int, sequence: int | None
) -> None:
    slot = Slot(start, start + timedelta(minutes=minutes))
    ((_, text),) = calendar_parts(email_for(event(sequence=sequence), slot))
    (vevent,) = strict_calendar(text).events
    assert (vevent.dtstart, vevent.dtend) == (
        slot.start.replace(microsecond=0),
        slot.end.replace(microsecond=0),
    )
    assert vevent.sequence == (sequence or None)  # a zero SEQUENCE may be left out


def test_who_organizes() -> None:
    mine = Occurrence(uid="a", start=WAS, end=WAS + timedelta(minutes=30))
    assert organized_by_owner(mine, OWNER)
    assert organized_by_owner(replace(mine, organizer="OLIVIA@example.com"), OWNER)
    assert not organized_by_owner(replace(mine, organizer=MANAGER.email), OWNER)
