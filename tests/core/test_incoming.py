"""Inbox messages parsed: replies as Gmail, Outlook and Apple Mail write them, and
whatever else arrives (hostile or broken), without an error."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from cadence.daemon.core.incoming import parse_incoming
from cadence.daemon.core.replies import Verb, read_choice
from hypothesis import given
from hypothesis import strategies as st

from tests.support.replies import mailto_reply, reply_fixture

PROPOSAL = "<cadence.0123456789abcdef0123456789abcdef@example.com>"
REFERENCE = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("name", "choice", "verb", "slot"),
    [
        ("gmail_reply_quoted.eml", "2", Verb.BOOK, 2),
        ("gmail_reply_quoted.eml", "dismiss", Verb.DISMISS, None),
        ("outlook_reply_quoted.eml", "Slot 3 please", Verb.BOOK, 3),
        ("outlook_reply_html_only.eml", "dismiss", Verb.DISMISS, None),
        ("outlook_reply_html_only.eml", "1", Verb.BOOK, 1),
        ("apple_mail_reply_quoted.eml", "1", Verb.BOOK, 1),
        ("apple_mail_reply_quoted.eml", "Can we do Friday instead?", Verb.UNCLEAR, None),
    ],
)
def test_replies_from_mail_clients(name: str, choice: str, verb: Verb, slot: int | None) -> None:
    mail = parse_incoming(reply_fixture(name, CHOICE=choice, PROPOSAL_MESSAGE_ID=PROPOSAL))
    assert mail.sender == "olivia@example.com"
    assert mail.replied_to[0] == PROPOSAL
    assert mail.references == [REFERENCE]
    assert not mail.automatic and not mail.from_cadence
    assert mail.message_id is not None and mail.key == mail.message_id
    found = read_choice(mail.text)
    assert (found.verb, found.slot) == (verb, slot)


def test_a_reply_made_by_a_mailto_link_carries_the_reference_in_its_body() -> None:
    raw = mailto_reply("3", PROPOSAL, signature="-- \nOlivia Owner\nVP Engineering")
    mail = parse_incoming(raw)
    assert mail.replied_to == ()
    assert mail.references == [REFERENCE]
    assert read_choice(mail.text).slot == 3


def _message(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = "<m1@example.com>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("2\n")
    return message


def test_automatic_mail_is_recognised() -> None:
    assert parse_incoming(bytes(_message(Auto_Submitted="auto-replied"))).automatic
    assert not parse_incoming(bytes(_message(Auto_Submitted="no"))).automatic
    assert parse_incoming(bytes(_message(Precedence="bulk"))).automatic
    assert parse_incoming(bytes(_message(X_Autoreply="yes"))).automatic
    assert parse_incoming(bytes(_message(List_Id="<team.lists.example.com>"))).automatic


def test_cadences_own_mail_is_recognised() -> None:
    assert parse_incoming(bytes(_message(X_Cadence_Proposal="3"))).from_cadence
    own = EmailMessage()
    own["Message-ID"] = PROPOSAL
    own.set_content("x")
    assert parse_incoming(bytes(own)).from_cadence


def test_there_is_one_sender_or_none() -> None:
    assert parse_incoming(bytes(_message(From="Olivia <OLIVIA@Example.com>"))).sender == (
        "olivia@example.com"
    )
    two = _message(From="a@example.com, b@example.com")
    assert parse_incoming(bytes(two)).sender is None
    assert parse_incoming(b"Subject: no sender\r\n\r\n2\r\n").sender is None


def test_a_message_without_message_id_is_known_by_its_bytes() -> None:
    raw = b"From: olivia@example.com\r\nSubject: x\r\n\r\n2\r\n"
    first, again = parse_incoming(raw), parse_incoming(raw)
    assert first.message_id is None
    assert first.key.startswith("sha256:") and first.key == again.key
    assert parse_incoming(raw + b"\r\n").key != first.key


def test_encoded_words_and_unknown_charsets_are_read() -> None:
    raw = (
        b"From: =?utf-8?q?Olivia_=C3=96wner?= <olivia@example.com>\r\n"
        b"Subject: =?x-unknown?q?Re=3A_x?=\r\nMessage-ID: <a@b>\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\n2\r\n"
    )
    mail = parse_incoming(raw)
    assert mail.sender == "olivia@example.com"
    assert read_choice(mail.text).slot == 2


@given(st.binary(max_size=3000))
def test_any_bytes_are_parsed_without_error(raw: bytes) -> None:
    parse_incoming(raw)


@given(st.text(max_size=1000))
def test_any_header_text_is_parsed_without_error(value: str) -> None:
    safe = value.replace("\r", " ").replace("\n", " ")
    for header in ("From", "Message-ID", "In-Reply-To", "References", "Content-Type"):
        raw = f"{header}: {safe}\r\nSubject: x\r\n\r\nbody\r\n".encode("utf-8", "surrogateescape")
        parse_incoming(raw)
