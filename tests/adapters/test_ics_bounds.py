"""Reading a feed is bounded: in instances per series and per feed, and in time.

A rule repeating more often than every 15 minutes is busy over its span instead
of millions of instances; rules the recurrence library would search through for
ever are refused; a group of events or a whole read that takes too long stops,
as the group skipped or the source failing. While a read makes progress it says
so (the daemon's watchdog heartbeat); while it is stuck, it does not.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars.ics_parse import ParsedCalendar, ReadLimits, parse_calendar
from cadence.daemon.core.busy import busy_intervals
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval

from tests.support.paths import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
NOVEMBER = Interval(datetime(2026, 11, 1, tzinfo=BERLIN), datetime(2026, 12, 1, tzinfo=BERLIN))
# A rule the recurrence library searches through until the year 9999 (there is no
# 30 February); several seconds for each, every time it is asked.
NEVER = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"


def feed(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cadence tests//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def single(uid: str, day: int, hour: int = 9) -> str:
    return (
        f"UID:{uid}\nDTSTART:202611{day:02d}T{hour:02d}0000Z\nDTEND:202611{day:02d}T{hour:02d}3000Z"
    )


def read(body: bytes, limits: ReadLimits | None = None, **options: object) -> ParsedCalendar:
    return parse_calendar(
        body, NOVEMBER, source="feed", default_zone=BERLIN, limits=limits or ReadLimits(), **options
    )  # type: ignore[arg-type]


def test_series_repeating_more_often_than_every_15_minutes_are_busy_over_their_span() -> None:
    result = parse_calendar(
        (FIXTURES / "dense_recurrence.ics").read_bytes(), NOVEMBER, source="f", default_zone=BERLIN
    )
    by_uid = {o.uid: o for o in result.occurrences if o.recurrence_id is None}
    minute = by_uid["every-minute@monitoring.example.com"]
    assert (minute.start, minute.end) == (datetime(2026, 11, 4, 12, tzinfo=UTC), NOVEMBER.end)
    probe = by_uid["every-ten-seconds@monitoring.example.com"]
    assert (probe.start, probe.end) == (
        datetime(2026, 11, 5, 6, tzinfo=UTC),
        datetime(2026, 11, 5, 7, 0, 5, tzinfo=UTC),  # UNTIL, plus the last one's length
    )
    # Every five minutes since 2020, found out by walking the rule, not by its text.
    bursts = by_uid["bursts@monitoring.example.com"]
    assert (bursts.start, bursts.end) == (NOVEMBER.start, NOVEMBER.end)
    standups = [o for o in result.occurrences if o.uid == "standup@monitoring.example.com"]
    assert len(standups) == 21  # an ordinary series is still read instance by instance
    assert len(result.occurrences) == 3 + 21
    assert busy_intervals(result.occurrences, None) == [NOVEMBER]
    notes = "\n".join(result.notes)
    assert "every-minute@monitoring.example.com: it repeats every 1 minute" in notes
    assert "bursts@monitoring.example.com: it repeats every 5 minutes on average" in notes


def test_a_rule_with_interval_0_is_refused_and_named() -> None:
    result = parse_calendar(
        (FIXTURES / "dense_recurrence.ics").read_bytes(), NOVEMBER, source="f", default_zone=BERLIN
    )
    assert result.skipped == 1
    assert result.problems == [
        "event no-interval@monitoring.example.com: cannot expand its recurrence: "
        "RRULE with INTERVAL=0"
    ]


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=SECONDLY narrowed by"),
        ("RRULE:FREQ=HOURLY;BYSETPOS=5;BYHOUR=9", "BYSETPOS on FREQ=HOURLY"),
        ("RRULE:FREQ=FORTNIGHTLY", "FORTNIGHTLY"),
    ],
)
def test_rules_that_search_for_ever_are_refused(rule: str, why: str) -> None:
    result = read(feed(single("ok", 3), "UID:bad\nDTSTART:20261104T090000Z\n" + rule))
    assert [o.uid for o in result.occurrences] == ["ok"]
    assert result.skipped == 1 and why in result.problems[0]


def test_a_group_that_takes_too_long_is_skipped_and_the_rest_is_read() -> None:
    body = feed(
        single("before", 3), f"UID:never\nDTSTART:20261104T090000Z\n{NEVER}", single("after", 5)
    )
    result = read(body, ReadLimits(group_seconds=0.3))
    assert [o.uid for o in result.occurrences] == ["before", "after"]
    assert result.problems == ["event never: took longer than 0.3 s to read"]


def test_a_read_that_takes_too_long_is_the_source_failing() -> None:
    stuck = [f"UID:never-{n}\nDTSTART:20261104T090000Z\n{NEVER}" for n in range(6)]
    with pytest.raises(SourceError, match=r"reading the feed took longer than 1 s") as failure:
        read(feed(*stuck), ReadLimits(seconds=1, group_seconds=0.3))
    assert failure.value.source == "feed"


def test_a_feed_expanding_to_more_occurrences_than_a_calendar_holds_is_the_source_failing() -> None:
    every_16_minutes = [
        f"UID:s{n}\nDTSTART:20261101T000{n}00Z\nDTEND:20261101T000{n}30Z\n"
        "RRULE:FREQ=MINUTELY;INTERVAL=16"
        for n in range(3)
    ]
    body = feed(*every_16_minutes)
    assert len(read(body).occurrences) > 2 * 2600  # 90 a day for a month, each
    with pytest.raises(SourceError, match=r"more than 5,000 occurrences"):
        read(body, ReadLimits(occurrences=5000))


def test_absurd_dates_and_durations_cost_only_their_event() -> None:
    result = read(
        feed(
            single("ok", 3),
            "UID:far\nDTSTART:99991231T230000Z\nRRULE:FREQ=DAILY",
            "UID:long\nDTSTART:20261104T090000Z\nDURATION:P99999999W",
            "UID:early\nDTSTART:00010101T000000Z\nRRULE:FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=6",
        )
    )
    assert sorted(o.uid for o in result.occurrences) == ["early", "ok"]
    assert result.skipped == 1 and result.problems[0].startswith("event long: unreadable")


def test_progress_is_reported_while_reading_and_not_while_stuck() -> None:
    events = [single(f"e{n}", 2 + n % 25, 8 + n % 9) for n in range(200)]
    events.insert(100, f"UID:never\nDTSTART:20261104T090000Z\n{NEVER}")
    calls: list[float] = []
    result = read(
        feed(*events),
        ReadLimits(group_seconds=0.5),
        progress=lambda: calls.append(time.monotonic()),
    )
    assert len(result.occurrences) == 200
    assert len(calls) >= 200  # at least once per event read
    # While the stuck group ran (until its 0.5 s were up) nothing was reported.
    assert max(b - a for a, b in itertools.pairwise(calls)) >= 0.45
