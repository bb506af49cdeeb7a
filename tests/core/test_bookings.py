"""Bookings as 1:1s: their meetings, the calendar view they join, and when a plan
withdraws or ends them (pure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from cadence.daemon.core.bookings import BookingStatus, calendar_view, said_by_a_decline
from cadence.daemon.core.closing import FILLED, booking_actions
from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Occurrence,
    Partstat,
    Period,
    Person,
    Status,
)
from cadence.daemon.core.reconcile import find_gaps, is_live, one_on_ones
from cadence.daemon.core.series import rrule, settings_of
from hypothesis import given
from hypothesis import strategies as st

from tests.support.bookings import BERLIN, CADENCE, END, OWNER, START, UID, booking, weekly

ALICE = Person(
    "alice@example.com", "Alice Example", Cadence.parse("weekly"), day=1,
    anchor=date(2026, 10, 5),
)  # fmt: skip
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
WEEK = Period(datetime(2026, 11, 23, tzinfo=BERLIN), datetime(2026, 11, 30, tzinfo=BERLIN))
SINCE, UNTIL = NOW - timedelta(days=60), NOW + timedelta(days=120)


def series(cancelled: date | None = None) -> list[Occurrence]:
    """Alice's weekly Tuesday 1:1 in the owner's feed, October to December."""
    found = []
    day = datetime(2026, 10, 6, 10, 0, tzinfo=BERLIN)
    while day < datetime(2026, 12, 31, tzinfo=BERLIN):
        status = Status.CANCELLED if cancelled == day.date() else Status.CONFIRMED
        found.append(
            Occurrence(
                uid="alice-series@google.com",
                start=day,
                end=day + timedelta(minutes=30),
                recurrence_id=day,
                status=status,
                organizer=OWNER.email,
                attendees=(Attendee(OWNER.email), Attendee(ALICE.email)),
            )
        )
        day += timedelta(weeks=1)
    return found


def view(feed: list[Occurrence], *bookings: object) -> list[Occurrence]:
    return calendar_view(feed, list(bookings), OWNER, SINCE, UNTIL)  # type: ignore[arg-type]


# --- a booking is a 1:1 ------------------------------------------------------------


def test_an_invited_booking_fills_the_gap_it_answers() -> None:
    feed = series(cancelled=date(2026, 11, 24))
    gaps = find_gaps(ALICE, OWNER, feed, NOW, NOW + timedelta(weeks=3))
    assert [g.period.start.date() for g in gaps] == [date(2026, 11, 23)]
    assert find_gaps(ALICE, OWNER, view(feed, booking()), NOW, NOW + timedelta(weeks=3)) == []


def test_its_meeting_is_the_owner_s_1_1_with_the_person() -> None:
    (meeting,) = booking().occurrences(OWNER, SINCE, UNTIL)
    assert meeting.uid == UID and (meeting.start, meeting.end) == (START, END)
    assert meeting.person == ALICE.email and meeting.organizer == OWNER.email
    assert one_on_ones(ALICE, OWNER, [meeting]) == [meeting]
    assert is_live(meeting, OWNER, ALICE)


def test_a_declined_booking_is_a_declined_1_1_and_a_cancelled_one_is_none() -> None:
    feed = series(cancelled=date(2026, 11, 24))
    declined = booking(status=BookingStatus.DECLINED, person_partstat=Partstat.DECLINED)
    (meeting,) = declined.occurrences(OWNER, SINCE, UNTIL)
    assert not is_live(meeting, OWNER, ALICE)
    (gap,) = find_gaps(ALICE, OWNER, view(feed, declined), NOW, NOW + timedelta(weeks=1))
    assert gap.reason.value == "cancelled"  # the series' own cancellation says it first
    assert booking(status=BookingStatus.CANCELLED).occurrences(OWNER, SINCE, UNTIL) == []


def test_a_gap_whose_booking_was_declined_is_said_to_be_that_decline() -> None:
    feed = series(cancelled=date(2026, 11, 24))
    declined = booking(status=BookingStatus.DECLINED, person_partstat=Partstat.DECLINED)
    found = view(feed, declined)
    (gap,) = find_gaps(ALICE, OWNER, found, NOW, NOW + timedelta(weeks=1))
    said = said_by_a_decline(gap, found, [declined], OWNER, ALICE)
    assert said.reason.value == "declined" and said.key == gap.key
    assert said.occurrence is not None and said.occurrence.start == START
    assert said_by_a_decline(gap, feed, [declined], OWNER, ALICE) == gap


def test_the_owner_declining_her_copy_is_a_decline_too() -> None:
    (meeting,) = booking(owner_partstat=Partstat.DECLINED).occurrences(OWNER, SINCE, UNTIL)
    assert not is_live(meeting, OWNER, ALICE)


# --- the calendar takes over ------------------------------------------------------


def copy_in_feed(**changes: object) -> Occurrence:
    """The booking as the owner's calendar shows it once she accepted her copy:
    organized by cadence's address, with no marker of cadence's."""
    base = Occurrence(
        uid=UID,
        start=START,
        end=END,
        summary="1:1 Alice Example / Olivia Owner",
        organizer=CADENCE,
        attendees=(
            Attendee(OWNER.email, Partstat.ACCEPTED),
            Attendee(ALICE.email, Partstat.NEEDS_ACTION),
        ),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_once_the_calendar_shows_the_uid_it_is_the_calendar_s() -> None:
    found = view([copy_in_feed(start=START + timedelta(hours=1))], booking())
    (meeting,) = found
    assert meeting.start == START + timedelta(hours=1)  # the calendar's time wins
    # Recognised by its UID: cadence's own address is no participant of the 1:1.
    assert meeting.organizer == OWNER.email and meeting.person == ALICE.email
    assert one_on_ones(ALICE, OWNER, found) == [meeting]
    assert meeting.attendees[0].partstat is Partstat.ACCEPTED


def test_what_cadence_heard_is_laid_over_the_calendar_s_copy() -> None:
    declined = booking(status=BookingStatus.DECLINED, person_partstat=Partstat.DECLINED)
    (meeting,) = view([copy_in_feed()], declined)
    assert meeting.declined_by(ALICE.email)
    accepted = booking(status=BookingStatus.ACCEPTED, person_partstat=Partstat.ACCEPTED)
    (meeting,) = view([copy_in_feed()], accepted)
    assert meeting.attendees[1].partstat is Partstat.ACCEPTED
    # The calendar saying otherwise wins over an older answer.
    (meeting,) = view([copy_in_feed(status=Status.CANCELLED)], accepted)
    assert meeting.status is Status.CANCELLED
    assert view([copy_in_feed()], booking(status=BookingStatus.CANCELLED)) == []


# --- recurring bookings -----------------------------------------------------------


def test_a_recurring_booking_keeps_its_wall_clock_and_ends_before_its_cut() -> None:
    starts = weekly().starts(datetime(2026, 5, 1, tzinfo=BERLIN))
    assert all(s.astimezone(BERLIN).hour == 10 for s in starts)
    assert {s.utcoffset() for s in starts} == {timedelta(hours=1), timedelta(hours=2)}
    cut = datetime(2026, 4, 14, 10, tzinfo=BERLIN)
    ended = weekly(ends=cut)
    assert ended.starts(datetime(2027, 1, 1, tzinfo=BERLIN))[-1] == cut - timedelta(weeks=1)
    assert ended.next_start(cut - timedelta(hours=1)) is None
    assert weekly().next_start(cut - timedelta(hours=1)) == cut


def test_a_declined_meeting_of_a_series_leaves_its_week_without_a_1_1() -> None:
    start = datetime(2026, 11, 24, 10, tzinfo=BERLIN)
    second = start + timedelta(weeks=1)
    recurring = weekly(start=start, end=start + timedelta(minutes=30), declined=(second,))
    found = view([], recurring)
    gaps = find_gaps(ALICE, OWNER, found, NOW, NOW + timedelta(weeks=3))
    assert [(g.period.start.date(), g.reason.value) for g in gaps] == [
        (date(2026, 11, 30), "declined")
    ]


@given(
    weeks=st.integers(1, 60),
    hour=st.integers(7, 18),
    cut_days=st.integers(0, 500),
    every=st.sampled_from(["weekly", "biweekly", "monthly", "quarterly"]),
)
def test_a_series_never_meets_from_its_cut_on(
    weeks: int, hour: int, cut_days: int, every: str
) -> None:
    start = datetime(2026, 1, 13, hour, tzinfo=BERLIN) + timedelta(weeks=weeks)
    parts = rrule(Cadence.parse(every), start)
    rule = ";".join(f"{k}={v}" for k, v in parts.items())
    cut = start + timedelta(days=cut_days)
    recurring = weekly(start=start, end=start + timedelta(minutes=45), recurrence=rule, ends=cut)
    starts = recurring.starts(cut + timedelta(days=800))
    assert starts[:1] == ([start] if cut > start else [])
    assert all(s.astimezone(UTC) < cut.astimezone(UTC) for s in starts)
    assert all(s.astimezone(BERLIN).hour == hour for s in starts)
    meetings = recurring.occurrences(OWNER, start - timedelta(days=1), cut + timedelta(days=900))
    assert [m.start for m in meetings] == starts
    assert all(m.end - m.start == timedelta(minutes=45) for m in meetings)


@given(
    shown=st.booleans(),
    status=st.sampled_from(BookingStatus),
    moved=st.integers(-3, 3),
)
def test_a_booking_is_counted_once_whatever_the_calendar_shows(
    shown: bool, status: BookingStatus, moved: int
) -> None:
    feed = series() + ([copy_in_feed(start=START + timedelta(hours=moved))] if shown else [])
    found = view(feed, booking(status=status))
    mine = [o for o in found if o.uid == UID]
    if status is BookingStatus.CANCELLED:
        assert mine == []
    else:
        assert len(mine) == 1
        assert mine[0].start == (START + timedelta(hours=moved) if shown else START)
    assert [o for o in found if o.uid != UID] == series()


# --- withdrawn, ended -------------------------------------------------------------


def actions(bookings: list[object], people: list[Person], feed: list[Occurrence]) -> list[str]:
    found = booking_actions(
        bookings,  # type: ignore[arg-type]
        {p.email: p for p in people},
        view(feed, *bookings),
        OWNER,
        NOW,
    )
    return [f"{a.kind} {a.detail}" for a in found]


def standing() -> object:
    return booking(period=WEEK, settings=settings_of(ALICE))


def test_a_booking_that_still_applies_is_left_alone() -> None:
    assert actions([standing()], [ALICE], series(cancelled=date(2026, 11, 24))) == []


def test_the_original_meeting_back_supersedes_the_booking() -> None:
    (found,) = actions([standing()], [ALICE], series())
    assert found == f"cancel-booking #7 (Wed 25 Nov 10:00): {FILLED}"


def test_a_removed_or_paused_person_s_booking_is_withdrawn() -> None:
    feed = series(cancelled=date(2026, 11, 24))
    (removed,) = actions([standing()], [], feed)
    assert removed == "cancel-booking #7 (Wed 25 Nov 10:00): alice@example.com was removed"
    paused = dataclasses.replace(ALICE, paused=True, paused_until=date(2026, 12, 7))
    (held,) = actions([standing()], [paused], feed)
    assert held == "cancel-booking #7 (Wed 25 Nov 10:00): Alice Example was paused until 2026-12-07"
    after = dataclasses.replace(ALICE, paused=True, paused_until=date(2026, 11, 25))
    assert actions([standing()], [after], feed) == []  # back by the day of the meeting


def test_a_past_or_closed_booking_is_never_withdrawn() -> None:
    past = booking(start=NOW - timedelta(days=1), end=NOW - timedelta(hours=23), period=WEEK)
    assert actions([past], [], []) == []
    for status in (BookingStatus.DECLINED, BookingStatus.CANCELLED):
        assert actions([booking(status=status, period=WEEK)], [], []) == []


def test_a_series_ends_when_its_person_is_removed_or_their_settings_change() -> None:
    start = datetime(2026, 11, 10, 10, tzinfo=BERLIN)
    recurring = weekly(start=start, end=start + timedelta(minutes=30),
                       settings=settings_of(ALICE))  # fmt: skip
    assert actions([recurring], [ALICE], []) == []
    (removed,) = booking_actions([recurring], {}, [], OWNER, NOW)
    assert removed.kind == "end-booking"
    assert removed.cut == datetime(2026, 11, 24, 10, tzinfo=BERLIN)  # the next meeting
    assert removed.detail.endswith("ends before Tue 24 Nov 10:00: alice@example.com was removed")
    later = dataclasses.replace(ALICE, time=ALICE.time.replace(hour=11))
    (changed,) = actions([recurring], [later], [])
    assert changed.endswith("Alice Example's settings changed")
    # A pause holds proposals, not a series (as with a series in a writable calendar).
    paused = dataclasses.replace(ALICE, paused=True)
    assert actions([recurring], [paused], []) == []
    ended = dataclasses.replace(recurring, ends=removed.cut)
    assert actions([ended], [], []) == []


def test_the_owner_calling_it_off_in_her_calendar_cancels_the_person_s_copy() -> None:
    feed = series(cancelled=date(2026, 11, 24))
    for gone in (Status.CANCELLED, Status.DELETED):
        (found,) = actions([standing()], [ALICE], [*feed, copy_in_feed(status=gone)])
        assert found == "cancel-booking #7 (Wed 25 Nov 10:00): you called it off in your calendar"
    declined = copy_in_feed(attendees=(Attendee(OWNER.email, Partstat.DECLINED),
                                       Attendee(ALICE.email)))  # fmt: skip
    assert len(actions([standing()], [ALICE], [*feed, declined])) == 1
    assert actions([standing()], [ALICE], [*feed, copy_in_feed()]) == []
