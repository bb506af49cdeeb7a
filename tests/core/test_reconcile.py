"""Reconcile: which events are 1:1s, which of them are live, and where the gaps are."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Gap,
    Occurrence,
    Owner,
    Partstat,
    Period,
    Person,
    Reason,
    Status,
    Unit,
)
from cadence.daemon.core.periods import period_containing, periods_between
from cadence.daemon.core.reconcile import find_gaps, is_live, is_one_on_one, one_on_ones
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia Owner", "olivia@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence(Unit.WEEK), anchor=date(2024, 1, 1))
NOW = datetime(2024, 5, 15, 9, tzinfo=BERLIN)  # a Wednesday
HORIZON = NOW + timedelta(weeks=3)  # reaches into the week of 3 June
TUESDAYS = [datetime(2024, 5, d, 10, tzinfo=BERLIN) for d in (14, 21, 28)] + [
    datetime(2024, 6, 4, 10, tzinfo=BERLIN)
]


def week(day: int, month: int = 5) -> Period:
    return period_containing(
        ALICE.cadence, ALICE.anchor, datetime(2024, month, day, 12, tzinfo=BERLIN), BERLIN
    )


def meeting(
    start: datetime,
    *,
    uid: str = "series-alice",
    original: datetime | None = None,
    status: Status = Status.CONFIRMED,
    owner_says: Partstat = Partstat.ACCEPTED,
    alice_says: Partstat = Partstat.ACCEPTED,
) -> Occurrence:
    """One instance of the owner's weekly 1:1 with Alice."""
    return Occurrence(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=30),
        summary="Alice / Olivia",
        recurrence_id=original if original is not None else start,
        status=status,
        organizer=OWNER.email,
        attendees=(Attendee(OWNER.email, owner_says), Attendee(ALICE.email, alice_says)),
    )


def team_sync(start: datetime, status: Status = Status.CONFIRMED) -> Occurrence:
    people = ("olivia", "alice", "bob", "carol", "dan")
    return Occurrence(
        uid="team-sync",
        start=start,
        end=start + timedelta(hours=1),
        summary="Team sync 1:1 prep with Alice",
        recurrence_id=start,
        status=status,
        organizer=OWNER.email,
        attendees=tuple(Attendee(f"{p}@example.com", Partstat.ACCEPTED) for p in people),
    )


def series(*replacements: Occurrence) -> list[Occurrence]:
    """The four weekly instances, with some replaced by their changed versions."""
    changed = {o.recurrence_id for o in replacements}
    return [meeting(t) for t in TUESDAYS if t not in changed] + list(replacements)


def gaps(occurrences: list[Occurrence], person: Person = ALICE) -> list[Gap]:
    return find_gaps(person, OWNER, occurrences, NOW, HORIZON)


# --- which events are 1:1s ------------------------------------------------------------


def summary_only(summary: str, organizer: str | None = None) -> Occurrence:
    start = TUESDAYS[1]
    return Occurrence("feed", start, start + timedelta(minutes=30), summary, organizer=organizer)


@pytest.mark.parametrize(
    "summary",
    [
        "1:1 Alice",
        "Alice / Olivia 1:1",
        "one-on-one with alice example",
        "Alice 1on1",
        "ALICE 1-1",
        "One on One: Alice",
        "[1:1] alice@example.com",
        "alice 1:1s",
        "Alice   Example one-on-one",
    ],
)
def test_a_summary_naming_the_person_with_a_marker_is_a_one_on_one(summary: str) -> None:
    assert is_one_on_one(summary_only(summary), OWNER, ALICE)
    assert is_one_on_one(summary_only(summary, organizer="OLIVIA@example.com"), OWNER, ALICE)


@pytest.mark.parametrize(
    "summary",
    [
        "Team sync",
        "1:1 Bob",
        "Alicia 1:1",
        "Alice sync",
        "Alice 21:15",
        "Alice 11:10",
        "Malice 1:1",
    ],
)
def test_other_summaries_are_not(summary: str) -> None:
    assert not is_one_on_one(summary_only(summary), OWNER, ALICE)


