"""VTIMEZONE blocks as Google and Outlook write them: yearly RRULE observances,
checked offset for offset against the zone database by an independent parser
(allenporter's ``ical``, which reads a VTIMEZONE into a tzinfo of its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from cadence.daemon.core.vtimezone import YEARS, vtimezone
from hypothesis import given
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from ical.timezone import IcsTimezoneInfo

START = datetime(2026, 11, 23, tzinfo=UTC)
# Zones by what their rules look like: last-Sunday (EU), nth-Sunday (US), southern
# hemisphere, half-hour and 45-minute offsets, a 30-minute DST (Lord Howe), no
# DST at all, and zones with no weekday rule (Morocco's Ramadan breaks, Chile's
# "Sunday on or after the 2nd", Greenland's Saturday-evening change).
RULED = (
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # negative DST in the database: winter is "daylight"
    "America/New_York",
    "America/Los_Angeles",
    "America/Havana",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
)
FIXED = ("Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu", "America/Sao_Paulo", "UTC")
LISTED = ("Africa/Casablanca", "America/Santiago", "America/Nuuk")


def text_of(tzid: str) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    calendar.add_component(vtimezone(tzid, START))
    event = icalendar.Event()
    event.add("uid", "x")
    event.add("dtstamp", START)
    event.add("dtstart", START.astimezone(ZoneInfo(tzid)))
    calendar.add_component(event)
    return str(calendar.to_ical().decode())


def independent(tzid: str) -> IcsTimezoneInfo:
    (parsed,) = IcsCalendarStream.calendar_from_ics(text_of(tzid)).timezones
    return IcsTimezoneInfo.from_timezone(parsed)


@pytest.mark.parametrize("tzid", RULED)
def test_zones_with_a_yearly_rule_get_rrule_observances(tzid: str) -> None:
    (timezone,) = icalendar.Calendar.from_ical(text_of(tzid)).walk("VTIMEZONE")
    kinds = sorted(part.name for part in timezone.subcomponents)
    assert kinds == ["DAYLIGHT", "STANDARD"]
    for part in timezone.subcomponents:
        assert "RDATE" not in part
        rule = part["RRULE"]
        assert rule["FREQ"] == ["YEARLY"] and len(rule["BYMONTH"]) == 1
        assert part.decoded("DTSTART").year == 1970


def test_europe_berlin_is_written_as_google_writes_it() -> None:
    text = text_of("Europe/Berlin").replace("\r\n", "\n")
    assert (
        "BEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\n"
        "TZNAME:CET\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\n"
    ) in text
    assert (
        "BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\n"
        "TZNAME:CEST\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\n"
    ) in text


def test_new_york_uses_the_nth_sunday() -> None:
    text = text_of("America/New_York")
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in text


@pytest.mark.parametrize("tzid", FIXED)
def test_zones_without_changes_get_one_standard_observance(tzid: str) -> None:
    (timezone,) = icalendar.Calendar.from_ical(text_of(tzid)).walk("VTIMEZONE")
    (part,) = timezone.subcomponents
    assert part.name == "STANDARD" and "RRULE" not in part
    assert part["TZOFFSETFROM"].td == part["TZOFFSETTO"].td


@pytest.mark.parametrize("tzid", LISTED)
def test_zones_without_a_weekday_rule_list_their_changes(tzid: str) -> None:
    assert "RDATE" in text_of(tzid)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        vtimezone("Mars/Olympus", START)


@given(
    tzid=st.sampled_from(RULED + LISTED),
    seconds=st.integers(0, int(timedelta(days=365 * YEARS - 2).total_seconds())),
)
def test_every_offset_agrees_with_the_zone_database(tzid: str, seconds: int) -> None:
    """Whatever the instant in the years the rule was checked for, the VTIMEZONE as an
    independent parser reads it gives the zone database's offset."""
    zone = ZoneInfo(tzid)
    moment = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)).astimezone(zone)
    local = moment.replace(tzinfo=None)
    if (local + timedelta(hours=3)).replace(tzinfo=zone).utcoffset() != moment.utcoffset() or (
        local - timedelta(hours=3)
    ).replace(tzinfo=zone).utcoffset() != moment.utcoffset():
        # Within hours of a change a wall time may be ambiguous or skipped: the two
        # readers may pick either side of the fold; the rule itself is what counts.
        return
    assert independent(tzid).utcoffset(local) == moment.utcoffset()


@pytest.mark.parametrize("tzid", FIXED)
def test_a_fixed_offset_is_the_zone_s_offset_throughout(tzid: str) -> None:
    # ``ical`` reads an observance without RRULE or RDATE as never beginning, though
    # RFC 5545 makes its DTSTART the onset (and Google writes fixed zones so): the
    # offset is checked here instead, over the same years.
    (timezone,) = IcsCalendarStream.calendar_from_ics(text_of(tzid)).timezones
    (part,) = timezone.standard
    zone = ZoneInfo(tzid)
    for days in range(0, 365 * YEARS, 7):
        moment = (START + timedelta(days=days)).astimezone(zone)
        assert part.tz_offset_to.offset == moment.utcoffset()
