"""Dates as cadence writes them: one style, period ends inclusive."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.dates import day, day_time, last_day, span_text
from cadence.daemon.core.model import Cadence, Interval
from cadence.daemon.core.periods import period_containing
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = st.sampled_from(
    [BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]
)
CADENCES = st.sampled_from(["weekly", "biweekly", "3w", "monthly", "quarterly"]).map(Cadence.parse)


def test_one_style_for_days_and_times() -> None:
    tuesday = datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
    assert day(tuesday) == "Tue 01 Dec"
    assert day(tuesday.date(), year=True) == "Tue 01 Dec 2026"
    assert day_time(tuesday, ZoneInfo("America/New_York")) == "Tue 01 Dec 04:00"


def test_periods_are_shown_with_their_last_day() -> None:
    week = Interval(datetime(2026, 11, 30, tzinfo=BERLIN), datetime(2026, 12, 7, tzinfo=BERLIN))
    assert span_text(week, BERLIN) == "30 Nov–06 Dec"
    month = Interval(datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2027, 1, 1, tzinfo=BERLIN))
    assert span_text(month, BERLIN) == "Dec"
    quarter = Interval(datetime(2026, 10, 1, tzinfo=BERLIN), datetime(2027, 1, 1, tzinfo=BERLIN))
    assert span_text(quarter, BERLIN) == "Oct–Dec"


@given(CADENCES, st.dates(date(2000, 1, 1), date(2090, 1, 1)), ZONES)
def test_a_periods_last_day_is_in_it_and_the_next_day_is_not(
    cadence: Cadence, when: date, zone: ZoneInfo
) -> None:
    noon = datetime(when.year, when.month, when.day, 12, tzinfo=zone)
    period = period_containing(cadence, date(2024, 1, 1), noon, zone)
    last = last_day(period, zone)
    assert period.contains(datetime(last.year, last.month, last.day, 12, tzinfo=zone))
    after = last + timedelta(days=1)
    assert not period.contains(datetime(after.year, after.month, after.day, 12, tzinfo=zone))
    text = span_text(period, zone)
    assert "–" in text or cadence.unit.value == "month"
    assert f"{(last.day):02d}" in text or cadence.unit.value != "week"