def test_the_summary_counts_only_for_events_without_other_people() -> None:
    assert not is_one_on_one(summary_only("1:1 Alice", organizer="bob@example.com"), OWNER, ALICE)
    with_bob = replace(summary_only("1:1 Alice"), attendees=(Attendee("bob@example.com"),))
    assert not is_one_on_one(with_bob, OWNER, ALICE)


def test_the_local_part_of_the_email_names_the_person() -> None:
    robert = Person("rsmith@example.com", "Robert Smith", Cadence(Unit.MONTH))
    assert is_one_on_one(summary_only("RSmith 1:1"), OWNER, robert)
    assert is_one_on_one(summary_only("1:1 Robert"), OWNER, robert)
    assert not is_one_on_one(summary_only("1:1 Smith"), OWNER, robert)


def test_exactly_the_two_of_them_in_any_case_and_either_organizing() -> None:
    start = TUESDAYS[0]
    shouting = Occurrence(
        "x", start, start, "Catch-up", organizer="Olivia@Example.COM",
        attendees=(Attendee("ALICE@example.com"),),
    )  # fmt: skip
    assert is_one_on_one(shouting, OWNER, ALICE)
    by_alice = replace(shouting, organizer="alice@example.com", attendees=(Attendee(OWNER.email),))
    assert is_one_on_one(by_alice, OWNER, ALICE)
    plus_bob = replace(shouting, attendees=(*shouting.attendees, Attendee("bob@example.com")))
    assert not is_one_on_one(plus_bob, OWNER, ALICE)
    assert not is_one_on_one(team_sync(start), OWNER, ALICE)


def test_cadence_marker_makes_a_one_on_one_whoever_attends() -> None:
    marked = replace(team_sync(TUESDAYS[0]), person="Alice@Example.com")
    assert is_one_on_one(marked, OWNER, ALICE)
    bob = Person("bob@example.com", "Bob", Cadence(Unit.WEEK))
    assert not is_one_on_one(marked, OWNER, bob)


def test_one_on_ones_keeps_every_status_and_sorts_by_start() -> None:
    found = one_on_ones(
        ALICE,
        OWNER,
        [
            meeting(TUESDAYS[2], status=Status.DELETED),
            team_sync(TUESDAYS[0]),
            meeting(TUESDAYS[1], status=Status.CANCELLED),
            meeting(TUESDAYS[0]),
        ],
    )
    assert [o.start for o in found] == TUESDAYS[:3]


@pytest.mark.parametrize(
    ("status", "owner_says", "alice_says", "live"),
    [
        (Status.CONFIRMED, Partstat.ACCEPTED, Partstat.ACCEPTED, True),
        (Status.TENTATIVE, Partstat.NEEDS_ACTION, Partstat.TENTATIVE, True),
        (Status.CONFIRMED, Partstat.DECLINED, Partstat.ACCEPTED, False),
        (Status.CONFIRMED, Partstat.ACCEPTED, Partstat.DECLINED, False),
        (Status.CANCELLED, Partstat.ACCEPTED, Partstat.ACCEPTED, False),
        (Status.DELETED, Partstat.ACCEPTED, Partstat.ACCEPTED, False),
    ],
)
def test_is_live(status: Status, owner_says: Partstat, alice_says: Partstat, live: bool) -> None:
    occurrence = meeting(TUESDAYS[0], status=status, owner_says=owner_says, alice_says=alice_says)
    assert is_live(occurrence, OWNER, ALICE) is live


def test_a_decline_counts_whatever_the_case_of_the_email() -> None:
    occurrence = replace(
        meeting(TUESDAYS[0]), attendees=(Attendee("ALICE@EXAMPLE.COM", Partstat.DECLINED),)
    )
    assert not is_live(occurrence, OWNER, ALICE)


