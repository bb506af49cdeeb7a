"""Invitations for bookings: who is organizer and attendee, what each recipient gets,
updates and cancellations; read back by icalendar and by an independent, strict
parser (allenporter's ``ical``)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import icalendar
import pytest
import recurring_ical_events
from cadence.daemon.core import itip
from cadence.daemon.core.itip import Method, Role
from cadence.daemon.core.model import Partstat
from hypothesis import given
from hypothesis import strategies as st

from tests.support.bookings import BERLIN, CADENCE, OWNER, START, UID, booking, weekly
from tests.support.ical_check import calendar_parts, method_of, strict_calendar

AGENDA = "https://agenda.example.com/alice?x=1&y=2"
STAMP = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def calendar(method: Method = Method.REQUEST, **kw: object) -> icalendar.Calendar:
    b = kw.pop("booking", booking())
    args: dict[str, object] = {"method": method, "stamp": STAMP, "agenda_url": AGENDA}
    args.update(kw)
    ics = itip.booking_calendar(b, OWNER, **args)  # type: ignore[arg-type]
    strict_calendar(ics.decode())  # the independent parser finds nothing invalid
    return icalendar.Calendar.from_ical(ics)


def event_of(found: icalendar.Calendar) -> icalendar.Event:
    (event,) = found.walk("VEVENT")
    return event


def people(event: icalendar.Event) -> dict[str, dict[str, str]]:
    return {str(a): dict(a.params) for a in event.get("ATTENDEE", [])}


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def mail(role: Role = Role.PERSON, method: Method = Method.REQUEST, **kw: object) -> EmailMessage:
    args: dict[str, object] = {
        "sender": "cadence <cadence@example.com>",
        "message_id": "<invite-7@example.com>",
        "agenda_url": AGENDA,
        "stamp": STAMP,
    }
    args.update(kw)
    b = args.pop("booking", booking())
    owner = args.pop("owner", OWNER)
    message = itip.booking_email(b, owner, role=role, method=method, **args)  # type: ignore[arg-type]
    return reparse(message)


# --- who is who -------------------------------------------------------------------


def test_cadence_s_address_organizes_for_the_owner_and_both_attend() -> None:
    event = event_of(calendar())
    assert event["ORGANIZER"] == f"mailto:{CADENCE}"
    assert event["ORGANIZER"].params["CN"] == "Olivia Owner (via cadence)"
    guests = people(event)
    assert set(guests) == {"mailto:alice@example.com", "mailto:olivia@example.com"}
    for who in guests.values():
        assert who["PARTSTAT"] == "NEEDS-ACTION" and who["RSVP"] == "TRUE"
        assert who["ROLE"] == "REQ-PARTICIPANT" and who["CUTYPE"] == "INDIVIDUAL"
    assert guests["mailto:alice@example.com"]["CN"] == "Alice Example"
    assert guests["mailto:olivia@example.com"]["CN"] == "Olivia Owner"


def test_without_an_address_of_its_own_the_owner_organizes_and_gets_a_publish() -> None:
    mine = booking(organizer="olivia@example.com")
    event = event_of(calendar(booking=mine))
    assert event["ORGANIZER"] == "mailto:olivia@example.com"
    assert event["ORGANIZER"].params["CN"] == "Olivia Owner"
    olivia = people(event)["mailto:olivia@example.com"]
    assert olivia["PARTSTAT"] == "ACCEPTED" and "RSVP" not in olivia
    assert itip.owner_method(mine, OWNER) is Method.PUBLISH
    assert itip.owner_method(booking(), OWNER) is Method.REQUEST
    published = calendar(Method.PUBLISH, booking=mine)
    assert published["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in event_of(published)  # RFC 5546 §3.2.1


def test_a_request_carries_the_booking_s_identity_and_time() -> None:
    found = calendar()
    assert found["METHOD"] == "REQUEST"
    event = event_of(found)
    assert event["UID"] == UID
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("DTSTART") == START
    assert event["DTSTART"].to_ical().endswith(b"Z")
    assert event["SUMMARY"] == "1:1 Alice Example / Olivia Owner"
    assert event["STATUS"] == "CONFIRMED" and event["TRANSP"] == "OPAQUE"
    assert event["X-CADENCE-PERSON"] == "alice@example.com"
    assert "RRULE" not in event and not found.walk("VTIMEZONE")


def test_answers_heard_are_kept_in_an_update() -> None:
    later = booking(sequence=2, person_partstat=Partstat.ACCEPTED)
    event = event_of(calendar(booking=later))
    assert event["SEQUENCE"] == 2
    assert people(event)["mailto:alice@example.com"]["PARTSTAT"] == "ACCEPTED"


def test_the_agenda_link_only_when_there_is_one() -> None:
    event = event_of(calendar())
    assert event["URL"] == AGENDA and event["ATTACH"] == AGENDA
    assert AGENDA in event["DESCRIPTION"]
    bare = event_of(calendar(agenda_url=None))
    assert "URL" not in bare and "ATTACH" not in bare
    assert "Agenda" not in bare["DESCRIPTION"]


def test_a_cancel_comes_from_the_same_organizer_with_a_higher_sequence() -> None:
    found = calendar(Method.CANCEL, booking=booking(sequence=1))
    assert found["METHOD"] == "CANCEL"
    event = event_of(found)
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    assert event["UID"] == UID and event["ORGANIZER"] == f"mailto:{CADENCE}"
    assert set(people(event)) == {"mailto:alice@example.com", "mailto:olivia@example.com"}


# --- recurring bookings -------------------------------------------------------------


def test_a_series_is_written_in_the_owner_s_zone_with_rrule_observances() -> None:
    found = calendar(booking=weekly())
    event = event_of(found)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY"
    (zone,) = found.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Berlin"
    assert {part.name for part in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    assert all("RRULE" in part and "RDATE" not in part for part in zone.subcomponents)


@pytest.mark.parametrize(
    ("rule", "first", "expected"),
    [
        ("FREQ=WEEKLY", date(2026, 3, 17), [date(2026, 3, d) for d in (17, 24, 31)]),
        ("FREQ=WEEKLY;INTERVAL=2", date(2026, 3, 17), [date(2026, 3, 17), date(2026, 3, 31),
                                                       date(2026, 4, 14)]),
        ("FREQ=MONTHLY;BYDAY=2TU", date(2026, 3, 10), [date(2026, 3, 10), date(2026, 4, 14),
                                                       date(2026, 5, 12)]),
        ("FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU", date(2026, 3, 10), [date(2026, 3, 10),
                                                                  date(2026, 6, 9),
                                                                  date(2026, 9, 8)]),
    ],
)  # fmt: skip
def test_a_series_keeps_its_wall_clock_across_dst(
    rule: str, first: date, expected: list[date]
) -> None:
    start = datetime(first.year, first.month, first.day, 10, 0, tzinfo=BERLIN)
    series = weekly(start=start, end=start + timedelta(minutes=30), recurrence=rule)
    found = recurring_ical_events.of(calendar(booking=series)).between(
        start, start + timedelta(days=200)
    )
    moments = [e.decoded("DTSTART").astimezone(BERLIN) for e in found][:3]
    assert [m.date() for m in moments] == expected
    assert all(m.hour == 10 for m in moments)
    assert moments[0].utcoffset() != moments[-1].utcoffset()
    assert series.starts(start + timedelta(days=200))[:3] == moments


def test_an_ended_series_has_an_until_that_keeps_every_meeting_before_the_cut() -> None:
    cut = datetime(2026, 4, 14, 10, 0, tzinfo=BERLIN)
    ended = weekly(ends=cut, sequence=1)
    event = event_of(calendar(booking=ended))
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20260414T075959Z"
    found = recurring_ical_events.of(calendar(booking=ended)).between(
        ended.start, ended.start + timedelta(days=365)
    )
    starts = [e.decoded("DTSTART").astimezone(BERLIN) for e in found]
    assert starts[-1] == cut - timedelta(weeks=1)
    assert starts == ended.starts(cut + timedelta(days=365))
    assert itip.rrule_text(ended) == "FREQ=WEEKLY;UNTIL=20260414T075959Z"


def test_one_meeting_of_a_series_is_cancelled_by_its_recurrence_id() -> None:
    second = datetime(2026, 3, 24, 10, 0, tzinfo=BERLIN)
    event = event_of(calendar(Method.CANCEL, booking=weekly(sequence=1), instance=second))
    assert event.decoded("RECURRENCE-ID") == second
    assert event["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == second
    assert "RRULE" not in event


# --- the emails -----------------------------------------------------------------------


def test_the_person_s_email_comes_from_the_organizer_and_a_reply_reaches_the_owner() -> None:
    message = mail(sender="Olivia's cadence <outgoing@example.com>")
    assert message["From"] == f'"Olivia Owner (via cadence)" <{CADENCE}>'
    assert message["Sender"] == "Olivia's cadence <outgoing@example.com>"
    assert message["To"] == "Alice Example <alice@example.com>"
    assert message["Reply-To"] == "Olivia Owner <olivia@example.com>"
    assert "Cc" not in message
    assert message["Subject"].startswith("Invitation: 1:1 Alice Example / Olivia Owner @ ")
    assert message["X-Cadence-Booking"] == "7" and message["X-Cadence-Proposal"] == "42"
    same = mail(sender=CADENCE)
    assert "Sender" not in same  # From is who sent it


def test_the_owner_s_copy_is_an_invitation_of_her_own() -> None:
    message = mail(Role.OWNER)
    assert message["To"] == "Olivia Owner <olivia@example.com>"
    assert "Reply-To" not in message
    ((method, text),) = calendar_parts(message)
    assert method == "REQUEST" and method_of(text) == "REQUEST"
    event = strict_calendar(text).events[0]
    assert event.organizer is not None and event.organizer.uri == f"mailto:{CADENCE}"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Accept this invitation to put the 1:1 into your calendar" in body.get_content()


def test_each_method_is_the_mime_method_and_the_calendar_s() -> None:
    for role, method in (
        (Role.PERSON, Method.REQUEST),
        (Role.OWNER, Method.PUBLISH),
        (Role.PERSON, Method.CANCEL),
    ):
        message = mail(role, method)
        assert message.get_content_type() == "multipart/mixed"
        alternative, attachment = message.iter_parts()
        text, part = alternative.iter_parts()
        assert text.get_content_type() == "text/plain"
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == method.value
        assert attachment.get_content_type() == "application/ics"
        assert part.get_payload(decode=True) == attachment.get_payload(decode=True)
        assert method_of(part.get_content()) == method.value
        strict_calendar(part.get_content())


def test_subjects_say_what_changed() -> None:
    assert mail(method=Method.CANCEL)["Subject"].startswith("Cancelled: 1:1 Alice Example")
    update = mail(booking=weekly(sequence=1, ends=datetime(2026, 4, 14, 10, tzinfo=BERLIN)))
    assert update["Subject"].startswith("Updated invitation: 1:1 Alice Example")
    assert "every week on Tuesday, 10:00–10:30, from Tue 17 Mar 2026" in update["Subject"]
    assert "last on Tue 07 Apr 2026" in update["Subject"]


def test_the_person_s_own_clock_is_shown_when_it_differs() -> None:
    body = mail(person_zone="America/New_York").get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Wed 25 Nov 2026, 10:00–10:30 (Europe/Berlin)" in text
    assert "Wed 25 Nov 2026, 04:00–04:30 (America/New_York)" in text


# --- properties ---------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8")
    | st.sampled_from("\r\n\t\x00\x0b\x0c\x1b\x7f\x85\u2028\u2029:;,\"'<>=?@\\"),
    max_size=60,
)


@given(
    person_name=names,
    owner_name=names,
    sequence=st.integers(0, 1000),
    method=st.sampled_from(Method),
    recurring=st.booleans(),
)
def test_any_names_make_a_valid_invitation_with_intact_headers(
    person_name: str, owner_name: str, sequence: int, method: Method, recurring: bool
) -> None:
    b = (weekly if recurring else booking)(person_name=person_name, sequence=sequence)
    owner = dataclasses.replace(OWNER, name=owner_name)
    message = itip.booking_email(
        b, owner, role=Role.PERSON, method=method, sender=CADENCE, message_id="<x@y>",
        agenda_url=AGENDA, stamp=STAMP,
    )  # fmt: skip
    parsed = reparse(message)
    assert parsed.keys() == message.keys()
    assert "Bcc" not in parsed
    for value in parsed.values():
        assert "\r" not in value and "\n" not in value
    ((_, text),) = calendar_parts(parsed)
    found = strict_calendar(text)
    (event,) = found.events
    assert event.uid == UID and event.sequence == sequence
    assert method_of(text) == method.value
    if method is Method.PUBLISH:
        assert event.attendees == []
        return
    cn = {a.uri: a.common_name for a in event.attendees}
    expected = itip.clean(person_name).replace('"', "'").replace("\\", "/")
    assert cn["mailto:alice@example.com"] == (expected or "alice@example.com")
