"""Invitation replies as Google Calendar, Outlook and Apple Calendar send them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cadence.daemon.core.incoming import parse_incoming
from cadence.daemon.core.itip_reply import ItipReply, parse_itip_reply
from hypothesis import given
from hypothesis import strategies as st

from tests.support.replies import reply_fixture

UID = "cadence-proposal-7-alice@example.com-2026-11-23"


@pytest.mark.parametrize(
    ("name", "partstat", "comment"),
    [
        ("google_itip_reply_accepted.eml", "ACCEPTED", ""),
        ("outlook_itip_reply_declined.eml", "DECLINED", "Sorry, I can't make it that day."),
        ("apple_itip_reply_tentative.eml", "TENTATIVE", ""),
    ],
)
def test_replies_of_the_big_three(name: str, partstat: str, comment: str) -> None:
    mail = parse_incoming(reply_fixture(name, UID=UID, SEQUENCE="1"))
    assert mail.sender == "alice@example.com"
    assert mail.calendars
    replies = {r for data in mail.calendars for r in parse_itip_reply(data)}
    # Google sends the same REPLY twice (inline and as invite.ics): one answer.
    assert replies == {ItipReply(UID, "alice@example.com", partstat, 1, None, comment)}


def calendar(*lines: str, method: str = "REPLY") -> bytes:
    body = "\r\n".join(lines)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:{method}\r\n"
        f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_a_reply_for_one_instance_of_a_series_names_it() -> None:
    (reply,) = parse_itip_reply(
        calendar(
            f"UID:{UID}",
            "RECURRENCE-ID;TZID=Europe/Berlin:20261201T100000",
            "DTSTAMP:20261123T090000Z",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:alice@example.com",
        )
    )
    assert reply.recurrence_id is not None
    assert isinstance(reply.recurrence_id, datetime)
    assert reply.recurrence_id.astimezone(UTC) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    (all_day,) = parse_itip_reply(
        calendar(f"UID:{UID}", "RECURRENCE-ID;VALUE=DATE:20261201",
                 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com")
    )  # fmt: skip
    assert all_day.recurrence_id == date(2026, 12, 1)


@pytest.mark.parametrize(
    "data",
    [
        calendar(f"UID:{UID}", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x", method="REQUEST"),
        calendar(f"UID:{UID}", "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:a@x"),
        calendar(f"UID:{UID}", "ATTENDEE;PARTSTAT=ACCEPTED:not-an-address"),
        calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x"),  # no UID
        calendar(f"UID:{UID}"),  # no attendee
        b"not a calendar at all",
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n",  # cut off
    ],
)
def test_what_is_no_answer_gives_none(data: bytes) -> None:
    assert parse_itip_reply(data) == []


def test_a_sequence_that_is_not_a_number_counts_as_0() -> None:
    (reply,) = parse_itip_reply(
        calendar(f"UID:{UID}", "SEQUENCE:two", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.org")
    )
    assert reply.sequence == 0


@given(st.binary(max_size=2000))
def test_any_bytes_give_no_error(data: bytes) -> None:
    parse_itip_reply(data)


@given(st.text(max_size=300))
def test_any_property_values_give_no_error(value: str) -> None:
    clean = value.replace("\r", " ").replace("\n", " ")
    for name in ("UID", "SEQUENCE", "RECURRENCE-ID", "ATTENDEE;PARTSTAT=ACCEPTED", "COMMENT"):
        parse_itip_reply(calendar(f"UID:{UID}", f"{name}:{clean}",
                                  "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.org"))  # fmt: skip