# --- gaps -----------------------------------------------------------------------------


def test_a_full_series_leaves_no_gap() -> None:
    assert gaps(series()) == []


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        (meeting(TUESDAYS[1], status=Status.CANCELLED), Reason.CANCELLED),
        (meeting(TUESDAYS[1], status=Status.DELETED), Reason.DELETED),
        (meeting(TUESDAYS[1], owner_says=Partstat.DECLINED), Reason.DECLINED),
        (meeting(TUESDAYS[1], alice_says=Partstat.DECLINED), Reason.DECLINED),
        (
            meeting(TUESDAYS[1], status=Status.TENTATIVE, alice_says=Partstat.DECLINED),
            Reason.DECLINED,
        ),
        (meeting(TUESDAYS[1] + timedelta(days=7, hours=3), original=TUESDAYS[1]), Reason.MOVED),
        (meeting(TUESDAYS[1] - timedelta(days=2), original=TUESDAYS[1]), Reason.MOVED),
    ],
)
def test_each_reason(changed: Occurrence, reason: Reason) -> None:
    assert gaps(series(changed)) == [Gap(ALICE.email, week(21), reason, changed)]


def test_a_period_with_nothing_meant_for_it_is_missing() -> None:
    occurrences = [o for o in series() if o.start != TUESDAYS[2]]
    assert gaps(occurrences) == [Gap(ALICE.email, week(28), Reason.MISSING, None)]


def test_reasons_come_in_priority_order() -> None:
    original = TUESDAYS[1]
    by_priority = [
        meeting(original + timedelta(hours=2), uid="c", original=original, status=Status.CANCELLED),
        meeting(original + timedelta(hours=1), uid="d", original=original, status=Status.DELETED),
        meeting(original, uid="x", alice_says=Partstat.DECLINED),
        meeting(original + timedelta(days=9), uid="m", original=original - timedelta(hours=1)),
    ]
    expected = [Reason.CANCELLED, Reason.DELETED, Reason.DECLINED, Reason.MOVED]
    others = [meeting(t) for t in TUESDAYS if t != original]
    for index, reason in enumerate(expected):
        found = gaps(others + by_priority[index:])
        assert found == [Gap(ALICE.email, week(21), reason, by_priority[index])]


def test_a_rescheduled_meeting_fills_the_period_its_cancelled_one_left() -> None:
    cancelled = meeting(TUESDAYS[1], status=Status.CANCELLED)
    rebooked = meeting(TUESDAYS[1] + timedelta(days=2), uid="rebooked", original=None)
    assert gaps([*series(cancelled), replace(rebooked, recurrence_id=None)]) == []


def test_a_move_within_the_period_leaves_no_gap() -> None:
    assert gaps(series(meeting(TUESDAYS[1] + timedelta(days=3), original=TUESDAYS[1]))) == []


def test_a_move_into_an_empty_period_fills_it_and_leaves_the_old_one_moved() -> None:
    moved = meeting(TUESDAYS[2] + timedelta(days=1), original=TUESDAYS[1])
    occurrences = [o for o in series(moved) if o.start != TUESDAYS[2]]
    assert gaps(occurrences) == [Gap(ALICE.email, week(21), Reason.MOVED, moved)]


def test_a_meeting_held_earlier_in_the_current_period_counts() -> None:
    held = meeting(datetime(2024, 5, 13, 8, tzinfo=BERLIN), uid="held")
    occurrences = [*series(meeting(TUESDAYS[0], status=Status.CANCELLED)), held]
    assert gaps(occurrences) == []
    assert gaps(occurrences[:-1]) == [Gap(ALICE.email, week(13), Reason.CANCELLED, occurrences[-2])]


def test_unrelated_events_are_ignored() -> None:
    noise = [team_sync(t - timedelta(hours=1)) for t in TUESDAYS]
    noise += [team_sync(TUESDAYS[2] + timedelta(hours=3), status=Status.CANCELLED)]
    occurrences = [o for o in series() if o.start != TUESDAYS[2]] + noise
    assert gaps(occurrences) == [Gap(ALICE.email, week(28), Reason.MISSING, None)]


