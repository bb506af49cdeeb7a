"""parse_calendar against feeds as Google, Outlook, Apple and Thunderbird export them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars.ics_parse import ParsedCalendar, parse_calendar
from cadence.daemon.calendars.windows_zones import zone_named
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval, Occurrence, Partstat, Status
from hypothesis import given
from hypothesis import strategies as st

from tests.support.paths import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def parse(name: str, start: datetime, end: datetime, zone: ZoneInfo = BERLIN) -> ParsedCalendar:
    body = (FIXTURES / name).read_bytes()
    return parse_calendar(body, Interval(start, end), source=name, default_zone=zone)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = BERLIN
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def series(result: ParsedCalendar, uid: str) -> list[Occurrence]:
    return [o for o in result.occurrences if o.uid == uid]


def wrap(*events: str, head: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cadence tests//EN"]
    lines += [line for line in head.splitlines() if line]
    for event in events:
        lines += ["BEGIN:VEVENT", *[line for line in event.strip().splitlines()], "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


# -- fixtures named after their case -----------------------------------------------


def test_google_cancelled_instance_is_reported_once_as_cancelled() -> None:
    result = parse("google_xwr_timezone_cancelled_instance.ics", at(2026, 9, 1), at(2026, 10, 1))
    one_on_ones = series(result, "6k2q9v0c1h8s7m3e5b4n0t2g1a@google.com")
    assert [(o.start, o.status) for o in one_on_ones] == [
        (at(2026, 9, 8, 10), Status.CONFIRMED),
        (at(2026, 9, 15, 10), Status.CONFIRMED),
        (at(2026, 9, 22, 10), Status.CANCELLED),
        (at(2026, 9, 29, 10), Status.CONFIRMED),
    ]
    assert all(o.recurrence_id == o.start for o in one_on_ones)
    assert all(o.end - o.start == timedelta(minutes=30) for o in one_on_ones)
    first = one_on_ones[0]
    assert first.organizer == "lea.lead@example.com"
    assert [(a.email, a.partstat) for a in first.attendees] == [
        ("lea.lead@example.com", Partstat.ACCEPTED),
        ("ana.report@example.com", Partstat.ACCEPTED),
    ]
    assert first.summary == "Ana / Lea 1:1"
    assert result.skipped == 0


def test_google_utc_single_event_keeps_its_instant_and_has_no_recurrence_id() -> None:
    result = parse("google_xwr_timezone_cancelled_instance.ics", at(2026, 9, 1), at(2026, 10, 1))
    (sync,) = series(result, "3hq0vo3l4s9c2ds8i9dsc0bo8u@google.com")
    assert sync.start == datetime(2026, 9, 9, 13, 0, tzinfo=UTC)
    assert sync.start.astimezone(BERLIN).hour == 15
    assert sync.recurrence_id is None


def test_utc_series_follows_the_x_wr_timezone_wall_clock() -> None:
    body = wrap(
        "UID:u\nDTSTART:20261013T080000Z\nDTEND:20261013T083000Z\nRRULE:FREQ=WEEKLY;COUNT=4\n"
        "EXDATE:20261027T090000Z",
        "UID:f\nDTSTART:20261014T080000\nDTEND:20261014T083000",
        head="X-WR-TIMEZONE:Europe/Berlin",
    )
    result = parse_calendar(body, Interval(at(2026, 10, 1), at(2026, 12, 1)), source="feed")
    weekly = series(result, "u")
    assert [o.start for o in weekly] == [at(2026, 10, d, 10) for d in (13, 20, 27)] + [
        at(2026, 11, 3, 10)
    ]
    assert weekly[2].status is Status.CANCELLED  # EXDATE in UTC, after the DST change
    assert series(result, "f")[0].start == at(2026, 10, 14, 8)  # floating: the calendar's zone


def test_unknown_x_wr_timezone_falls_back_to_the_default_zone() -> None:
    body = wrap("UID:f\nDTSTART:20261014T080000\nDTEND:20261014T083000", head="X-WR-TIMEZONE:Mars")
    window = Interval(at(2026, 10, 1), at(2026, 12, 1))
    result = parse_calendar(body, window, source="feed", default_zone=NEW_YORK)
    assert result.occurrences[0].start == at(2026, 10, 14, 8, zone=NEW_YORK)
    assert result.skipped == 0 and "Mars" in result.notes[0]


def test_google_exdate_lines_become_cancelled_instances() -> None:
    result = parse("google_exdate.ics", at(2026, 10, 1), at(2026, 11, 1))
    assert [(o.start, o.status) for o in result.occurrences] == [
        (at(2026, 10, 1, 14), Status.CONFIRMED),
        (at(2026, 10, 8, 14), Status.CONFIRMED),
        (at(2026, 10, 15, 14), Status.CANCELLED),
        (at(2026, 10, 22, 14), Status.CONFIRMED),
        (at(2026, 10, 29, 14), Status.CANCELLED),  # after the DST change: still 14:00
    ]
    cancelled = result.occurrences[2]
    assert cancelled.recurrence_id == cancelled.start
    assert cancelled.end - cancelled.start == timedelta(minutes=45)
    assert cancelled.participants() == {"lea.lead@example.com", "ben.peer@example.com"}


def test_google_moved_instance_keeps_its_original_start() -> None:
    result = parse("google_moved_instance.ics", at(2026, 11, 2), at(2026, 11, 30))
    by_original = {o.original_start: o for o in result.occurrences}
    assert len(by_original) == len(result.occurrences)
    moved = by_original[at(2026, 11, 4, 11)]
    assert moved.recurrence_id == at(2026, 11, 4, 11)
    assert (moved.start, moved.end) == (at(2026, 11, 12, 15), at(2026, 11, 12, 15, 30))
    assert moved.status is Status.CONFIRMED
    assert sorted(by_original) == [
        at(2026, 11, 4, 11),
        at(2026, 11, 11, 11),
        at(2026, 11, 18, 11),
        at(2026, 11, 25, 11),
    ]


def test_instance_moved_out_of_the_window_is_not_in_it() -> None:
    result = parse("google_moved_instance.ics", at(2026, 11, 2), at(2026, 11, 9))
    assert result.occurrences == []


def test_outlook_windows_tzid_maps_to_the_iana_zone() -> None:
    result = parse("outlook_windows_tzid.ics", at(2026, 11, 1), at(2027, 2, 1))
    uid = (
        "040000008200E00074C5B7101A82E00800000000D0C1A5F2B1A5DC01000000000000000"
        "010000000A8E4F1E4E2B6D945B7C3F2A1D6E9B8C7"
    )
    weekly = series(result, uid)  # the folded UID, unfolded
    assert len(weekly) == 13
    assert all(o.start.tzinfo == BERLIN for o in weekly)
    assert all((o.start.astimezone(BERLIN).hour, o.start.weekday()) == (9, 0) for o in weekly)
    cancelled = [o.start for o in weekly if o.status is Status.CANCELLED]
    assert cancelled == [at(2027, 1, 11, 9), at(2027, 1, 25, 9)]  # one comma-separated EXDATE
    assert weekly[0].organizer == "lea.lead@example.com"
    assert [(a.email, a.partstat) for a in weekly[0].attendees] == [
        ("bo.report@example.com", Partstat.NEEDS_ACTION)
    ]
    assert not weekly[0].transparent


def test_outlook_other_zones_tentative_and_all_day() -> None:
    result = parse("outlook_windows_tzid.ics", at(2026, 11, 1), at(2027, 2, 1))
    by_summary = {o.summary: o for o in result.occurrences}
    seattle = by_summary["Roadmap review (Seattle)"]
    assert seattle.start == datetime(2026, 11, 3, 17, 0, tzinfo=UTC)  # Pacific Standard Time
    assert seattle.status is Status.TENTATIVE
    assert not seattle.transparent  # BUSYSTATUS:TENTATIVE still blocks
    helsinki = by_summary["Vendor call (Helsinki)"]  # only its VTIMEZONE defines the zone
    assert helsinki.start == datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
    holiday = by_summary["Public holiday"]
    assert holiday.all_day and holiday.transparent
    assert (holiday.start, holiday.end) == (at(2026, 12, 24), at(2026, 12, 25))


def test_dst_change_week_keeps_the_local_time() -> None:
    result = parse("dst_change_week.ics", at(2027, 3, 15), at(2027, 4, 5))
    starts = [o.start for o in result.occurrences]
    assert [s.astimezone(BERLIN).strftime("%m-%d %H:%M") for s in starts] == [
        "03-15 10:00",
        "03-22 10:00",
        "03-29 10:00",
    ]
    assert [s.astimezone(UTC).hour for s in starts] == [9, 9, 8]


def test_all_day_transparent_and_free_events() -> None:
    result = parse("all_day_and_transparent.ics", at(2026, 10, 12), at(2026, 10, 16))
    by_summary = {o.summary: o for o in result.occurrences}
    offsite = by_summary["Offsite"]
    assert offsite.all_day and not offsite.transparent
    assert (offsite.start, offsite.end) == (at(2026, 10, 12), at(2026, 10, 15))
    assert by_summary["Focus time (free)"].transparent  # TRANSP:TRANSPARENT
    assert by_summary["Lunch talk"].transparent  # X-MICROSOFT-CDO-BUSYSTATUS:FREE
    maybe = by_summary["Maybe: architecture forum"]
    assert maybe.status is Status.TENTATIVE and not maybe.transparent


def test_all_day_events_start_at_midnight_in_the_default_zone() -> None:
    start, end = at(2026, 10, 12, zone=NEW_YORK), at(2026, 10, 16, zone=NEW_YORK)
    result = parse("all_day_and_transparent.ics", start, end, zone=NEW_YORK)
    offsite = next(o for o in result.occurrences if o.summary == "Offsite")
    assert offsite.start == at(2026, 10, 12, zone=NEW_YORK)


def test_declined_instance_carries_the_partstat() -> None:
    result = parse("declined_instance.ics", at(2026, 10, 1), at(2026, 11, 1))
    first, declined = result.occurrences
    assert declined.recurrence_id == at(2026, 10, 19, 16)
    assert declined.declined_by("dora@example.com")
    assert not first.declined_by("dora@example.com")
    assert declined.status is Status.CONFIRMED
    assert {o.person for o in result.occurrences} == {"dora@example.com"}


def test_floating_times_are_read_in_the_default_zone() -> None:
    start, end = at(2026, 11, 1, zone=NEW_YORK), at(2026, 12, 31, zone=NEW_YORK)
    result = parse("floating_no_timezone.ics", start, end, zone=NEW_YORK)
    weekly = series(result, "room-booking-48213@intranet.example.com")
    assert [o.start.astimezone(NEW_YORK).hour for o in weekly] == [9] * 6
    assert weekly[0].start == datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    assert [o.status for o in weekly].count(Status.CANCELLED) == 1
    assert weekly[2].status is Status.CANCELLED and weekly[2].start.day == 17
    panel = series(result, "room-booking-48377@intranet.example.com")
    assert panel[0].start == at(2026, 11, 4, 14, zone=NEW_YORK)


# -- what can go wrong -------------------------------------------------------------


def test_broken_events_are_skipped_and_counted() -> None:
    body = wrap(
        "UID:good\nDTSTART:20261103T090000Z\nDTEND:20261103T100000Z\nSUMMARY:Good",
        "UID:bad-date\nDTSTART:2026110X\nSUMMARY:Bad date",
        "UID:bad-rule\nDTSTART:20261103T090000Z\nRRULE:FREQ=SOMETIMES\nSUMMARY:Bad rule",
        "UID:no-start\nSUMMARY:No start",
    )
    result = parse_calendar(
        body, Interval(at(2026, 11, 1), at(2026, 12, 1)), source="feed", default_zone=BERLIN
    )
    assert [o.uid for o in result.occurrences] == ["good"]
    assert result.skipped == 3
    text = "\n".join(result.problems)
    for expected in ("bad-date", "bad-rule", "SOMETIMES", "no-start", "no DTSTART"):
        assert expected in text


@pytest.mark.parametrize(
    "body",
    [
        b"garbage",
        (FIXTURES / "not_icalendar_login_page.html").read_bytes(),
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n",  # cut short
        b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
    ],
)
def test_unreadable_body_is_a_source_error(body: bytes) -> None:
    with pytest.raises(SourceError) as error:
        parse_calendar(body, Interval(at(2026, 1, 1), at(2027, 1, 1)), source="the feed")
    assert error.value.source == "the feed"


def test_each_override_is_reported_once() -> None:
    master = "UID:s\nDTSTART:20261102T090000Z\nDTEND:20261102T093000Z\nRRULE:FREQ=WEEKLY;COUNT=3"
    override = "UID:s\nRECURRENCE-ID:20261109T090000Z\nDTSTART:20261110T090000Z\n"
    body = wrap(
        master + "\nEXDATE:20261116T090000Z",
        override + "DTEND:20261110T093000Z\nSEQUENCE:1",
        override + "DTEND:20261110T100000Z\nSEQUENCE:2\nSTATUS:CANCELLED",
        "UID:s\nRECURRENCE-ID:20261116T090000Z\nDTSTART:20261116T090000Z\nSTATUS:CANCELLED",
    )
    result = parse_calendar(body, Interval(at(2026, 11, 1), at(2026, 12, 1)), source="feed")
    keys = [o.key for o in result.occurrences]
    assert len(keys) == len(set(keys)) == 3
    moved = result.occurrences[1]
    assert moved.status is Status.CANCELLED and moved.end.hour == 10  # the higher SEQUENCE
    assert result.occurrences[2].status is Status.CANCELLED


@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Romance Standard Time", "Europe/Paris"),
        ("GMT Standard Time", "Europe/London"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("Eastern Standard Time", "America/New_York"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("India Standard Time", "Asia/Calcutta"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_windows_zone_names_map_to_iana(windows: str, iana: str) -> None:
    assert zone_named(windows) == ZoneInfo(iana)


def test_windows_zone_without_vtimezone_is_still_known() -> None:
    body = wrap(
        "UID:x\nDTSTART;TZID=Romance Standard Time:20261103T090000\nDTEND;"
        "TZID=Romance Standard Time:20261103T100000"
    )
    result = parse_calendar(body, Interval(at(2026, 11, 1), at(2026, 12, 1)), source="feed")
    assert result.occurrences[0].start == at(2026, 11, 3, 9, zone=ZoneInfo("Europe/Paris"))


# -- property: one occurrence per slot ----------------------------------------------


@st.composite
def weekly_series(draw: st.DrawFn) -> tuple[bytes, list[datetime], dict[int, str], ZoneInfo]:
    zone = draw(st.sampled_from([BERLIN, NEW_YORK, UTC, ZoneInfo("Australia/Sydney")]))
    weeks = draw(st.integers(min_value=2, max_value=30))
    first = datetime(2026, 1, 5) + timedelta(
        days=draw(st.integers(0, 600)), hours=draw(st.integers(7, 18)), minutes=30
    )
    slots = [(first + timedelta(weeks=i)).replace(tzinfo=zone) for i in range(weeks)]
    fates = draw(
        st.lists(
            st.sampled_from(["keep", "exdate", "cancel", "move"]), min_size=weeks, max_size=weeks
        )
    )
    local = "%Y%m%dT%H%M%S"
    tzid = f";TZID={zone.key}"
    exdates = [s.strftime(local) for s, fate in zip(slots, fates, strict=True) if fate == "exdate"]
    head = f"DTSTART{tzid}:{first:{local}}\nDTEND{tzid}:{first + timedelta(minutes=45):{local}}"
    master = f"UID:prop\n{head}\nRRULE:FREQ=WEEKLY;COUNT={weeks}"
    one_line: bool = draw(st.booleans())
    if exdates and one_line:
        master += f"\nEXDATE{tzid}:" + ",".join(exdates)
    else:
        master += "".join(f"\nEXDATE{tzid}:{d}" for d in exdates)
    events = [master]
    for slot, fate in zip(slots, fates, strict=True):
        if fate in ("cancel", "move"):
            new = slot + timedelta(days=1, hours=2) if fate == "move" else slot
            events.append(
                f"UID:prop\nRECURRENCE-ID{tzid}:{slot:{local}}\nDTSTART{tzid}:{new:{local}}\n"
                f"DTEND{tzid}:{new + timedelta(minutes=45):{local}}"
                + ("\nSTATUS:CANCELLED" if fate == "cancel" else "")
            )
    order = draw(st.permutations(range(len(events))))
    return wrap(*[events[i] for i in order]), slots, dict(enumerate(fates)), zone


@given(weekly_series())
def test_one_occurrence_per_slot(
    case: tuple[bytes, list[datetime], dict[int, str], ZoneInfo],
) -> None:
    body, slots, fates, zone = case
    window = Interval(slots[0] - timedelta(hours=1), slots[-1] + timedelta(days=2))
    result = parse_calendar(body, window, source="feed", default_zone=zone)
    by_original = {o.original_start: o for o in result.occurrences}
    assert len(by_original) == len(result.occurrences) == len(slots)
    for index, slot in enumerate(slots):
        occurrence = by_original[slot]
        fate = fates[index]
        assert occurrence.recurrence_id == slot
        expected = Status.CANCELLED if fate in ("exdate", "cancel") else Status.CONFIRMED
        assert occurrence.status is expected
        moved = slot + timedelta(days=1, hours=2) if fate == "move" else slot
        assert occurrence.start == moved
        assert occurrence.end - occurrence.start == timedelta(minutes=45)
