"""Tests for slot finding (DESIGN rule 2): one test per rule, then properties."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Cadence, Interval, Period, Person, Slot, WorkingHours
from cadence.daemon.core.slots import SlotRules, find_slots, slot_is_free
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2025, 1, 13)  # an ordinary week, far from any DST change
BEFORE = datetime(2025, 1, 12, 12, 0, tzinfo=BERLIN)  # Sunday noon before that week
RULES = SlotRules(WorkingHours(), BERLIN)


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def days(first: date, count: int, zone: ZoneInfo = BERLIN) -> Period:
    last = first + timedelta(days=count)
    return Period(at(first, 0, zone=zone), at(last, 0, zone=zone))


def span(day: date, start: tuple[int, int], end: tuple[int, int]) -> Interval:
    return Interval(at(day, *start), at(day, *end))


def ada(
    day: int = 1,
    usual: time = time(10, 0),
    duration: timedelta = timedelta(minutes=30),
    timezone: str | None = None,
) -> Person:
    return Person(
        "ada@example.com",
        "Ada",
        Cadence.parse("weekly"),
        day=day,
        time=usual,
        duration=duration,
        timezone=timezone,
    )


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.start for s in slots]


TUE, WED, THU = (MONDAY + timedelta(days=n) for n in (1, 2, 3))


# --- one rule at a time -------------------------------------------------------


def test_free_week_offers_usual_time_then_neighbouring_days() -> None:
    slots = find_slots(days(MONDAY, 7), ada(), RULES, now=BEFORE, busy=[])
    assert starts(slots) == [at(TUE, 10), at(MONDAY, 10), at(WED, 10)]
    assert all(s.duration == timedelta(minutes=30) and not s.shorter for s in slots)
    assert all(s.start.tzinfo == BERLIN for s in slots)


def test_usual_slot_busy_moves_to_nearest_time_that_day() -> None:
    thursday_two = ada(day=3, usual=time(14, 0))
    busy = [span(THU, (14, 0), (15, 0))]
    slots = find_slots(days(MONDAY, 7), thursday_two, RULES, now=BEFORE, busy=busy)
    # 13:15 ends 13:45, clear of the 10-minute buffer; 15:15 is further from 14:00.
    # Wednesday before Friday: equally far, sooner first.
    assert starts(slots) == [at(THU, 13, 15), at(WED, 14), at(MONDAY + timedelta(4), 14)]


def test_min_notice_excludes_the_next_two_hours() -> None:
    now = at(TUE, 9, 30)
    slots = find_slots(days(MONDAY, 7), ada(), RULES, now=now, busy=[])
    assert starts(slots) == [at(TUE, 11, 30), at(WED, 10), at(THU, 10)]


def test_working_hours_bound_start_and_end() -> None:
    rules = SlotRules(WorkingHours(day_start=time(10, 0), day_end=time(12, 0)), BERLIN)
    hour = ada(duration=timedelta(hours=1), usual=time(8, 0))
    slots = find_slots(days(TUE, 1), hour, rules, now=BEFORE, busy=[], limit=5)
    assert starts(slots) == [at(TUE, 10), at(TUE, 11)]
    assert slots[-1].end == at(TUE, 12)


def test_only_workdays_and_fill_a_used_day_when_days_run_out() -> None:
    rules = SlotRules(WorkingHours(workdays=frozenset({0, 2})), BERLIN)
    slots = find_slots(days(MONDAY, 7), ada(), rules, now=BEFORE, busy=[])
    assert starts(slots) == [at(MONDAY, 10), at(WED, 10), at(MONDAY, 9, 30)]


def test_person_in_new_york_leaves_only_berlin_afternoon() -> None:
    person = ada(timezone="America/New_York")
    slots = find_slots(days(TUE, 1), person, RULES, now=BEFORE, busy=[], limit=10)
    assert starts(slots) == [at(TUE, 15), at(TUE, 15, 30), at(TUE, 16), at(TUE, 16, 30)]


def test_person_workdays_count_in_their_zone() -> None:
    # Los Angeles 16:00-17:00 is Tokyo 09:00-10:00 the next day, so a Friday in
    # Los Angeles is a Saturday in Tokyo.
    la = ZoneInfo("America/Los_Angeles")
    rules = SlotRules(WorkingHours(), la)
    person = ada(day=0, usual=time(16, 0), timezone="Asia/Tokyo")
    now = at(MONDAY - timedelta(days=3), 12, zone=la)
    slots = find_slots(days(MONDAY, 7, la), person, rules, now=now, busy=[], limit=4)
    assert starts(slots) == [at(MONDAY + timedelta(n), 16, zone=la) for n in range(4)]
    everything = find_slots(days(MONDAY, 7, la), person, rules, now=now, busy=[], limit=20)
    assert {s.start.weekday() for s in everything} == {0, 1, 2, 3}


def test_person_with_no_shared_hours_gets_nothing() -> None:
    tokyo = ada(timezone="Asia/Tokyo")  # Tokyo 09:00-17:00 is Berlin 01:00-09:00 in winter
    assert find_slots(days(MONDAY, 7), tokyo, RULES, now=BEFORE, busy=[]) == []


def test_buffer_keeps_clearance_on_both_sides() -> None:
    busy = [span(TUE, (10, 0), (11, 0))]
    slots = find_slots(days(TUE, 1), ada(), RULES, now=BEFORE, busy=busy, limit=2)
    assert starts(slots) == [at(TUE, 9, 15), at(TUE, 11, 15)]
    no_buffer = SlotRules(WorkingHours(), BERLIN, buffer=timedelta(0))
    slots = find_slots(days(TUE, 1), ada(), no_buffer, now=BEFORE, busy=busy, limit=3)
    assert starts(slots) == [at(TUE, 9, 30), at(TUE, 9), at(TUE, 11)]


def test_person_busy_blocks_like_owner_busy() -> None:
    person_busy = [span(TUE, (9, 0), (12, 0))]
    slots = find_slots(
        days(TUE, 1), ada(), RULES, now=BEFORE, busy=[], person_busy=person_busy, limit=1
    )
    assert starts(slots) == [at(TUE, 12, 15)]


def test_day_with_max_booked_one_on_ones_is_skipped() -> None:
    booked = [span(TUE, (h, 0), (h, 30)) for h in (13, 14, 15, 16)]
    slots = find_slots(days(MONDAY, 7), ada(), RULES, now=BEFORE, busy=booked, booked=booked)
    assert starts(slots) == [at(MONDAY, 10), at(WED, 10), at(THU, 10)]
    roomier = SlotRules(WorkingHours(), BERLIN, max_per_day=5)
    slots = find_slots(days(MONDAY, 7), ada(), roomier, now=BEFORE, busy=booked, booked=booked)
    assert slots[0].start == at(TUE, 10)


def test_booked_counts_on_its_owner_local_day_and_blocks_its_time() -> None:
    late = Interval(
        datetime(2025, 1, 14, 23, 30, tzinfo=UTC), datetime(2025, 1, 15, 0, 0, tzinfo=UTC)
    )
    one = SlotRules(WorkingHours(), BERLIN, max_per_day=1)
    slots = find_slots(days(TUE, 2), ada(), one, now=BEFORE, busy=[], booked=[late])
    assert {s.start.date() for s in slots} == {TUE}  # 00:30 Wednesday in Berlin
    booked = [span(TUE, (10, 0), (10, 30))]  # absent from busy, still not free
    slots = find_slots(days(TUE, 1), ada(), RULES, now=BEFORE, busy=[], booked=booked)
    assert at(TUE, 10) not in starts(slots)
    zero = SlotRules(WorkingHours(), BERLIN, max_per_day=0)
    assert find_slots(days(MONDAY, 7), ada(), zero, now=BEFORE, busy=[]) == []


def test_monthly_period_spreads_over_the_usual_weekday() -> None:
    month = Period(at(date(2025, 2, 1), 0), at(date(2025, 3, 1), 0))
    now = at(date(2025, 1, 31), 12)
    slots = find_slots(month, ada(), RULES, now=now, busy=[])
    assert starts(slots) == [at(date(2025, 2, d), 10) for d in (4, 11, 18)]


def _leaving_free(day: date, start: tuple[int, int], end: tuple[int, int]) -> list[Interval]:
    return [span(day, (0, 0), start), span(day, end, (23, 59))]


def test_shorter_fallback_offers_longest_length_that_fits_and_says_so() -> None:
    no_buffer = SlotRules(WorkingHours(), BERLIN, buffer=timedelta(0))
    busy = _leaving_free(TUE, (10, 0), (10, 25))
    [slot] = find_slots(days(TUE, 1), ada(), no_buffer, now=BEFORE, busy=busy)
    assert (slot.start, slot.end, slot.shorter) == (at(TUE, 10), at(TUE, 10, 25), True)
    hour = ada(duration=timedelta(hours=1))
    busy = _leaving_free(TUE, (10, 0), (10, 45))
    [slot] = find_slots(days(TUE, 1), hour, no_buffer, now=BEFORE, busy=busy)
    assert (slot.duration, slot.shorter) == (timedelta(minutes=45), True)


def test_shorter_fallback_floors_at_half_and_at_fifteen_minutes() -> None:
    no_buffer = SlotRules(WorkingHours(), BERLIN, buffer=timedelta(0))
    quarter = _leaving_free(TUE, (10, 0), (10, 15))
    twenty = ada(duration=timedelta(minutes=20))
    [slot] = find_slots(days(TUE, 1), twenty, no_buffer, now=BEFORE, busy=quarter)
    assert (slot.duration, slot.shorter) == (timedelta(minutes=15), True)
    fifteen = ada(duration=timedelta(minutes=15))
    ten = _leaving_free(TUE, (10, 0), (10, 10))
    assert find_slots(days(TUE, 1), fifteen, no_buffer, now=BEFORE, busy=ten) == []
    hour = ada(duration=timedelta(hours=1))
    busy = _leaving_free(TUE, (10, 0), (10, 25))  # under half an hour
    assert find_slots(days(TUE, 1), hour, no_buffer, now=BEFORE, busy=busy) == []


def test_no_shorter_slots_while_a_full_one_exists_elsewhere_in_the_period() -> None:
    no_buffer = SlotRules(WorkingHours(), BERLIN, buffer=timedelta(0))
    busy = _leaving_free(TUE, (10, 0), (10, 25))
    slots = find_slots(days(TUE, 2), ada(), no_buffer, now=BEFORE, busy=busy)
    assert slots and all(not s.shorter and s.start.date() == WED for s in slots)


def test_fully_busy_period_gives_nothing() -> None:
    busy = [Interval(at(MONDAY, 0), at(MONDAY + timedelta(days=7), 0))]
    assert find_slots(days(MONDAY, 7), ada(), RULES, now=BEFORE, busy=busy) == []


def test_slot_is_free_rechecks_every_rule_but_the_period() -> None:
    slot = Slot(at(TUE, 11, 10), at(TUE, 11, 40))
    busy = [span(TUE, (10, 0), (11, 0))]
    assert slot_is_free(slot, ada(), RULES, now=BEFORE, busy=busy)
    early = Slot(at(TUE, 11, 9), at(TUE, 11, 39))
    assert not slot_is_free(early, ada(), RULES, now=BEFORE, busy=busy)
    assert not slot_is_free(slot, ada(), RULES, now=at(TUE, 9, 11), busy=[])
    assert not slot_is_free(slot, ada(timezone="America/New_York"), RULES, now=BEFORE, busy=[])
    evening = Slot(at(TUE, 16, 45), at(TUE, 17, 15))
    assert not slot_is_free(evening, ada(), RULES, now=BEFORE, busy=[])
    saturday = Slot(at(date(2025, 1, 18), 11), at(date(2025, 1, 18), 11, 30))
    assert not slot_is_free(saturday, ada(), RULES, now=BEFORE, busy=[])
    full = [span(TUE, (h, 0), (h, 30)) for h in (13, 14, 15, 16)]
    assert not slot_is_free(slot, ada(), RULES, now=BEFORE, busy=[], booked=full)
    far = Slot(at(date(2031, 6, 3), 11), at(date(2031, 6, 3), 11, 30))  # no period bounds
    assert slot_is_free(far, ada(), RULES, now=BEFORE, busy=[])


# --- DST ----------------------------------------------------------------------

EVERY_DAY = WorkingHours(workdays=frozenset(range(7)))


def test_spring_forward_sunday_still_offers_nine_to_five_local() -> None:
    sunday = date(2025, 3, 30)
    rules = SlotRules(EVERY_DAY, BERLIN)
    slots = find_slots(
        days(sunday, 1), ada(day=6, usual=time(9, 0)), rules, now=BEFORE, busy=[], limit=20
    )
    assert starts(slots) == [at(sunday, 9) + timedelta(minutes=30 * n) for n in range(16)]
    assert slots[0].start.astimezone(UTC) == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
    assert slots[-1].end == at(sunday, 17)


def test_fall_back_sunday_still_offers_nine_to_five_local() -> None:
    sunday = date(2025, 10, 26)
    rules = SlotRules(EVERY_DAY, BERLIN)
    slots = find_slots(
        days(sunday, 1), ada(day=6, usual=time(9, 0)), rules, now=BEFORE, busy=[], limit=20
    )
    assert [s.start.time() for s in slots] == [time(9 + n // 2, 30 * (n % 2)) for n in range(16)]
    assert slots[0].start.astimezone(UTC) == datetime(2025, 10, 26, 8, 0, tzinfo=UTC)


def test_dst_weeks_keep_local_times_on_both_sides_of_the_switch() -> None:
    for monday in (date(2025, 3, 24), date(2025, 10, 20)):
        rules = SlotRules(EVERY_DAY, BERLIN)
        slots = find_slots(days(monday, 7), ada(), rules, now=BEFORE, busy=[], limit=7)
        assert sorted(s.start for s in slots) == [at(monday + timedelta(n), 10) for n in range(7)]
        assert {s.start.utcoffset() for s in slots} == {timedelta(hours=1), timedelta(hours=2)}


def test_working_hours_across_the_switch_skip_and_repeat_wall_times() -> None:
    night = SlotRules(WorkingHours(frozenset(range(7)), time(1, 0), time(5, 0)), BERLIN)
    short = ada(duration=timedelta(minutes=15), usual=time(1, 0))
    spring = find_slots(days(date(2025, 3, 30), 1), short, night, now=BEFORE, busy=[], limit=99)
    assert len(spring) == 12 and all(s.start.hour != 2 for s in spring)  # 02:xx never happens
    autumn = find_slots(days(date(2025, 10, 26), 1), short, night, now=BEFORE, busy=[], limit=99)
    assert len(autumn) == 20  # 02:xx happens twice
    assert all(
        s.end.astimezone(UTC) - s.start.astimezone(UTC) == timedelta(minutes=15) for s in autumn
    )


# --- speed --------------------------------------------------------------------


def test_a_quarter_with_two_thousand_busy_intervals_still_yields_slots() -> None:
    # The time this takes is measured in benchmarks/, not asserted here.
    quarter = Period(at(date(2025, 1, 1), 0), at(date(2025, 4, 1), 0))
    rnd = random.Random(7)
    busy = []
    for _ in range(2000):
        start = quarter.start + timedelta(minutes=15 * rnd.randrange(91 * 96))
        busy.append(Interval(start, start + timedelta(minutes=rnd.choice((15, 30, 60, 90)))))
    person = ada(timezone="America/New_York")
    slots = find_slots(quarter, person, RULES, now=at(date(2024, 12, 31), 9), busy=busy)
    assert len(slots) == 3
    assert not any(s.start < b.end and b.start < s.end for s in slots for b in busy)


# --- properties ---------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
]


@dataclass(frozen=True)
class Case:
    period: Period
    person: Person
    rules: SlotRules
    now: datetime
    busy: list[Interval]
    person_busy: list[Interval]
    booked: list[Interval]
    limit: int

    def run(self) -> list[Slot]:
        return find_slots(
            self.period,
            self.person,
            self.rules,
            now=self.now,
            busy=self.busy,
            person_busy=self.person_busy,
            booked=self.booked,
            limit=self.limit,
        )


def _intervals(draw: st.DrawFn, origin: datetime, reach: int, most: int) -> list[Interval]:
    # Five-minute granularity so busy edges fall between grid points too.
    found = []
    origin = origin.astimezone(UTC)
    for _ in range(draw(st.integers(0, most))):
        start = origin + timedelta(minutes=5 * draw(st.integers(-288, reach // 5)))
        found.append(Interval(start, start + timedelta(minutes=5 * draw(st.integers(0, 48)))))
    return found


def _packed(draw: st.DrawFn, origin: datetime, reach: int) -> list[Interval]:
    # Back-to-back meetings with short gaps, where often only a shorter 1:1 fits.
    found = []
    cursor, end = origin.astimezone(UTC) - timedelta(hours=6), origin + timedelta(minutes=reach)
    while cursor < end:
        gap = timedelta(minutes=5 * draw(st.integers(1, 12)))
        length = timedelta(minutes=15 * draw(st.integers(1, 12)))
        found.append(Interval(cursor + gap, cursor + gap + length))
        cursor += gap + length
    return found


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    first = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 500)))
    packed = draw(st.booleans())
    length = draw(st.integers(1, 3 if packed else 10))
    period = days(first, length, zone)
    # Working hours stay clear of the night, where DST switches happen.
    start_hour = draw(st.integers(6, 12))
    hours = WorkingHours(
        frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
        time(start_hour, draw(st.sampled_from((0, 30)))),
        time(draw(st.integers(start_hour + 1, 22)), draw(st.sampled_from((0, 15, 45)))),
    )
    rules = SlotRules(
        hours,
        zone,
        buffer=timedelta(minutes=5 * draw(st.integers(0, 6))),
        max_per_day=draw(st.integers(0, 4)),
        min_notice=timedelta(minutes=draw(st.integers(0, 360))),
    )
    person = ada(
        day=draw(st.integers(0, 6)),
        usual=time(draw(st.integers(0, 23)), draw(st.sampled_from((0, 15, 30, 45)))),
        duration=timedelta(minutes=draw(st.sampled_from((15, 20, 25, 30, 45, 50, 60, 90)))),
        timezone=draw(st.none() | st.sampled_from(ZONES)),
    )
    reach = length * 1440
    now = period.start.astimezone(UTC) + timedelta(minutes=draw(st.integers(-2880, reach)))
    now = now.astimezone(zone)  # notice must still count in real time
    busy = (
        _packed(draw, period.start, reach) if packed else _intervals(draw, period.start, reach, 40)
    )
    person_busy = _intervals(draw, period.start, reach, 8)
    booked = [b for b in busy if draw(st.booleans())][:6] + _intervals(draw, period.start, reach, 3)
    return Case(period, person, rules, now, busy, person_busy, booked, draw(st.integers(1, 5)))


def _in_hours(start: datetime, end: datetime, zone: ZoneInfo, hours: WorkingHours) -> bool:
    first, last = start.astimezone(zone), end.astimezone(zone)
    return (
        first.weekday() in hours.workdays
        and first.date() == last.date()
        and hours.day_start <= first.time()
        and last.time() <= hours.day_end
    )


def _allowed(case: Case, start: datetime, length: timedelta) -> bool:
    """The rules written out plainly, one slot at a time."""
    start = start.astimezone(UTC)
    end, rules, zone = start + length, case.rules, case.rules.zone
    if (
        start < case.now.astimezone(UTC) + rules.min_notice
        or start < case.period.start
        or end > case.period.end
    ):
        return False
    if not _in_hours(start, end, zone, rules.hours):
        return False
    if case.person.zone and not _in_hours(start, end, case.person.zone, rules.hours):
        return False
    day = start.astimezone(zone).date()
    if sum(b.start.astimezone(zone).date() == day for b in case.booked) >= rules.max_per_day:
        return False
    widened = [
        Interval(b.start - rules.buffer, b.end + rules.buffer)
        for b in [*case.busy, *case.person_busy, *case.booked]
    ]
    return not any(Interval(start, end).overlaps(w) for w in widened)


def _rank(case: Case, start: datetime) -> tuple[int, int, datetime]:
    local = start.astimezone(case.rules.zone)
    minutes = local.hour * 60 + local.minute
    usual = case.person.time.hour * 60 + case.person.time.minute
    return abs(local.weekday() - case.person.day), abs(minutes - usual), start


@given(cases())
def test_every_slot_obeys_every_rule(case: Case) -> None:
    slots = case.run()
    assert len(slots) <= case.limit
    assert len({s.shorter for s in slots}) <= 1  # never full and shorter mixed
    for slot in slots:
        assert slot.start.tzinfo == case.rules.zone and slot.end.tzinfo == case.rules.zone
        assert _allowed(case, slot.start, slot.duration)
        assert slot_is_free(
            slot,
            case.person,
            case.rules,
            now=case.now,
            busy=case.busy,
            person_busy=case.person_busy,
            booked=case.booked,
        )
        if slot.shorter:
            assert max(case.person.duration / 2, timedelta(minutes=15)) <= slot.duration
            assert slot.duration < case.person.duration
        else:
            assert slot.duration == case.person.duration
    for i, one in enumerate(slots):
        assert all(
            not Interval(one.start, one.end).overlaps(Interval(o.start, o.end))
            for o in slots[i + 1 :]
        )
    ranks = [_rank(case, s.start) for s in slots]
    assert ranks == sorted(ranks)


def _fallback_lengths(duration: timedelta) -> list[timedelta]:
    shortest = max(duration / 2, timedelta(minutes=15))
    lengths = [duration - timedelta(minutes=5 * k) for k in range(1, 100)]
    return [length for length in lengths if length >= shortest]


@given(cases())
def test_slots_exist_exactly_when_a_brute_force_search_finds_one(case: Case) -> None:
    quarter_hour = timedelta(minutes=15)
    origin = case.period.start.astimezone(UTC)
    grid = [origin + quarter_hour * n for n in range(int(case.period.duration / quarter_hour))]
    slots = case.run()
    oracle = [t for t in grid if _allowed(case, t, case.person.duration)]
    if oracle:
        assert slots and not any(s.shorter for s in slots)
        assert {s.start for s in slots} <= set(oracle)
        assert slots[0].start == min(oracle, key=lambda t: _rank(case, t))
        oracle_days = {t.astimezone(case.rules.zone).date() for t in oracle}
        assert len({s.start.date() for s in slots}) == min(case.limit, len(oracle_days))
        return
    for length in _fallback_lengths(case.person.duration):
        shorter = [t for t in grid if _allowed(case, t, length)]
        if shorter:
            assert slots and all(s.shorter and s.duration == length for s in slots)
            assert {s.start for s in slots} <= set(shorter)
            return
    assert slots == []


@given(
    gap=st.integers(0, 30).map(lambda n: timedelta(minutes=5 * n)),
    duration=st.sampled_from((15, 20, 25, 30, 45, 60, 90)).map(lambda n: timedelta(minutes=n)),
    buffer=st.sampled_from((0, 5, 10, 15)).map(lambda n: timedelta(minutes=n)),
)
def test_one_gap_in_a_full_day_gives_the_longest_length_that_fits(
    gap: timedelta, duration: timedelta, buffer: timedelta
) -> None:
    opens = at(TUE, 10)
    busy = [Interval(at(TUE, 0), opens), Interval(opens + gap, at(WED, 0))]
    rules = SlotRules(WorkingHours(), BERLIN, buffer=buffer)
    slots = find_slots(days(TUE, 1), ada(duration=duration), rules, now=BEFORE, busy=busy)
    first = opens + buffer + -buffer % timedelta(minutes=15)  # next quarter hour
    room = opens + gap - buffer - first
    fitting = [duration, *_fallback_lengths(duration)]
    expected = next((length for length in fitting if length <= room), None)
    if expected is None:
        assert slots == []
    else:
        assert [(s.start, s.duration, s.shorter) for s in slots][:1] == [
            (first, expected, expected < duration)
        ]
