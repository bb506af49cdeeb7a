"""Who may act through the inbox (DESIGN rule 10): only the owner, only with the secret."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cadence.daemon.core.incoming import Incoming, parse_incoming
from cadence.daemon.core.model import Period, Proposal, ProposalStatus, Reason, Slot
from cadence.daemon.core.triage import Kind, Unanswerable, triage
from hypothesis import given
from hypothesis import strategies as st

from tests.support.replies import mailto_reply, reply_fixture

REFERENCE = "0123456789abcdef0123456789abcdef"
PROPOSAL_ID = f"<cadence.{REFERENCE}@example.com>"
OWNER = frozenset({"olivia@example.com"})
START = datetime(2026, 11, 23, tzinfo=UTC)
PROPOSAL = Proposal(
    id=4,
    gap_key="alice@example.com|2026-11-23",
    person="alice@example.com",
    reason=Reason.CANCELLED,
    status=ProposalStatus.SENT,
    period=Period(START, START + timedelta(weeks=1)),
    slots=tuple(
        Slot(START + timedelta(days=d, hours=13), START + timedelta(days=d, hours=13, minutes=30))
        for d in (1, 2, 3)
    ),
)
KNOWN = {REFERENCE: PROPOSAL}


def gmail(choice: str = "2", **values: str) -> Incoming:
    values = {"PROPOSAL_MESSAGE_ID": PROPOSAL_ID, **values}
    return parse_incoming(reply_fixture("gmail_reply_quoted.eml", CHOICE=choice, **values))


def test_the_owners_reply_with_the_secret_books_the_slot() -> None:
    verdict = triage(gmail("2"), OWNER, KNOWN)
    assert verdict.kind is Kind.BOOK
    assert verdict.proposal == PROPOSAL
    assert verdict.choice is not None and verdict.choice.slot == 2


def test_the_secret_may_come_in_the_body_as_the_mailto_links_put_it() -> None:
    verdict = triage(parse_incoming(mailto_reply("dismiss", PROPOSAL_ID)), OWNER, KNOWN)
    assert verdict.kind is Kind.DISMISS


def test_the_owners_address_is_compared_as_an_address() -> None:
    verdict = triage(gmail("3", OWNER="Olivia@EXAMPLE.com"), OWNER, KNOWN)
    assert verdict.kind is Kind.BOOK


def test_a_forged_sender_with_the_secret_does_not_act() -> None:
    verdict = triage(gmail("2", OWNER="mallory@example.net"), OWNER, KNOWN)
    assert (verdict.kind, verdict.why) == (Kind.IGNORE, "not from the owner")


def test_the_owners_address_without_the_secret_does_not_act() -> None:
    no_secret = gmail("2", PROPOSAL_MESSAGE_ID="<somewhere@mail.example.com>")
    verdict = triage(no_secret, OWNER, KNOWN)
    assert verdict.kind is Kind.IGNORE
    assert "secret" in verdict.why
    # A reference of the right shape that names no proposal of this installation:
    guessed = gmail("2", PROPOSAL_MESSAGE_ID=f"<cadence.{'f' * 32}@example.com>")
    assert triage(guessed, OWNER, KNOWN).kind is Kind.IGNORE


def test_cadences_own_and_automatic_mail_never_act() -> None:
    own = replace(gmail("2"), from_cadence=True)
    assert triage(own, OWNER, KNOWN).why == "sent by cadence"
    vacation = replace(gmail("2"), automatic=True)
    assert triage(vacation, OWNER, KNOWN).kind is Kind.IGNORE


def test_what_cannot_be_done_is_answered() -> None:
    unclear = triage(gmail("Can we do Friday?"), OWNER, KNOWN)
    assert (unclear.kind, unclear.unanswerable) == (Kind.ANSWER, Unanswerable.NOT_UNDERSTOOD)
    no_slot = triage(gmail("5"), OWNER, KNOWN)
    assert (no_slot.kind, no_slot.unanswerable) == (Kind.ANSWER, Unanswerable.NO_SUCH_SLOT)
    closed = {REFERENCE: replace(PROPOSAL, status=ProposalStatus.ACCEPTED)}
    late = triage(gmail("2"), OWNER, closed)
    assert (late.kind, late.unanswerable) == (Kind.ANSWER, Unanswerable.CLOSED)


def test_an_invitation_reply_goes_to_the_bookings() -> None:
    mail = parse_incoming(reply_fixture("google_itip_reply_accepted.eml"))
    verdict = triage(mail, OWNER, {})
    assert verdict.kind is Kind.CALENDAR
    assert [r.partstat for r in verdict.replies] == ["ACCEPTED", "ACCEPTED"]


@given(
    sender=st.emails(),
    choice=st.sampled_from(["1", "2", "dismiss", "slot 3"]),
    secret=st.booleans(),
)
def test_only_the_owner_with_the_secret_ever_acts(sender: str, choice: str, secret: bool) -> None:
    mid = PROPOSAL_ID if secret else "<elsewhere@mail.example.com>"
    mail = parse_incoming(mailto_reply(choice, mid, sender=sender))
    verdict = triage(mail, OWNER, KNOWN)
    acts = verdict.kind in (Kind.BOOK, Kind.DISMISS, Kind.ANSWER)
    assert acts == (secret and sender.lower() in OWNER)
