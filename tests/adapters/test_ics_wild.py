"""Feeds as they come from the wild: what cadence does not need never sinks a feed.

Each fixture is named after its case; each case once sank the whole feed, crashed
the cycle, or read time wrongly.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars import ics
from cadence.daemon.calendars.feed_fetch import fetch_feed, icalendar_problem
from cadence.daemon.calendars.ics import IcsCalendar
from cadence.daemon.calendars.ics_parse import ParsedCalendar, parse_calendar
from cadence.daemon.core.busy import busy_intervals
from cadence.daemon.core.model import Interval, Occurrence, Status

from tests.support.paths import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
NOVEMBER = Interval(datetime(2026, 11, 1, tzinfo=BERLIN), datetime(2026, 12, 1, tzinfo=BERLIN))


def parse(name: str, window: Interval = NOVEMBER) -> ParsedCalendar:
    body = (FIXTURES / name).read_bytes()
    return parse_calendar(body, window, source=name, default_zone=BERLIN)


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


def by_uid(result: ParsedCalendar, uid: str) -> list[Occurrence]:
    return [o for o in result.occurrences if o.uid == uid]


# -- item 10: a property cadence does not need never sinks a feed --------------------


def test_valarm_with_a_trigger_the_parser_refuses_leaves_the_event_readable() -> None:
    result = parse("valarm_negative_trigger.ics")
    weekly = by_uid(result, "7d3c2a6e-1f0b-4c5e-9a8d-2b7f4e6c1a90")
    assert [o.start for o in weekly] == [at(d, 10) for d in (3, 10, 17, 24)]
    assert weekly[0].participants() == {"lea.lead@example.com", "dora@example.com"}
    assert [o.summary for o in by_uid(result, "0b9e4f2c-58a1-4d7e-b3c6-9f1a2e8d7c54")] == [
        "Dentist"
    ]
    assert result.skipped == 0


def test_a_calendar_level_geo_the_parser_refuses_is_not_read_at_all() -> None:
    result = parse("calendar_level_geo.ics")
    assert [(o.summary, o.start) for o in result.occurrences] == [
        ("Ana / Lea 1:1", datetime(2026, 11, 4, 8, tzinfo=UTC)),
        ("Architecture forum", datetime(2026, 11, 4, 13, tzinfo=UTC)),
    ]
    assert result.skipped == 0


def test_an_empty_tzid_makes_the_time_floating_and_the_zone_without_id_is_ignored() -> None:
    result = parse("empty_tzid.ics")
    (one_on_one,) = by_uid(result, "gs-5521-a@groupware.example.com")
    assert (one_on_one.start, one_on_one.end) == (at(4, 9), at(4, 9, 30))
    (other,) = by_uid(result, "gs-5522-b@groupware.example.com")
    assert other.start == at(4, 11)
    assert result.skipped == 0
    assert any("TZID" in note for note in result.notes)


def test_a_broken_sequence_is_ignored_and_named_not_a_crash() -> None:
    result = parse("sequence_base64.ics")
    weekly = by_uid(result, "weekly-cara-lea@groupware.example.com")
    moved = next(o for o in weekly if o.recurrence_id == at(9, 14))
    assert (moved.start, moved.summary) == (at(10, 15), "Cara / Lea 1:1 (moved)")
    assert [o.original_start for o in weekly] == [at(d, 14) for d in (2, 9, 16, 23, 30)]
    assert result.notes == [
        "event weekly-cara-lea@groupware.example.com: unreadable SEQUENCE ignored"
    ]


def test_what_was_ignored_is_logged_once_naming_the_event_and_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = IcsCalendar(str(FIXTURES / "sequence_base64.ics"), default_zone=BERLIN)
    with caplog.at_level(logging.DEBUG, logger=ics.__name__):
        read = calendar.read(NOVEMBER, {})
    assert read.changed and len(read.occurrences) == 5
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    message = record.getMessage()
    assert "sequence_base64.ics" in message
    assert "weekly-cara-lea@groupware.example.com: unreadable SEQUENCE ignored" in message


def test_the_same_faults_read_again_are_not_warned_about_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = tmp_path / "feed.ics"
    body = (FIXTURES / "sequence_base64.ics").read_bytes()
    calendar = IcsCalendar(str(feed), default_zone=BERLIN)
    levels = []
    for stamp in (b"20261020T120000Z", b"20261021T120000Z", b"20261022T120000Z"):
        # Re-exported: a new DTSTAMP, so a new body to read, with the same fault.
        feed.write_bytes(body.replace(b"20261020T120000Z", stamp))
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger=ics.__name__):
            assert calendar.read(NOVEMBER, {}).changed
        levels.append([r.levelno for r in caplog.records])
    assert levels == [[logging.WARNING], [logging.DEBUG], [logging.DEBUG]]
    feed.write_bytes(body.replace(b"SEQUENCE:0", b"SEQUENCE:zero"))  # a fault more
    with caplog.at_level(logging.DEBUG, logger=ics.__name__):
        calendar.read(NOVEMBER, {})
    assert caplog.records[-1].levelno == logging.WARNING


# -- item 11: text after END:VCALENDAR ---------------------------------------------


def test_text_after_end_vcalendar_is_not_a_feed_cut_short() -> None:
    body = (FIXTURES / "text_after_end_vcalendar.ics").read_bytes()
    assert icalendar_problem(body) is None
    fetched = fetch_feed(str(FIXTURES / "text_after_end_vcalendar.ics"), {})
    assert fetched.body == body
    (eve,) = parse("text_after_end_vcalendar.ics").occurrences
    assert eve.summary == "Eve / Lea 1:1"


def test_a_feed_cut_short_is_still_one() -> None:
    body = (FIXTURES / "text_after_end_vcalendar.ics").read_bytes()
    cut = body[: body.index(b"END:VEVENT")]
    assert icalendar_problem(cut) is not None and "cut short" in icalendar_problem(cut)  # type: ignore[operator]


# -- item 12: RANGE=THISANDFUTURE ---------------------------------------------------


def test_a_this_and_future_override_moves_every_later_instance_each_in_its_own_slot() -> None:
    result = parse("thisandfuture_override.ics")
    weekly = by_uid(result, "B7E5A1C2-4D3F-4A8B-9C6E-1F2A3B4C5D6E")
    assert [(o.recurrence_id, o.start) for o in weekly] == [
        (at(3, 10), at(3, 10)),
        (at(10, 10), at(10, 10)),
        (at(17, 10), at(17, 14)),
        (at(24, 10), at(24, 14)),
    ]
    assert all(o.end - o.start == timedelta(minutes=30) for o in weekly)
    assert len({o.key for o in weekly}) == 4


def test_a_this_and_future_override_before_the_window_still_moves_its_instances() -> None:
    december = Interval(datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2026, 12, 16, tzinfo=BERLIN))
    weekly = parse("thisandfuture_override.ics", december).occurrences
    assert [o.start for o in weekly] == [
        datetime(2026, 12, d, 14, tzinfo=BERLIN) for d in (1, 8, 15)
    ]


# -- item 13: DTEND without TZID next to DTSTART with one --------------------------


def test_a_dtend_without_tzid_takes_the_zone_of_its_dtstart() -> None:
    result = parse("dtend_without_tzid.ics")
    (meeting,) = by_uid(result, "kolab-8812-nyc@kolab.example.com")
    assert (meeting.start, meeting.end) == (at(4, 9, zone=NEW_YORK), at(4, 10, zone=NEW_YORK))
    standup = by_uid(result, "kolab-8813-nyc@kolab.example.com")
    assert [(o.start, o.status) for o in standup] == [
        (at(2, 11, 30, zone=NEW_YORK), Status.CONFIRMED),
        (at(9, 11, 30, zone=NEW_YORK), Status.CANCELLED),  # the EXDATE, in New York too
        (at(16, 11, 30, zone=NEW_YORK), Status.CONFIRMED),
    ]
    assert all(o.end - o.start == timedelta(minutes=30) for o in standup)


# -- item 14: no UID, unknown zone: still busy ---------------------------------------


def test_events_without_uid_or_in_an_unknown_zone_still_take_time() -> None:
    result = parse("no_uid_and_unknown_tzid.ics")
    busy = busy_intervals(result.occurrences, None)
    assert busy == [
        Interval(datetime(2026, 11, 4, 12, tzinfo=UTC), datetime(2026, 11, 4, 13, tzinfo=UTC)),
        Interval(at(5, 9), at(5, 10)),  # Mexico City as written, read in the owner's zone
        Interval(at(6, 9), at(6, 9, 30)),
        Interval(at(7, 9), at(7, 9, 30)),
    ]
    assert result.skipped == 0
    notes = "\n".join(result.notes)
    assert "'Central Standard Time (Mexico City)'" in notes
    assert "'Mars/Olympus_Mons'" in notes
    assert "read in Europe/Berlin" in notes
    assert notes.count("has no UID") == 2


def test_an_event_without_uid_keeps_its_identity_from_one_read_to_the_next() -> None:
    body = (FIXTURES / "no_uid_and_unknown_tzid.ics").read_bytes()
    restamped = body.replace(b"DTSTAMP:20261020T120000Z", b"DTSTAMP:20261121T080000Z")
    first = parse_calendar(body, NOVEMBER, source="feed", default_zone=BERLIN)
    again = parse_calendar(restamped, NOVEMBER, source="feed", default_zone=BERLIN)
    assert [o.key for o in first.occurrences] == [o.key for o in again.occurrences]
    assert first.occurrences[0].uid.startswith("no-uid-")
    assert len({o.uid for o in first.occurrences}) == 3


def test_a_lotus_notes_zone_named_like_a_zone_directory_is_read() -> None:
    body = (FIXTURES / "corpus" / "lotus_notes_6_request.ics").read_bytes()
    window = Interval(datetime(2004, 4, 1, tzinfo=UTC), datetime(2004, 5, 1, tzinfo=UTC))
    # The invitation and the reply to it, as two VCALENDARs in one file.
    request, reply = parse_calendar(body, window, source="lotus", default_zone=BERLIN).occurrences
    # TZID "Pacific", defined by the request's VTIMEZONE: Pacific Daylight Time in April.
    assert request.start == reply.start == datetime(2004, 4, 15, 19, tzinfo=UTC)
    assert request.end - request.start == timedelta(hours=1)


def _custom_zone_feed(offset: str, uid: str) -> bytes:
    """An Outlook feed whose one event is in a zone only its VTIMEZONE defines, under
    the name Outlook gives every such zone."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:Microsoft Exchange Server 2010\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\n"
        f"DTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\n"
        "END:STANDARD\r\nEND:VTIMEZONE\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Call\r\n"
        "DTSTART;TZID=Customized Time Zone:20261110T120000\r\n"
        "DTEND;TZID=Customized Time Zone:20261110T130000\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_two_feeds_defining_one_zone_name_differently_are_each_read_by_their_own() -> None:
    # icalendar keeps the first definition of a TZID for the whole process; each
    # feed's times must follow the zone that feed defines.
    east = parse_calendar(_custom_zone_feed("+0200", "east"), NOVEMBER, source="east",
                          default_zone=BERLIN).occurrences  # fmt: skip
    west = parse_calendar(_custom_zone_feed("-0500", "west"), NOVEMBER, source="west",
                          default_zone=BERLIN).occurrences  # fmt: skip
    assert [o.start.astimezone(UTC) for o in east] == [datetime(2026, 11, 10, 10, tzinfo=UTC)]
    assert [o.start.astimezone(UTC) for o in west] == [datetime(2026, 11, 10, 17, tzinfo=UTC)]