def test_times_from_other_timezones_compare_as_instants() -> None:
    without = [o for o in series() if o.start != TUESDAYS[2]]
    # 23:30 UTC on Sunday 26 May is already Monday 27 May in Berlin; 21:30 UTC is not.
    monday = meeting(datetime(2024, 5, 26, 23, 30, tzinfo=UTC), uid="late")
    sunday = meeting(datetime(2024, 5, 26, 21, 30, tzinfo=UTC), uid="late")
    assert gaps([*without, monday]) == []
    assert gaps([*without, sunday]) == [Gap(ALICE.email, week(28), Reason.MISSING, None)]


def test_pause_without_end_or_beyond_the_horizon_yields_nothing() -> None:
    paused = replace(ALICE, paused=True)
    assert gaps([], paused) == []
    assert gaps(series(meeting(TUESDAYS[1], status=Status.CANCELLED)), paused) == []
    beyond = replace(paused, paused_until=HORIZON.date() + timedelta(days=1))
    assert gaps([], beyond) == []
    assert gaps(series(meeting(TUESDAYS[1], status=Status.CANCELLED)), beyond) == []


@pytest.mark.parametrize(
    ("until", "unpaused"),
    [
        (date(2024, 5, 1), [13, 20, 27, 3]),  # the pause is over
        (NOW.date(), [13, 20, 27, 3]),  # back today
        (date(2024, 5, 19), [13, 20, 27, 3]),  # back on Sunday: that week still counts
        (date(2024, 5, 20), [20, 27, 3]),  # back on Monday: the week before is skipped
        (date(2024, 5, 29), [27, 3]),  # back on Wednesday: that week still needs a 1:1
        (date(2024, 6, 3), [3]),
        (HORIZON.date(), [3]),  # back on the horizon's own day, which is in the window
    ],
)
def test_a_period_is_skipped_when_paused_on_all_its_days_in_the_window(
    until: date, unpaused: list[int]
) -> None:
    person = replace(ALICE, paused=True, paused_until=until)
    past = meeting(datetime(2024, 4, 30, 10, tzinfo=BERLIN))
    found = gaps([past], person)
    assert [g.period.start.day for g in found] == unpaused
    assert {g.reason for g in found} == {Reason.MISSING}


def test_no_live_one_on_one_at_all_is_one_no_series_gap() -> None:
    expected = [Gap(ALICE.email, week(13), Reason.NO_SERIES, None)]
    assert gaps([]) == expected
    assert gaps([team_sync(t) for t in TUESDAYS]) == expected
    deleted = [meeting(t, status=Status.DELETED) for t in TUESDAYS]
    assert gaps(deleted) == expected
    declined = [meeting(t, alice_says=Partstat.DECLINED) for t in TUESDAYS]
    assert gaps(declined) == expected


def test_no_series_falls_in_the_first_unpaused_period() -> None:
    person = replace(ALICE, paused=True, paused_until=date(2024, 5, 22))
    assert gaps([], person) == [Gap(ALICE.email, week(20), Reason.NO_SERIES, None)]


def test_a_live_one_on_one_in_the_past_means_a_series_existed() -> None:
    past = meeting(datetime(2024, 3, 5, 10, tzinfo=BERLIN))
    found = gaps([past])
    assert [(g.period.start.day, g.reason) for g in found] == [
        (13, Reason.MISSING),
        (20, Reason.MISSING),
        (27, Reason.MISSING),
        (3, Reason.MISSING),
    ]


