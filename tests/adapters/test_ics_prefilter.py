"""Reading only the events that can matter gives exactly what reading them all gives.

The pre-filter (ics_select) decides from raw text which events the parser never
sees. Each test reads the same feed both ways, ``select=True`` (what a cycle does)
and ``select=False`` (every event parsed whole, alarms and all), and requires the
same occurrences and the same busy time: on generated feeds (random mixes of
single events, series with overrides and EXDATEs, floating and all-day events, in
windows at random dates), on the benchmark's Google-style feed, and on every
file of the real-world corpus.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars.ics_parse import ParsedCalendar, parse_calendar
from cadence.daemon.calendars.ics_select import select_events
from cadence.daemon.calendars.ics_split import split_feed
from cadence.daemon.core.busy import busy_intervals
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval, Occurrence
from cadence.daemon.wiring import HISTORY, PERIOD_SLACK
from hypothesis import given
from hypothesis import strategies as st

from tests.support.paths import FIXTURES, ROOT

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
ZONES = (BERLIN, NEW_YORK, UTC, ZoneInfo("Asia/Kolkata"))
# How events may name their zone: IANA, Windows (Outlook), or not at all.
TZIDS = ("Europe/Berlin", "America/New_York", "W. Europe Standard Time", "Tokyo Standard Time")
LOCAL = "%Y%m%dT%H%M%S"


def both_ways(body: bytes, window: Interval, zone: ZoneInfo) -> tuple[object, object]:
    """Read the feed with and without the pre-filter; return what each gave."""
    results = []
    for select in (True, False):
        try:
            parsed = parse_calendar(body, window, source="feed", default_zone=zone, select=select)
        except SourceError as error:
            results.append(("source failed", error.reason))
        else:
            results.append(_outcome(parsed))
    return results[0], results[1]


def _outcome(parsed: ParsedCalendar) -> tuple[list[Occurrence], list[Interval]]:
    return parsed.occurrences, busy_intervals(parsed.occurrences, None)


# -- generated feeds -----------------------------------------------------------------


@st.composite
def moments(draw: st.DrawFn, around: tuple[datetime, datetime]) -> datetime:
    """A wall-clock time: anywhere within some 500 days of the window, or within 30
    hours of one of its edges, where zones decide what is in and what is out."""
    if draw(st.integers(0, 2)) == 0:
        edge = draw(st.sampled_from(around))
        return edge + timedelta(minutes=15 * draw(st.integers(-120, 120)))
    offset = timedelta(days=draw(st.integers(-500, 500)), hours=draw(st.integers(6, 20)))
    return around[0] + offset + timedelta(minutes=draw(st.sampled_from((0, 15, 30, 45))))


@st.composite
def placing(draw: st.DrawFn) -> str:
    """How a feed places a wall-clock time: in UTC, in a named zone, or floating."""
    return draw(st.sampled_from(("utc", "floating", *TZIDS)))


def written(name: str, moment: datetime, how: str) -> str:
    if how == "utc":
        return f"{name}:{moment.replace(tzinfo=BERLIN).astimezone(UTC):{LOCAL}}Z"
    if how == "floating":
        return f"{name}:{moment:{LOCAL}}"
    return f"{name};TZID={how}:{moment:{LOCAL}}"


@st.composite
def single_event(draw: st.DrawFn, uid: str, around: tuple[datetime, datetime]) -> list[str]:
    start = draw(moments(around))
    if draw(st.integers(0, 5)) == 0:  # all day, one or more days
        day = start.date()
        days = draw(st.integers(1, 4))
        return [
            f"UID:{uid}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=days):%Y%m%d}",
            "TRANSP:TRANSPARENT" if draw(st.booleans()) else "TRANSP:OPAQUE",
        ]
    how = draw(placing())
    lines = [f"UID:{uid}", written("DTSTART", start, how)]
    length = timedelta(minutes=draw(st.sampled_from((0, 15, 30, 60, 90, 600))))
    end = draw(st.sampled_from(("dtend", "dtend-floating", "duration", "none")))
    if end == "dtend":
        lines.append(written("DTEND", start + length, how))
    elif end == "dtend-floating":  # a DTEND without TZID next to a DTSTART with one
        lines.append(written("DTEND", start + length, "floating"))
    elif end == "duration":
        lines.append(f"DURATION:PT{int(length.total_seconds() // 60)}M")
    if draw(st.integers(0, 9)) == 0:
        lines.append("STATUS:CANCELLED")
    return lines


@st.composite
def series(draw: st.DrawFn, uid: str, around: tuple[datetime, datetime]) -> list[list[str]]:
    first = draw(moments(around))
    tzid = draw(st.sampled_from(TZIDS))
    length = timedelta(minutes=draw(st.sampled_from((30, 45, 60))))
    freq, step = draw(st.sampled_from((("WEEKLY", 7), ("DAILY", 1), ("MONTHLY", 30))))
    interval = draw(st.integers(1, 3))
    rule = f"RRULE:FREQ={freq};INTERVAL={interval}"
    ending = draw(st.sampled_from(("count", "until", "none")))
    instances = draw(st.integers(2, 60))
    if ending == "count":
        rule += f";COUNT={instances}"
    elif ending == "until":
        until = first + timedelta(days=step * interval * (instances - 1))
        rule += f";UNTIL={until.replace(tzinfo=BERLIN).astimezone(UTC):{LOCAL}}Z"
    slots = [first + timedelta(days=step * interval * n) for n in range(min(instances, 40))]
    if freq == "MONTHLY":
        slots = slots[:1]  # months differ in length; only the first slot is certain
    master = [
        f"UID:{uid}",
        f"DTSTART;TZID={tzid}:{first:{LOCAL}}",
        f"DTEND;TZID={tzid}:{first + length:{LOCAL}}",
        rule,
    ]
    excluded = draw(st.lists(st.sampled_from(slots), max_size=3, unique=True))
    master += [f"EXDATE;TZID={tzid}:{slot:{LOCAL}}" for slot in excluded]
    events = [master]
    for slot in draw(st.lists(st.sampled_from(slots), max_size=4, unique=True)):
        fate = draw(st.sampled_from(("moved", "cancelled", "this-and-future", "far")))
        if fate == "far":
            new = slot + timedelta(days=draw(st.sampled_from((-400, -60, 60, 400))))
        elif fate == "moved":
            new = slot + timedelta(hours=draw(st.integers(-30, 30)))
        else:
            new = slot + timedelta(hours=1) if fate == "this-and-future" else slot
        rid = f"RECURRENCE-ID;TZID={tzid}:{slot:{LOCAL}}"
        if fate == "this-and-future":
            rid = rid.replace("RECURRENCE-ID;", "RECURRENCE-ID;RANGE=THISANDFUTURE;")
        events.append(
            [
                f"UID:{uid}",
                rid,
                f"DTSTART;TZID={tzid}:{new:{LOCAL}}",
                f"DTEND;TZID={tzid}:{new + length:{LOCAL}}",
                f"SEQUENCE:{draw(st.integers(0, 3))}",
                *(["STATUS:CANCELLED"] if fate == "cancelled" else []),
            ]
        )
    if draw(st.integers(0, 5)) == 0:
        events = events[1:]  # the owner was invited to single instances only
    return events


@st.composite
def feeds_and_windows(draw: st.DrawFn) -> tuple[bytes, Interval, ZoneInfo]:
    zone = draw(st.sampled_from(ZONES))
    first_day = date(2026, 1, 5) + timedelta(days=draw(st.integers(-30, 1030)))
    start = datetime.combine(first_day, datetime.min.time())
    end = start + timedelta(weeks=draw(st.integers(1, 60)))
    window = Interval(start.replace(tzinfo=zone), end.replace(tzinfo=zone))
    around = (start, end)
    components: list[list[str]] = []
    for n in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(("single", "single", "series", "twins")))
        if kind == "series":
            components += draw(series(f"series-{n}", around))
        elif kind == "twins":  # one UID written twice, as sloppy exporters do
            components += [draw(single_event(f"twin-{n}", around)) for _ in range(2)]
        else:
            components.append(draw(single_event(f"single-{n}", around)))
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cadence tests//EN"]
    if draw(st.booleans()):
        head.append("X-WR-TIMEZONE:Europe/Berlin")
    lines = list(head)
    for order in draw(st.permutations(range(len(components)))):
        lines += ["BEGIN:VEVENT", *components[order], "DTSTAMP:20260101T000000Z", "END:VEVENT"]
    body = ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()
    return body, window, zone


@given(feeds_and_windows())
def test_generated_feeds_read_the_same_with_and_without_the_prefilter(
    case: tuple[bytes, Interval, ZoneInfo],
) -> None:
    body, window, zone = case
    selected, everything = both_ways(body, window, zone)
    assert selected == everything


def _benchmark_feed_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("feedgen", ROOT / "benchmarks" / "feedgen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_prefilter_leaves_out_most_of_a_long_history() -> None:
    feedgen = _benchmark_feed_generator()
    feed = feedgen.owner_feed(2000, seed=3)
    # The span a cycle reads with the default lookahead of 8 weeks.
    window = Interval(feedgen.NOW - HISTORY, feedgen.NOW + timedelta(weeks=8) + PERIOD_SLACK)
    (calendar,) = split_feed(feed.body, "feed").calendars
    kept = sum(len(group) for group in select_events(calendar.events, window).values())
    assert kept < feed.vevents / 2
    selected, everything = both_ways(feed.body, window, BERLIN)
    assert selected == everything
    assert len(selected[0]) > 300  # type: ignore[arg-type]


# -- the real-world corpus ---------------------------------------------------------------

_EVENT = re.compile(rb"BEGIN:VEVENT.*?END:VEVENT", re.S)
_START = re.compile(rb"DTSTART[^:\r\n]*:(\d{8})")
CORPUS = sorted((FIXTURES / "corpus").glob("*.ics"))


def windows_among_the_events(path: Path) -> list[Interval]:
    """Windows of eight weeks starting at a few of the file's event dates."""
    days = sorted(
        {m.group(1) for e in _EVENT.findall(path.read_bytes()) for m in _START.finditer(e)}
    )
    windows = []
    for day in days[:: max(1, len(days) // 4)][:5]:
        try:
            start = datetime.strptime(day.decode(), "%Y%m%d").replace(tzinfo=BERLIN)
        except ValueError:
            continue
        windows.append(Interval(start - timedelta(days=10), start + timedelta(weeks=8)))
    return windows or [
        Interval(datetime(2026, 11, 1, tzinfo=BERLIN), datetime(2027, 1, 1, tzinfo=BERLIN))
    ]


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_real_world_files_read_the_same_with_and_without_the_prefilter(path: Path) -> None:
    body = path.read_bytes()
    for window in windows_among_the_events(path):
        selected, everything = both_ways(body, window, BERLIN)
        assert selected == everything, window
