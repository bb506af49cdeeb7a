"""A person's answer to an invitation cadence sent: where it lands.

:func:`apply_reply` is the one place an iTIP REPLY read from the inbox takes
effect. It runs inside the transaction that records the inbox message, so its
writes and that record commit together.

Today it recognises the invitation sent for an accepted proposal (its UID is
``Proposal.invitation_uid``) and reports the answer; nothing else changes yet.
The bookings (DESIGN: "booking", rules 8-10) plug in here: look the UID up
among the bookings instead, ignore a reply whose SEQUENCE is older than the
booking's, set the booking to accepted/tentative/declined, and on a decline
reopen the gap so that the next plan makes a new proposal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.core.itip_reply import ItipReply
from cadence.daemon.core.model import ProposalStatus
from cadence.daemon.store import Store

log = logging.getLogger(__name__)

_PROPOSAL_UID = re.compile(r"^cadence-proposal-(\d{1,12})-")


@dataclass(frozen=True)
class ReplyOutcome:
    """What an invitation reply did: ``applied`` or not, and ``detail`` says what (or
    why nothing); ``proposal`` and ``booking`` name what it was about."""

    applied: bool
    detail: str
    proposal: int | None = None
    booking: int | None = None


def apply_reply(store: Store, reply: ItipReply, sender: str | None, now: datetime) -> ReplyOutcome:
    """Given an attendee's answer and who sent the email, apply it to what cadence
    arranged; return what happened."""
    found = _PROPOSAL_UID.match(reply.uid)
    proposal = store.proposals.get(int(found.group(1))) if found else None
    if (
        proposal is None
        or proposal.invitation_uid != reply.uid
        or proposal.status is not ProposalStatus.ACCEPTED
    ):
        return ReplyOutcome(False, "no booking with that UID")
    if reply.attendee != proposal.person.lower():
        return ReplyOutcome(False, f"{reply.attendee} was not invited", proposal.id)
    if sender is not None and sender != reply.attendee:
        return ReplyOutcome(False, "the email is not from the attendee who answers", proposal.id)
    answer = reply.partstat.lower()
    log.info("%s %s the invitation of proposal #%d", reply.attendee, answer, proposal.id)
    return ReplyOutcome(True, f"{reply.attendee} {answer}", proposal.id)
