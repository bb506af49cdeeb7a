"""The warnings of ``person add``: a usual time outside working hours, a timezone
that shares none with the owner's. Checked against the slot search itself."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.fit import fit_warnings
from cadence.daemon.core.model import Cadence, Period, Person, Unit, WorkingHours
from cadence.daemon.core.slots import SlotRules, find_slots
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
RULES = SlotRules(WorkingHours(), BERLIN)
MONDAY = date(2026, 11, 23)
ZONES = [
    "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
    "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "UTC",
]  # fmt: skip


def person(**changes: object) -> Person:
    base = Person("alice@example.com", "Alice", Cadence(Unit.WEEK))
    return Person(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_a_usual_time_inside_working_hours_on_a_workday_is_fine() -> None:
    assert fit_warnings(person(), RULES, MONDAY) == []
    assert fit_warnings(person(time=time(16, 30)), RULES, MONDAY) == []
    assert fit_warnings(person(timezone="Europe/London"), RULES, MONDAY) == []


def test_part_of_the_day_shared_but_less_than_the_meeting_says_how_much() -> None:
    # Sydney 09-17 is Berlin 23-07 in November; Kolkata 09-17 is Berlin 04:30-12:30.
    rules = SlotRules(WorkingHours(day_start=time(6, 0), day_end=time(17, 0)), BERLIN)
    (warning,) = fit_warnings(
        person(timezone="Australia/Sydney", time=time(6, 0), duration=timedelta(hours=2)),
        rules,
        MONDAY,
    )
    assert warning == (
        "Australia/Sydney shares at most 60 minutes of working hours a day with yours, "
        "less than the 120-minute 1:1"
    )


@given(st.sampled_from(ZONES), st.sampled_from([15, 30, 45, 60, 90]))
def test_no_shared_hours_is_said_exactly_when_no_slot_can_ever_be_found(
    zone: str, minutes: int
) -> None:
    someone = person(timezone=zone, duration=timedelta(minutes=minutes))
    warnings = " ".join(fit_warnings(someone, RULES, MONDAY))
    start = datetime(2026, 11, 30, tzinfo=BERLIN)
    slots = find_slots(
        Period(start, start + timedelta(days=7)),
        someone,
        RULES,
        now=datetime(2026, 11, 23, 9, tzinfo=BERLIN),
        busy=[],
    )
    if "shares no working hours" in warnings:
        assert slots == []
    if not slots:
        assert "shares no working hours" in warnings or "shares at most" in warnings