def test_monthly_cadence() -> None:
    person = replace(ALICE, cadence=Cadence(Unit.MONTH))
    held = meeting(datetime(2024, 5, 2, 10, tzinfo=BERLIN))  # before now, same month
    cancelled = meeting(datetime(2024, 6, 6, 10, tzinfo=BERLIN), status=Status.CANCELLED)
    found = find_gaps(person, OWNER, [held, cancelled], NOW, datetime(2024, 8, 1, tzinfo=BERLIN))
    assert [(g.period.start, g.reason, g.occurrence) for g in found] == [
        (datetime(2024, 6, 1, tzinfo=BERLIN), Reason.CANCELLED, cancelled),
        (datetime(2024, 7, 1, tzinfo=BERLIN), Reason.MISSING, None),
    ]


def test_fortnightly_cadence_counts_from_the_anchor_week() -> None:
    # Anchored on Wednesday 10 January: blocks start Monday 8 January, 22 January, ...
    person = replace(ALICE, cadence=Cadence(Unit.WEEK, 2), anchor=date(2024, 1, 10))
    friday = meeting(datetime(2024, 5, 24, 10, tzinfo=BERLIN))
    found = find_gaps(person, OWNER, [friday], NOW, datetime(2024, 6, 10, tzinfo=BERLIN))
    assert [(g.period.start.date(), g.period.end.date(), g.reason) for g in found] == [
        (date(2024, 5, 27), date(2024, 6, 10), Reason.MISSING)
    ]


def test_a_window_of_no_length_has_no_gaps() -> None:
    assert find_gaps(ALICE, OWNER, [], NOW, NOW) == []


# --- properties -----------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Santiago",
]
EMAILS = ["olivia@example.com", "alice@example.com", "bob@example.com", "carol@example.com"]


@dataclass(frozen=True)
class World:
    """Everything find_gaps looks at."""

    person: Person
    owner: Owner
    occurrences: list[Occurrence]
    now: datetime
    horizon: datetime

    def gaps(self, occurrences: list[Occurrence] | None = None) -> list[Gap]:
        if occurrences is None:
            occurrences = self.occurrences
        return find_gaps(self.person, self.owner, occurrences, self.now, self.horizon)

    def periods(self) -> list[Period]:
        return periods_between(
            self.person.cadence, self.person.anchor, self.now, self.horizon, self.owner.zone
        )


def shouted(draw: st.DrawFn, email: str) -> str:
    return email.upper() if draw(st.booleans()) else email


