"""Who decides that an event is a 1:1: people only (a booked room, a projector or a
mailing list is not one), only meetings (not focus time, a working location, a
birthday or a booking Gmail found), and what of those blocks time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.core.busy import blocks_time, busy_intervals, worth_keeping
from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Cutype,
    EventType,
    Occurrence,
    Owner,
    Partstat,
    Person,
    Reason,
    Unit,
)
from cadence.daemon.core.reconcile import find_gaps, is_one_on_one
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia Owner", "olivia@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence(Unit.WEEK), anchor=date(2024, 1, 1))
NOW = datetime(2024, 5, 15, 9, tzinfo=BERLIN)
TUESDAY = datetime(2024, 5, 21, 10, tzinfo=BERLIN)
NOT_PEOPLE = (Cutype.ROOM, Cutype.RESOURCE, Cutype.GROUP)


def one_on_one(*extra: Attendee, start: datetime = TUESDAY) -> Occurrence:
    return Occurrence(
        uid="series-alice",
        start=start,
        end=start + timedelta(minutes=30),
        summary="Alice / Olivia",
        recurrence_id=start,
        organizer=OWNER.email,
        attendees=(
            Attendee(OWNER.email, Partstat.ACCEPTED),
            Attendee(ALICE.email, Partstat.ACCEPTED),
            *extra,
        ),
    )


things = st.lists(
    st.builds(
        Attendee,
        st.emails(),
        st.sampled_from(list(Partstat)),
        st.sampled_from(NOT_PEOPLE),
    ),
    max_size=4,
)


@given(things)
def test_rooms_resources_and_groups_never_change_whether_it_is_a_one_on_one(
    extra: list[Attendee],
) -> None:
    booked = one_on_one(*extra)
    assert is_one_on_one(booked, OWNER, ALICE)
    assert worth_keeping(booked, OWNER, [])
    assert booked.participants() == {OWNER.email, ALICE.email}


def test_a_weekly_one_on_one_with_a_room_leaves_no_gap() -> None:
    room = Attendee("c_188room@resource.calendar.google.com", Partstat.ACCEPTED, Cutype.ROOM)
    weeks = [one_on_one(room, start=TUESDAY + timedelta(weeks=n)) for n in range(-1, 4)]
    assert find_gaps(ALICE, OWNER, weeks, NOW, NOW + timedelta(weeks=3)) == []


def test_a_declined_room_is_not_a_declined_meeting() -> None:
    room = Attendee("room@example.com", Partstat.DECLINED, Cutype.ROOM)
    weeks = [one_on_one(room, start=TUESDAY + timedelta(weeks=n)) for n in range(-1, 4)]
    assert find_gaps(ALICE, OWNER, weeks, NOW, NOW + timedelta(weeks=3)) == []


def test_a_third_person_still_makes_it_no_one_on_one() -> None:
    bob = Attendee("bob@example.com", Partstat.ACCEPTED, Cutype.UNKNOWN)
    assert not is_one_on_one(one_on_one(bob), OWNER, ALICE)


@pytest.mark.parametrize("text", ["ROOM", "room", "Resource", "GROUP"])
def test_cutype_names_what_is_no_person(text: str) -> None:
    assert not Attendee("x@example.com", cutype=Cutype.parse(text)).is_person


@pytest.mark.parametrize("text", [None, "", "INDIVIDUAL", "X-PERSONA", "SOMETHING-NEW"])
def test_cutype_reads_anything_else_as_maybe_a_person(text: str | None) -> None:
    assert Attendee("x@example.com", cutype=Cutype.parse(text)).is_person


@pytest.mark.parametrize("kind", [k for k in EventType if k is not EventType.MEETING])
def test_only_a_meeting_can_be_a_one_on_one(kind: EventType) -> None:
    # "Prep 1:1 Alice" as focus time names her and carries the marker: still no 1:1.
    prep = Occurrence(
        uid="prep", start=TUESDAY, end=TUESDAY + timedelta(hours=1), summary="Prep 1:1 Alice"
    )
    assert is_one_on_one(prep, OWNER, ALICE)
    for occurrence in (replace(prep, event_type=kind), replace(one_on_one(), event_type=kind)):
        assert not is_one_on_one(occurrence, OWNER, ALICE)
        assert not worth_keeping(occurrence, OWNER, [ALICE])


def test_out_of_office_and_focus_time_block_time_working_location_and_birthdays_never() -> None:
    entry = Occurrence(uid="x", start=TUESDAY, end=TUESDAY + timedelta(hours=8))
    blocking = {k for k in EventType if blocks_time(replace(entry, event_type=k), None)}
    assert blocking == {
        EventType.MEETING,
        EventType.OUT_OF_OFFICE,
        EventType.FOCUS_TIME,
        EventType.FROM_GMAIL,
    }
    home = replace(entry, event_type=EventType.WORKING_LOCATION)
    assert busy_intervals([home], None) == []


def test_reasons_still_come_from_people_when_a_room_is_booked() -> None:
    room = Attendee("room@example.com", Partstat.ACCEPTED, Cutype.ROOM)
    declined = one_on_one(room)
    declined = replace(
        declined,
        attendees=(
            Attendee(OWNER.email, Partstat.ACCEPTED),
            Attendee(ALICE.email, Partstat.DECLINED),
            room,
        ),
    )
    weeks = [one_on_one(room, start=TUESDAY + timedelta(weeks=n)) for n in (-1, 1, 2, 3)]
    (gap,) = find_gaps(ALICE, OWNER, [declined, *weeks], NOW, NOW + timedelta(weeks=3))
    assert gap.reason is Reason.DECLINED
