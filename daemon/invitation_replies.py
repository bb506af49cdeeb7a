"""A person's answer to an invitation cadence sent: where it lands.

:func:`apply_reply` is the one place an iTIP REPLY read from the inbox takes
effect. It runs inside the transaction that records the inbox message, so its
writes (the booking's new state, a cancellation it sends, the gap it gives
back) and that record commit together: a crash before the commit leaves the
message to be read again, after it the reply is never applied twice.

The REPLY names the booking by its UID. It counts only when the attendee who
answers is one cadence invited (the person, or the owner answering her own
copy) and the email comes from that attendee; an answer to an older SEQUENCE
than the booking's is stale and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.core.itip import Role
from cadence.daemon.core.itip_reply import ItipReply
from cadence.daemon.invitations import Invitations


@dataclass(frozen=True)
class ReplyOutcome:
    """What an invitation reply did: ``applied`` or not, and ``detail`` says what (or
    why nothing); ``proposal`` and ``booking`` name what it was about."""

    applied: bool
    detail: str
    proposal: int | None = None
    booking: int | None = None


def apply_reply(
    invitations: Invitations, reply: ItipReply, sender: str | None, now: datetime
) -> ReplyOutcome:
    """Given an attendee's answer and who sent the email, apply it to the booking it
    answers; return what happened."""
    booking = invitations.store.bookings.by_uid(reply.uid)
    if booking is None:
        return ReplyOutcome(False, "no booking with that UID")
    ids = {"proposal": booking.proposal, "booking": booking.id}
    owner = invitations.config.owner.email.lower()
    if reply.attendee == booking.person.lower():
        role = Role.PERSON
    elif reply.attendee == owner:
        role = Role.OWNER
    else:
        return ReplyOutcome(False, f"{reply.attendee} was not invited", **ids)
    if sender is not None and sender != reply.attendee:
        return ReplyOutcome(False, "the email is not from the attendee who answers", **ids)
    answered = invitations.answer(booking, reply, role, now)
    return ReplyOutcome(answered.applied, answered.detail, **ids)