@st.composite
def occurrences_around(draw: st.DrawFn, base: datetime) -> Occurrence:
    """A 1:1 with Alice (by participants, marker or summary) or an unrelated event, in
    any status, maybe moved, maybe declined, its times in any of the zones."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    original = base + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 200)))
    start = original
    if draw(st.booleans()):
        start = original + timedelta(hours=draw(st.integers(-24 * 40, 24 * 40)))
    how = draw(st.sampled_from(["participants", "marker", "summary", "team"]))
    says = st.sampled_from(Partstat)
    owner = Attendee(shouted(draw, EMAILS[0]), draw(says))
    alice = Attendee(shouted(draw, EMAILS[1]), draw(says))
    attendees: tuple[Attendee, ...] = (owner, alice)
    if how == "team":
        attendees += tuple(Attendee(e, draw(says)) for e in EMAILS[2:])
    elif how == "summary":
        attendees = ()
    return Occurrence(
        uid=f"u{draw(st.integers(0, 6))}",
        start=start.astimezone(zone),
        end=(start + timedelta(minutes=30)).astimezone(zone),
        summary="1:1 Alice" if how == "summary" else "Sync",
        recurrence_id=original.astimezone(zone) if start != original else None,
        status=draw(st.sampled_from(Status)),
        organizer=EMAILS[0] if how != "summary" or draw(st.booleans()) else None,
        attendees=attendees,
        person=EMAILS[1] if how == "marker" else None,
    )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    owner = Owner("Olivia", EMAILS[0], draw(st.sampled_from(ZONES)))
    now = draw(st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)))
    horizon = now + draw(st.timedeltas(timedelta(0), timedelta(days=120)))
    cadence = draw(
        st.one_of(
            st.builds(Cadence, st.just(Unit.WEEK), st.integers(1, 6)),
            st.sampled_from([Cadence(Unit.MONTH), Cadence(Unit.QUARTER)]),
        )
    )
    paused = draw(st.booleans())
    until = draw(
        st.none() | st.dates(now.date() - timedelta(days=20), horizon.date() + timedelta(days=20))
    )
    person = replace(
        ALICE,
        cadence=cadence,
        anchor=draw(st.dates(date(2023, 1, 1), date(2026, 12, 31))),
        paused=paused,
        paused_until=until if paused else None,
    )
    base = now - timedelta(days=60)
    occurrences = draw(st.lists(occurrences_around(base), max_size=25))
    return World(person, owner, occurrences, now, horizon)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def holds(period: Period, moment: datetime) -> bool:
    return utc(period.start) <= utc(moment) < utc(period.end)


@given(worlds())
def test_gaps_are_distinct_periods_of_the_window(world: World) -> None:
    found = world.gaps()
    periods = world.periods()
    assert all(g.period in periods for g in found)
    starts = [utc(g.period.start) for g in found]
    assert starts == sorted(set(starts))
    for earlier, later in pairwise(found):
        assert utc(earlier.period.end) <= utc(later.period.start)
    if any(g.reason is Reason.NO_SERIES for g in found):
        assert len(found) == 1


@given(worlds())
def test_no_gap_in_a_period_holding_a_live_one_on_one(world: World) -> None:
    live = [
        o
        for o in world.occurrences
        if is_one_on_one(o, world.owner, world.person) and is_live(o, world.owner, world.person)
    ]
    for gap in world.gaps():
        assert not any(holds(gap.period, o.start) for o in live)


@given(worlds())
def test_a_gap_names_a_one_on_one_meant_for_its_period(world: World) -> None:
    for gap in world.gaps():
        if gap.occurrence is None:
            assert gap.reason in (Reason.MISSING, Reason.NO_SERIES)
            continue
        assert is_one_on_one(gap.occurrence, world.owner, world.person)
        assert holds(gap.period, gap.occurrence.original_start)
        assert gap.occurrence in world.occurrences


@given(worlds(), st.data())
def test_a_live_one_on_one_in_a_gap_removes_that_gap_and_no_other(
    world: World, data: st.DataObject
) -> None:
    found = world.gaps()
    if not found:
        return
    gap = data.draw(st.sampled_from(found))
    span = utc(gap.period.end) - utc(gap.period.start) - timedelta(microseconds=1)
    start = utc(gap.period.start) + data.draw(st.timedeltas(timedelta(0), span))
    added = meeting(start, uid="rebooked", original=None)
    after = world.gaps([*world.occurrences, added])
    if gap.reason is Reason.NO_SERIES:
        # A series now exists: the periods are judged one by one instead.
        assert all(g.reason is not Reason.NO_SERIES for g in after)
        assert gap.period not in [g.period for g in after]
    else:
        assert after == [g for g in found if g != gap]


@given(worlds(), st.randoms(use_true_random=False))
def test_find_gaps_is_deterministic_whatever_the_order(world: World, rng: st.Random) -> None:
    found = world.gaps()
    shuffled = list(world.occurrences)
    rng.shuffle(shuffled)
    assert world.gaps(shuffled) == found
    assert world.gaps(list(reversed(world.occurrences))) == found


@given(worlds(), st.none() | st.integers(1, 400))
def test_a_pause_past_the_horizon_yields_no_gaps(world: World, days: int | None) -> None:
    # Pauses end on a date in the owner's timezone, so "past the horizon" is too.
    local_horizon = world.horizon.astimezone(ZoneInfo(world.owner.timezone)).date()
    until = None if days is None else local_horizon + timedelta(days=days)
    person = replace(world.person, paused=True, paused_until=until)
    assert replace(world, person=person).gaps() == []
