"""The adherence report's core: which period held a 1:1, and the figures drawn from them.

The owner is in Berlin; "now" is Wednesday 18 November 2026 at 12:00, so the
current week is the one of Monday 16 November and the Tuesday 1:1 of that
week is already over.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Occurrence,
    Person,
    Status,
    Unit,
)
from cadence.daemon.core.report import (
    Adherence,
    Cell,
    Pause,
    Tracked,
    adherence,
    build_report,
    pause_span,
    report_weeks,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.support.adherence import (
    ALICE,
    BERLIN,
    HISTORY_START,
    NOW,
    OWNER,
    meeting,
    tuesday,
    weekly,
)

LONG_AGO = datetime(2026, 1, 1, tzinfo=BERLIN)


def tracked(
    person: Person = ALICE, added: datetime = LONG_AGO, pauses: tuple[Pause, ...] = ()
) -> Tracked:
    return Tracked(person, added, pauses)


def report_of(
    occurrences: list[Occurrence],
    who: Tracked | None = None,
    *,
    now: datetime = NOW,
    weeks: int = 8,
) -> Adherence:
    return adherence(
        who or tracked(), OWNER, occurrences, now, report_weeks(now, weeks, BERLIN), HISTORY_START
    )


def cells(
    occurrences: list[Occurrence], who: Tracked | None = None, *, weeks: int = 8
) -> list[Cell]:
    return [o.cell for o in report_of(occurrences, who, weeks=weeks).outcomes]


# -- what counts as held -----------------------------------------------------------


def test_every_week_held_gives_a_full_strip_and_streak() -> None:
    entry = adherence(tracked(), OWNER, weekly(8), NOW, report_weeks(NOW, 8, BERLIN), HISTORY_START)
    assert [o.cell for o in entry.outcomes] == [Cell.HELD] * 8
    assert (entry.periods, entry.held, entry.missed, entry.rescheduled) == (8, 8, 0, 0)
    assert entry.streak == 8 and not entry.at_risk and entry.overdue_days is None
    assert entry.last_held == tuesday(0)


def test_a_meeting_still_running_or_ahead_is_not_held_yet() -> None:
    now = tuesday(0, hour=10) + timedelta(minutes=10)  # the 1:1 is running
    entry = report_of(weekly(3), now=now, weeks=3)
    assert [o.cell for o in entry.outcomes] == [Cell.HELD, Cell.HELD, Cell.UPCOMING]
    assert not entry.at_risk  # it is taking place


def test_a_move_within_the_week_is_a_reschedule() -> None:
    thursday = tuesday(2) + timedelta(days=2, hours=5)
    entry = report_of(weekly(4, w2=meeting(thursday, original=tuesday(2))), weeks=4)
    assert [o.cell for o in entry.outcomes] == [
        Cell.HELD,
        Cell.RESCHEDULED,
        Cell.HELD,
        Cell.HELD,
    ]
    assert (entry.held, entry.rescheduled, entry.cancelled, entry.missed) == (4, 1, 0, 0)
    assert entry.outcomes[1].held_at == thursday


def test_a_cancelled_instance_made_up_by_a_single_event_is_a_reschedule() -> None:
    made_up = meeting(tuesday(1) + timedelta(days=1), uid="cadence-proposal-1", series=False)
    history = [*weekly(3, w1=meeting(tuesday(1), status=Status.CANCELLED)), made_up]
    entry = report_of(history, weeks=3)
    assert [o.cell for o in entry.outcomes] == [Cell.HELD, Cell.RESCHEDULED, Cell.HELD]
    assert (entry.held, entry.rescheduled, entry.cancelled) == (3, 1, 1)


@pytest.mark.parametrize(
    "lost",
    [
        meeting(tuesday(1), status=Status.CANCELLED),
        meeting(tuesday(1), status=Status.DELETED),
        meeting(tuesday(1), declined_by=ALICE.email),
        meeting(tuesday(1), declined_by=OWNER.email),
    ],
    ids=["cancelled", "deleted", "declined-by-them", "declined-by-the-owner"],
)
def test_a_lost_instance_not_made_up_is_a_miss_and_breaks_the_streak(lost: Occurrence) -> None:
    entry = report_of(weekly(4, w1=lost), weeks=4)
    assert [o.cell for o in entry.outcomes] == [
        Cell.HELD,
        Cell.HELD,
        Cell.MISSED,
        Cell.HELD,
    ]
    assert (entry.missed, entry.cancelled, entry.streak) == (1, 1, 1)


def test_a_move_into_the_next_week_leaves_the_first_week_missed() -> None:
    moved = meeting(tuesday(2) + timedelta(days=7, hours=3), original=tuesday(2))
    entry = report_of(weekly(4, w2=moved), weeks=4)
    assert [o.cell for o in entry.outcomes] == [
        Cell.HELD,
        Cell.MISSED,
        Cell.HELD,  # its own instance was held as planned, the moved one on top
        Cell.HELD,
    ]
    assert entry.cancelled == 0


def test_a_week_without_any_1on1_is_missed() -> None:
    history = [o for o in weekly(5) if o.start != tuesday(3)]
    assert cells(history, weeks=5) == [Cell.HELD, Cell.MISSED, Cell.HELD, Cell.HELD, Cell.HELD]


# -- the current period --------------------------------------------------------


def test_the_current_week_at_risk_says_how_many_days_overdue() -> None:
    history = weekly(3, w0=meeting(tuesday(0), status=Status.CANCELLED))
    entry = report_of(history, weeks=3)
    assert entry.outcomes[-1].cell is Cell.UPCOMING
    assert entry.at_risk
    # Last held Tue 10 Nov; a week later it was due; now is Wed 18 Nov.
    assert entry.overdue_days == 1
    assert (entry.periods, entry.held, entry.upcoming, entry.missed) == (3, 2, 1, 0)
    assert entry.streak == 2  # the open week breaks nothing yet


def test_the_current_week_with_a_1on1_ahead_is_upcoming_and_not_at_risk() -> None:
    now = datetime(2026, 11, 16, 9, tzinfo=BERLIN)  # Monday, the Tuesday 1:1 ahead
    entry = report_of(weekly(3), now=now, weeks=3)
    assert entry.outcomes[-1].cell is Cell.UPCOMING and not entry.at_risk


# -- pauses ----------------------------------------------------------------------


def test_paused_weeks_count_for_nothing_and_keep_the_streak() -> None:
    # Paused from Wednesday four weeks ago, back on Monday 9 November (a week ago).
    pause = pause_span(tuesday(4) + timedelta(days=1), date(2026, 11, 9), None, BERLIN)
    history = [o for o in weekly(6) if o.start not in (tuesday(3), tuesday(2))]
    entry = report_of(history, tracked(pauses=(pause,)), weeks=6)
    assert [o.cell for o in entry.outcomes] == [
        Cell.HELD,
        Cell.HELD,  # held on Tuesday, before the pause began on Wednesday
        Cell.PAUSED,
        Cell.PAUSED,
        Cell.HELD,
        Cell.HELD,
    ]
    assert (entry.periods, entry.held, entry.paused, entry.missed) == (4, 4, 2, 0)
    assert entry.streak == 4


def test_a_person_back_mid_week_still_owed_a_1on1_that_week() -> None:
    # Resumed on Wednesday three weeks ago, no 1:1 that week: the daemon proposed one.
    pause = Pause(tuesday(5), tuesday(3) + timedelta(days=1))
    history = [o for o in weekly(6) if o.start not in (tuesday(5), tuesday(4), tuesday(3))]
    assert cells(history, tracked(pauses=(pause,)), weeks=6) == [
        Cell.PAUSED,
        Cell.PAUSED,
        Cell.MISSED,
        Cell.HELD,
        Cell.HELD,
        Cell.HELD,
    ]


def test_a_person_paused_now_is_paused_not_at_risk() -> None:
    pause = pause_span(tuesday(1), None, None, BERLIN)
    history = weekly(3)[:2]  # the pause began right as last week's 1:1 did: still held
    entry = report_of(history, tracked(pauses=(pause,)), weeks=3)
    assert [o.cell for o in entry.outcomes] == [Cell.HELD, Cell.HELD, Cell.PAUSED]
    assert not entry.at_risk


def test_pause_span_ends_at_the_earlier_of_its_date_and_its_end() -> None:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    back = datetime(2026, 11, 9, tzinfo=BERLIN)
    assert pause_span(start, date(2026, 11, 9), None, BERLIN) == Pause(start, back)
    resumed = datetime(2026, 11, 5, 8, tzinfo=UTC)
    assert pause_span(start, date(2026, 11, 9), resumed, BERLIN) == Pause(start, resumed)
    # A date already past when paused makes an empty pause, not a negative one.
    assert pause_span(start, date(2026, 10, 1), None, BERLIN).covers(start) is False


# -- people added mid-range ----------------------------------------------------------


def test_weeks_before_a_new_person_with_no_history_are_untracked() -> None:
    added = datetime(2026, 11, 4, 15, tzinfo=BERLIN)  # Wednesday two weeks ago
    history = [meeting(tuesday(1)), meeting(tuesday(0))]
    entry = report_of(history, tracked(added=added), weeks=5)
    assert [o.cell for o in entry.outcomes] == [
        Cell.UNTRACKED,
        Cell.UNTRACKED,
        Cell.UNTRACKED,  # added mid-week, nothing held: given the benefit of the doubt
        Cell.HELD,
        Cell.HELD,
    ]
    assert (entry.periods, entry.held, entry.missed, entry.streak) == (2, 2, 0, 2)


def test_a_new_person_with_earlier_1on1s_in_the_calendar_is_tracked_from_the_first() -> None:
    added = NOW - timedelta(hours=1)
    history = weekly(3, w1=meeting(tuesday(1), status=Status.CANCELLED))
    assert cells(history, tracked(added=added), weeks=5) == [
        Cell.UNTRACKED,
        Cell.UNTRACKED,
        Cell.HELD,
        Cell.MISSED,
        Cell.HELD,
    ]


# -- other cadences, DST weeks, order --------------------------------------------------


def test_a_biweekly_period_spans_two_week_columns() -> None:
    bob = Person("bob@example.com", "Bob", Cadence(Unit.WEEK, 2), anchor=date(2026, 11, 16))
    history = [
        replace(meeting(tuesday(n)), attendees=(Attendee(OWNER.email), Attendee(bob.email)))
        for n in (6, 4, 2, 0)
    ]
    entry = report_of(history, tracked(bob, added=NOW - timedelta(hours=1)), weeks=8)
    assert entry.spans == (1, 2, 2, 2, 1)
    assert [o.cell for o in entry.outcomes] == [
        Cell.UNTRACKED,
        Cell.HELD,
        Cell.HELD,
        Cell.HELD,
        Cell.HELD,
    ]


def test_a_month_takes_the_weeks_whose_thursday_it_holds() -> None:
    carol = Person("carol@example.com", "Carol", Cadence(Unit.MONTH), anchor=date(2026, 1, 5))
    history = [
        replace(meeting(day), attendees=(Attendee(OWNER.email), Attendee(carol.email)))
        for day in (
            datetime(2026, 9, 30, 10, tzinfo=BERLIN),
            datetime(2026, 11, 3, 10, tzinfo=BERLIN),
        )
    ]
    entry = report_of(history, tracked(carol), weeks=10)  # from Mon 14 Sep
    months = [o.period.start.astimezone(BERLIN).month for o in entry.outcomes]
    assert months == [9, 10, 11]
    assert entry.spans == (2, 5, 3)  # the week of 28 Sep is October's: Thursday is 1 Oct
    assert [o.cell for o in entry.outcomes] == [Cell.HELD, Cell.MISSED, Cell.HELD]


@pytest.mark.parametrize(
    ("first", "now"),
    [
        (datetime(2027, 3, 1, 0, 15, tzinfo=BERLIN), datetime(2027, 4, 7, 12, tzinfo=BERLIN)),
        (datetime(2027, 10, 4, 0, 15, tzinfo=BERLIN), datetime(2027, 11, 10, 12, tzinfo=BERLIN)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_dst_weeks_keep_each_1on1_in_its_own_week(first: datetime, now: datetime) -> None:
    # Mondays at 00:15 local: in UTC that is still Sunday, the week before.
    history = [
        meeting(datetime.combine(first.date() + timedelta(weeks=n), time(0, 15), tzinfo=BERLIN))
        for n in range(6)
    ]
    entry = report_of(history, now=now, weeks=6)
    assert [o.cell for o in entry.outcomes] == [Cell.HELD] * 6
    assert entry.spans == (1,) * 6
    hours = {o.period.duration for o in entry.outcomes}
    assert len(hours) == 2  # one week of 167 or 169 hours among the 168-hour ones


def test_build_report_puts_the_most_at_risk_first() -> None:
    bob = Person("bob@example.com", "Bob Builder", Cadence(Unit.WEEK), anchor=date(2026, 1, 5))
    bobs = [
        replace(
            meeting(tuesday(n), uid="bob"), attendees=(Attendee(OWNER.email), Attendee(bob.email))
        )
        for n in range(4)
    ]
    alices = weekly(4, w0=meeting(tuesday(0), status=Status.CANCELLED))
    report = build_report([tracked(bob), tracked()], OWNER, [*bobs, *alices], NOW, 4, HISTORY_START)
    assert [e.person.email for e in report.people] == [ALICE.email, bob.email]
    assert report.weeks == tuple(date(2026, 10, 26) + timedelta(weeks=n) for n in range(4))


def test_zero_weeks_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one week"):
        report_weeks(NOW, 0, BERLIN)


# -- properties ------------------------------------------------------------------------

CADENCES = [Cadence(Unit.WEEK), Cadence(Unit.WEEK, 2), Cadence(Unit.WEEK, 3),
            Cadence(Unit.MONTH), Cadence(Unit.QUARTER)]  # fmt: skip


@st.composite
def histories(draw: st.DrawFn) -> tuple[Tracked, list[Occurrence], datetime, int]:
    cadence = draw(st.sampled_from(CADENCES))
    person = replace(
        ALICE, cadence=cadence, anchor=date(2026, 1, 5) + timedelta(weeks=draw(st.integers(0, 40)))
    )
    now = NOW + timedelta(hours=draw(st.integers(-24 * 30, 24 * 30)))
    occurrences = []
    for n in range(draw(st.integers(0, 30))):
        start = tuesday(n) + timedelta(hours=draw(st.integers(-60, 60)))
        fate = draw(st.sampled_from(["held", "cancelled", "deleted", "declined", "moved"]))
        if fate == "moved":
            original = start
            start = start + timedelta(hours=draw(st.integers(-200, 200)))
            occurrences.append(meeting(start, original=original))
        elif fate == "declined":
            occurrences.append(meeting(start, declined_by=ALICE.email))
        else:
            status = {"held": Status.CONFIRMED, "cancelled": Status.CANCELLED,
                      "deleted": Status.DELETED}[fate]  # fmt: skip
            occurrences.append(meeting(start, status=status))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        start = NOW - timedelta(days=draw(st.integers(0, 200)))
        length = draw(st.none() | st.integers(1, 60))
        pauses.append(Pause(start, start + timedelta(days=length) if length else None))
    added = NOW - timedelta(days=draw(st.integers(0, 250)))
    weeks = draw(st.integers(1, 30))
    return Tracked(person, added, tuple(pauses)), occurrences, now, weeks


@given(histories())
def test_the_figures_add_up(case: tuple[Tracked, list[Occurrence], datetime, int]) -> None:
    who, occurrences, now, weeks = case
    entry = adherence(who, OWNER, occurrences, now, report_weeks(now, weeks, BERLIN), HISTORY_START)
    assert sum(entry.spans) == weeks
    assert len(entry.spans) == len(entry.outcomes)
    assert entry.held + entry.missed + entry.upcoming == entry.periods
    assert entry.periods == sum(o.cell.counts for o in entry.outcomes)
    assert entry.paused == sum(o.cell is Cell.PAUSED for o in entry.outcomes)
    assert entry.rescheduled <= entry.held and entry.cancelled <= entry.periods
    assert entry.upcoming <= 1
    starts = [o.period.start.astimezone(UTC) for o in entry.outcomes]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert (entry.overdue_days is not None) == entry.at_risk
    # The figures do not depend on the order the calendar listed the events in.
    again = adherence(
        who, OWNER, occurrences[::-1], now, report_weeks(now, weeks, BERLIN), HISTORY_START
    )
    assert again == entry


@given(histories())
def test_pauses_only_turn_unheld_periods_into_paused_ones(
    case: tuple[Tracked, list[Occurrence], datetime, int],
) -> None:
    who, occurrences, now, weeks = case
    mondays = report_weeks(now, weeks, BERLIN)
    without = adherence(replace(who, pauses=()), OWNER, occurrences, now, mondays, HISTORY_START)
    paused = adherence(who, OWNER, occurrences, now, mondays, HISTORY_START)
    assert paused.held == without.held and paused.rescheduled == without.rescheduled
    for before, after in zip(without.outcomes, paused.outcomes, strict=True):
        assert after.cell is before.cell or after.cell is Cell.PAUSED
        assert not (before.cell.held and after.cell is Cell.PAUSED)
    newly = sum(
        a.cell is Cell.PAUSED and b.cell.counts
        for b, a in zip(without.outcomes, paused.outcomes, strict=True)
    )
    assert paused.periods == without.periods - newly


@given(histories())
def test_without_any_1on1_nothing_is_held(
    case: tuple[Tracked, list[Occurrence], datetime, int],
) -> None:
    who, _, now, weeks = case
    entry = adherence(who, OWNER, [], now, report_weeks(now, weeks, BERLIN), HISTORY_START)
    assert entry.held == entry.streak == 0 and entry.last_held is None
