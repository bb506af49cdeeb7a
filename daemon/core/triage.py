"""Judging an inbox message: act on it, answer it, or leave it alone (DESIGN rule 10).

Given a parsed message, the owner's addresses and the proposals its references
name, :func:`triage` returns a :class:`Verdict`. The rules, in order:

1. What cadence sent itself, and what programs send (auto-replies, bounces,
   lists), is left alone: answering those is how mail loops start.
2. An iTIP REPLY goes to the bookings (its own checks: the attendee answers
   for themself).
3. Anything else acts only when it comes from the owner's address *and*
   carries the secret of a proposal (the unguessable Message-ID of its email,
   in In-Reply-To/References or in the line the ``mailto:`` links write). A
   forged From without the secret, or the secret from someone else, is left
   alone.
4. The owner's reply books the slot it names, dismisses, or is answered with
   what was understood and what is accepted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from cadence.daemon.core.incoming import Incoming
from cadence.daemon.core.itip_reply import ItipReply, parse_itip_reply
from cadence.daemon.core.model import Proposal
from cadence.daemon.core.replies import Choice, Verb, read_choice


class Kind(StrEnum):
    IGNORE = "ignore"
    BOOK = "book"
    DISMISS = "dismiss"
    ANSWER = "answer"
    CALENDAR = "calendar"


class Unanswerable(StrEnum):
    """Why an owner's reply is answered instead of acted on."""

    NOT_UNDERSTOOD = "not understood"
    NO_SUCH_SLOT = "no such slot"
    CLOSED = "proposal closed"
    TAKEN = "slot taken"


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    why: str = ""
    proposal: Proposal | None = None
    choice: Choice | None = None
    unanswerable: Unanswerable | None = None
    replies: tuple[ItipReply, ...] = ()


def ignore(why: str) -> Verdict:
    return Verdict(Kind.IGNORE, why)


def triage(mail: Incoming, owner: Collection[str], proposals: Mapping[str, Proposal]) -> Verdict:
    """Given a message, the owner's addresses (lowercased) and the proposals found
    for its references (by reference), return what to do with it."""
    if mail.from_cadence:
        return ignore("sent by cadence")
    replies = tuple(r for data in mail.calendars for r in parse_itip_reply(data))
    if replies:
        return Verdict(Kind.CALENDAR, "an invitation reply", replies=replies)
    if mail.automatic:
        return ignore("sent automatically (auto-reply, bounce or list)")
    if mail.sender is None:
        return ignore("no single sender address")
    if mail.sender not in owner:
        return ignore("not from the owner")
    proposal = next((proposals[r] for r in mail.references if r in proposals), None)
    if proposal is None:
        return ignore("carries no proposal's secret (not a reply to a proposal email)")
    choice = read_choice(mail.text)
    if not proposal.status.live:
        return Verdict(
            Kind.ANSWER, proposal=proposal, choice=choice, unanswerable=Unanswerable.CLOSED
        )
    if choice.verb is Verb.DISMISS:
        return Verdict(Kind.DISMISS, proposal=proposal, choice=choice)
    if choice.verb is Verb.BOOK and choice.slot is not None:
        if 1 <= choice.slot <= len(proposal.slots):
            return Verdict(Kind.BOOK, proposal=proposal, choice=choice)
        return Verdict(
            Kind.ANSWER, proposal=proposal, choice=choice, unanswerable=Unanswerable.NO_SUCH_SLOT
        )
    return Verdict(
        Kind.ANSWER, proposal=proposal, choice=choice, unanswerable=Unanswerable.NOT_UNDERSTOOD
    )
