"""The short emails that answer the owner's replies: what was done, or why not.

Each is plain text, threaded under the reply it answers (In-Reply-To, and
References naming the proposal email too, so replying to an answer still
carries the proposal's secret) and marked ``Auto-Submitted: auto-replied``
(RFC 3834) so that vacation responders leave it alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from cadence.daemon.core.headers import mailbox, set_addresses
from cadence.daemon.core.messages import clean, period_text, slot_text
from cadence.daemon.core.model import Owner, Person, Proposal, ProposalStatus, Slot
from cadence.daemon.core.replies import Choice
from cadence.daemon.core.reply_links import reply_hint
from cadence.daemon.core.triage import Unanswerable

_CLOSED = {
    ProposalStatus.ACCEPTED: "was already booked",
    ProposalStatus.DISMISSED: "was dismissed",
    ProposalStatus.SUPERSEDED: "is closed: the calendar filled the gap by itself",
    ProposalStatus.EXPIRED: "is closed: its period has ended",
}


def _name(person: Person) -> str:
    return clean(person.name) or clean(person.email)


def _about(proposal: Proposal, person: Person, owner: Owner) -> str:
    period = period_text(proposal, person, owner)
    return f"proposal #{proposal.id} (1:1 with {_name(person)}, {period})"


def answer_email(
    owner: Owner,
    *,
    subject: str,
    lines: Sequence[str],
    sender: str,
    to: Sequence[str],
    message_id: str,
    reply_to_id: str | None,
    references: Sequence[str],
    proposal: Proposal,
    stamp: datetime,
) -> EmailMessage:
    """Given what to say, return the email to the owner, threaded under her reply."""
    message = EmailMessage()
    set_addresses(message, "From", [mailbox(clean(sender))])
    set_addresses(message, "To", [mailbox(clean(a)) for a in to])
    message["Subject"] = f"cadence: {clean(subject)}"
    message["Message-ID"] = message_id
    if reply_to_id:
        message["In-Reply-To"] = reply_to_id
    chain = [r for r in dict.fromkeys(references) if r]
    if chain:
        message["References"] = " ".join(chain)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Cadence-Proposal"] = str(proposal.id)
    message["Date"] = format_datetime(stamp.astimezone(owner.zone))
    body = "\n".join(lines).strip()
    first = clean(owner.name) or "there"
    message.set_content(f"Hello {first},\n\n{body}\n\n-- cadence\n")
    return message


def booked_lines(
    proposal: Proposal,
    number: int,
    slot: Slot,
    person: Person,
    owner: Owner,
    *,
    how: str,
    to: str = "",
) -> tuple[str, list[str]]:
    """The subject and lines saying what the owner's reply choosing slot ``number`` did:
    ``how`` is "invited" (an invitation to the person), "moved" or "created" (in her
    calendar) or "asked" (the meeting is ``to``'s: they were asked to move it, and
    nothing is booked until they do)."""
    when = slot_text(proposal, slot, person, owner)
    about = f"slot {number} of {_about(proposal, person, owner)}"
    if how == "asked":
        organizer = clean(to) or clean(person.email)
        lines = [
            f"Asked {organizer} to move the 1:1 to {when} ({owner.zone.key}), {about}.",
            f"It is {organizer}'s meeting, so it is not moved until they move it; "
            "your calendar changes when they do.",
        ]
        return f"asked {organizer} to move the 1:1 with {_name(person)} to {when}", lines
    done = f"It is in your calendar, and {_name(person)} was told."
    if how == "invited":
        done = (
            f"The invitation went to {clean(person.email)}; your copy came in an email of "
            "its own: accept it to put the 1:1 into your calendar."
        )
    lines = [f"Booked: {when} ({owner.zone.key}), {about}.", done]
    return f"booked {_name(person)}, {when}", lines


def dismissed_lines(proposal: Proposal, person: Person, owner: Owner) -> tuple[str, list[str]]:
    """The subject and lines saying the owner's reply dismissed the proposal."""
    lines = [
        f"Dismissed {_about(proposal, person, owner)}.",
        "cadence proposes no other time for that gap.",
    ]
    return f"dismissed the proposal for {_name(person)}", lines


def unanswerable_lines(
    proposal: Proposal,
    person: Person,
    owner: Owner,
    choice: Choice | None,
    why: Unanswerable,
    taken: Slot | None = None,
) -> tuple[str, list[str]]:
    """The subject and lines saying why a reply changed nothing, and what works."""
    about = _about(proposal, person, owner)
    said = clean(choice.said) if choice else ""
    count = len(proposal.slots)
    if why is Unanswerable.CLOSED:
        state = _CLOSED.get(proposal.status, f"is {proposal.status}")
        return f"{_name(person)}: nothing to do", [
            f"Your reply to {about} changed nothing: the proposal {state}."
        ]
    if why is Unanswerable.TAKEN and taken is not None and choice and choice.slot:
        when = slot_text(proposal, taken, person, owner)
        lines = [
            f"Slot {choice.slot} of {about} ({when}) is no longer free in your calendar; "
            "nothing was booked."
        ]
    elif why is Unanswerable.NO_SUCH_SLOT and choice and choice.slot:
        lines = [
            f"Your reply to {about} asked for slot {choice.slot}, but it has "
            + (f"slots 1 to {count}." if count > 1 else "only slot 1.")
            + " Nothing was changed."
        ]
    else:
        read = f"“{said}”" if said else "no text above the quoted email"
        lines = [
            f"cadence did not understand your reply to {about}: it read {read}.",
            "Nothing was changed.",
        ]
    lines += ["", reply_hint(count)]
    for n, slot in enumerate(proposal.slots, start=1):
        lines.append(f"  {n}. {slot_text(proposal, slot, person, owner)}")
    return f"{_name(person)}: your reply changed nothing", lines
