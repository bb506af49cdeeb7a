"""Turning gaps into proposals and proposals into emails and invitations.

Every email is rendered inside the transaction that records its reason (the
new proposal, the acceptance) and queued in the outbox under a key derived
from that reason, so it exists exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.calendars import CalendarWriter
from cadence.daemon.config import Config
from cadence.daemon.core.counter import OrganizersEvent, move_request_email
from cadence.daemon.core.identity import message_id
from cadence.daemon.core.messages import WebLinks, alert_email, proposal_email
from cadence.daemon.core.model import Gap, Occurrence, Person, Proposal, ProposalStatus, Slot
from cadence.daemon.sharing import shareable_agenda_url
from cadence.daemon.store import NewMail, Store
from cadence.daemon.web_addresses import EMAIL_SIGN_IN, WebAddresses

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    """What accepting a slot did: ``how`` is "moved" (the meeting, in the owner's
    calendar), "created" (a new meeting there), "invited" (an invitation emailed to
    the person: ``booking`` names it) or "asked" (the organizer, ``to``, asked by
    email to move their meeting: nothing was moved)."""

    slot: Slot
    how: str
    to: str
    booking: int | None = None


def organizers_event(meant: Occurrence, writer: CalendarWriter | None) -> OrganizersEvent:
    """Given an occurrence someone else organizes, return it as its organizer knows it:
    a writable calendar (Google) is asked for its iCalendar UID and sequence; a feed's
    UID and SEQUENCE are those already."""
    assert meant.organizer is not None
    uid, sequence = meant.uid, meant.sequence or None
    if writer is not None:
        uid, sequence = writer.identity(meant.uid, meant.recurrence_id)
    return OrganizersEvent(
        uid=uid,
        organizer=meant.organizer,
        start=meant.original_start,
        end=meant.original_start + (meant.end - meant.start),
        recurrence_id=meant.recurrence_id,
        sequence=sequence,
    )


@dataclass
class ProposalMailer:
    config: Config
    store: Store
    agendas: AgendaBackend
    # The web app's addresses: each slot then links to its confirm page.
    web: WebAddresses | None = None

    def _agenda_url(self, person: Person) -> str | None:
        return self.agendas.ensure(person, self.config.owner)

    def create(
        self,
        person: Person,
        gap: Gap,
        slots: Sequence[Slot],
        now: datetime,
        notes: Sequence[str] = (),
        *,
        no_free_time: bool = False,
    ) -> bool:
        """Record a proposal for the gap with its email queued (``notes`` are said in the
        email; with ``no_free_time`` the slots are the nearest options for a gap no slot
        fits, and the email says so); return False if the gap already had one (then
        nothing is written)."""
        agenda_url = self._agenda_url(person)
        email = self.config.email
        draft = Proposal(
            id=0,
            gap_key=gap.key,
            person=person.email,
            reason=gap.reason,
            status=ProposalStatus.OPEN,
            period=gap.period,
            slots=tuple(slots),
            cancelled_start=gap.occurrence.original_start if gap.occurrence else None,
            created_at=now,
            notes=tuple(notes),
            no_free_time=no_free_time,
        )

        def render(proposal: Proposal) -> NewMail:
            key = f"proposal:{proposal.id}:{proposal.gap_key}"
            mid = message_id(self.store.identity.secret(), key, email.sender)
            message = proposal_email(
                proposal,
                person,
                self.config.owner,
                sender=email.sender,
                to=email.to,
                message_id=mid,
                agenda_url=agenda_url,
                reply_to=email.reply_to,
                web=self._web_links(proposal, now),
            )
            return NewMail(key, mid, email.to, bytes(message))

        created = self.store.proposals.create(draft, render, now)
        if created is None:
            return False
        log.info(
            "proposal #%d for %s (%s, period from %s): %d slots",
            created.id,
            person.email,
            gap.reason,
            gap.period.start.date(),
            len(slots),
        )
        return True

    def _web_links(self, proposal: Proposal, now: datetime) -> WebLinks | None:
        if self.web is None:
            return None
        return WebLinks(
            slots=tuple(
                self.web.proposal(proposal, str(n)) for n in range(1, len(proposal.slots) + 1)
            ),
            dismiss=self.web.proposal(proposal, "dismiss"),
            sign_in=self.web.sign_in(now + EMAIL_SIGN_IN),
        )

    def ask_organizer(
        self, proposal: Proposal, person: Person, number: int, event: OrganizersEvent, now: datetime
    ) -> None:
        """Mark the proposal accepted and queue the email asking the event's organizer to
        move it to slot ``number``, with a copy to the owner."""
        slot = proposal.slots[number - 1]
        owner, email = self.config.owner, self.config.email
        key = f"ask-organizer:{proposal.id}:{proposal.sequence}"
        mid = message_id(self.store.identity.secret(), key, email.sender)
        message = move_request_email(
            event,
            slot,
            person,
            owner,
            sender=email.sender,
            message_id=mid,
            agenda_url=shareable_agenda_url(self.config, self.agendas, person),
            stamp=now,
        )
        self.store.proposals.set_status(
            proposal.id,
            ProposalStatus.ACCEPTED,
            now,
            accepted_slot=number,
            mail=NewMail(key, mid, (event.organizer, owner.email), bytes(message)),
        )
        log.info(
            "proposal #%d accepted: asked %s to move their meeting to %s",
            proposal.id,
            event.organizer,
            slot.start,
        )

    def alert(self, key: str, subject: str, text: str, now: datetime) -> None:
        """Queue an email to the owner about something only they can fix; once per key."""
        email = self.config.email
        mid = message_id(self.store.identity.secret(), f"alert:{key}", email.sender)
        message = alert_email(
            self.config.owner,
            sender=email.sender,
            to=email.to,
            subject=subject,
            text=text,
            message_id=mid,
        )
        self.store.outbox.enqueue(NewMail(f"alert:{key}", mid, email.to, bytes(message)), now)
