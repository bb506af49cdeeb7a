"""What cadence sends about replies, parsed back by independent parsers: the
proposal email's reply affordances (Reply-To, the ``mailto:`` links) and the
short answers to the owner."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

from cadence.daemon.core import answers
from cadence.daemon.core.identity import message_id, references_in
from cadence.daemon.core.incoming import parse_incoming
from cadence.daemon.core.model import ProposalStatus
from cadence.daemon.core.replies import Choice, Verb, read_choice
from cadence.daemon.core.triage import Unanswerable
from hypothesis import given
from hypothesis import strategies as st

from tests.support.proposal_emails import ALICE, OWNER, STAMP, parts, proposal, render

SECRET = b"\x01" * 32
MID = message_id(SECRET, "proposal:42:alice@example.com|2026-11-23", "cadence@example.com")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def mailtos(message: EmailMessage) -> list[str]:
    links = Links()
    links.feed(parts(message)[1])
    return [h for h in links.hrefs if h.startswith("mailto:")]


def reparsed(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_without_an_inbox_the_email_asks_for_no_reply() -> None:
    message = reparsed(render(message_id=MID))
    assert message["Reply-To"] is None
    assert mailtos(message) == []
    assert "Reply to this email" not in parts(message)[0]


def test_with_an_inbox_each_slot_has_a_mailto_link_opening_the_reply() -> None:
    message = reparsed(render(message_id=MID, reply_to="cadence@example.com"))
    assert message["Reply-To"] == "cadence@example.com"
    text, _ = parts(message)
    assert "Reply to this email with 1, 2 or 3 to book that time, or with dismiss" in text
    assert "cadence proposals accept 42 --slot 2" in text  # the command stays
    links = mailtos(message)
    assert len(links) == 4  # three slots and dismiss
    for n, link in enumerate(links, start=1):
        url = urlsplit(link)
        assert url.scheme == "mailto" and unquote(url.path) == "cadence@example.com"
        fields = parse_qs(url.query)
        assert fields["subject"] == [f"Re: {message['Subject']}"]
        (body,) = fields["body"]
        choice = read_choice(body)
        expected = Choice(Verb.BOOK, n, str(n)) if n <= 3 else Choice(Verb.DISMISS, None, "dismiss")
        assert choice == expected
        assert references_in(body) == references_in(MID)


def test_what_a_link_opens_is_a_reply_that_carries_the_secret() -> None:
    message = render(message_id=MID, reply_to="cadence@example.com")
    body = parse_qs(urlsplit(mailtos(message)[1]).query)["body"][0]
    reply = EmailMessage()
    reply["From"] = "olivia@example.com"
    reply["Message-ID"] = "<new@mail.example.com>"
    reply.set_content(body)
    mail = parse_incoming(bytes(reply))
    assert mail.references == references_in(MID)
    assert read_choice(mail.text).slot == 2


@given(st.text(min_size=1, max_size=60))
def test_any_subject_survives_the_mailto_link(name: str) -> None:
    person = ALICE.__class__(ALICE.email, name, ALICE.cadence)
    message = render(person=person, message_id=MID, reply_to="cadence@example.com")
    link = mailtos(reparsed(message))[0]
    assert parse_qs(urlsplit(link).query)["subject"] == [f"Re: {message['Subject']}"]


def answer(subject: str, lines: list[str]) -> EmailMessage:
    sent = answers.answer_email(
        OWNER,
        subject=subject,
        lines=lines,
        sender="cadence <cadence@example.com>",
        to=["olivia@example.com"],
        message_id="<cadence.answer@example.com>",
        reply_to_id="<CAJ5@mail.gmail.com>",
        references=[MID, "<CAJ5@mail.gmail.com>"],
        proposal=proposal(),
        stamp=STAMP,
    )
    return reparsed(sent)


def test_the_confirmation_of_a_booking_is_threaded_and_automatic() -> None:
    subject, lines = answers.booked_lines(
        proposal(), 2, proposal().slots[1], ALICE, OWNER, how="invited", to=ALICE.email
    )
    message = answer(subject, lines)
    assert message["Subject"] == "cadence: booked Alice Example, Thu 26 Nov 2026, 14:00–14:30"
    assert message["In-Reply-To"] == "<CAJ5@mail.gmail.com>"
    assert message["References"].split() == [MID, "<CAJ5@mail.gmail.com>"]
    assert message["Auto-Submitted"] == "auto-replied"
    body = message.get_content()
    assert "Booked: Thu 26 Nov 2026, 14:00–14:30 (Europe/Berlin), slot 2 of proposal #42" in body
    assert "The invitation went to alice@example.com; your copy came in an email" in body
    # Replying to the confirmation still carries the proposal's secret.
    assert parse_incoming(bytes(message)).references == references_in(MID)


def test_a_dismissal_is_confirmed() -> None:
    subject, lines = answers.dismissed_lines(proposal(), ALICE, OWNER)
    body = answer(subject, lines).get_content()
    assert "Dismissed proposal #42 (1:1 with Alice Example, the week of Mon 23 Nov)." in body


def test_a_reply_not_understood_says_what_was_read_and_what_works() -> None:
    choice = Choice(Verb.UNCLEAR, said="maybe Friday?")
    subject, lines = answers.unanswerable_lines(
        proposal(), ALICE, OWNER, choice, Unanswerable.NOT_UNDERSTOOD
    )
    body = answer(subject, lines).get_content()
    assert "it read “maybe Friday?”" in body
    assert "Nothing was changed." in body
    assert "Reply to this email with 1, 2 or 3 to book that time, or with dismiss" in body
    assert "  2. Thu 26 Nov 2026, 14:00–14:30" in body


def test_other_replies_that_change_nothing_say_why() -> None:
    five = Choice(Verb.BOOK, 5, "5")
    _, lines = answers.unanswerable_lines(proposal(), ALICE, OWNER, five, Unanswerable.NO_SUCH_SLOT)
    assert "asked for slot 5, but it has slots 1 to 3" in lines[0]
    two = Choice(Verb.BOOK, 2, "2")
    taken = proposal().slots[1]
    _, lines = answers.unanswerable_lines(proposal(), ALICE, OWNER, two, Unanswerable.TAKEN, taken)
    assert "(Thu 26 Nov 2026, 14:00–14:30) is no longer free" in lines[0]
    closed = proposal(status=ProposalStatus.ACCEPTED)
    _, lines = answers.unanswerable_lines(closed, ALICE, OWNER, two, Unanswerable.CLOSED)
    assert lines == [
        "Your reply to proposal #42 (1:1 with Alice Example, the week of Mon 23 Nov) changed "
        "nothing: the proposal was already booked."
    ]


def test_a_reply_that_only_asked_the_organizer_does_not_say_booked() -> None:
    subject, lines = answers.booked_lines(
        proposal(), 2, proposal().slots[1], ALICE, OWNER, how="asked", to="manager@example.com"
    )
    assert subject == (
        "asked manager@example.com to move the 1:1 with Alice Example to Thu 26 Nov 2026, "
        "14:00–14:30"
    )
    body = answer(subject, lines).get_content()
    assert "Booked" not in body and "booked" not in body
    assert "it is not moved until they move it" in body
