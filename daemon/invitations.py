"""What cadence sends about a booking, and the booking's state with it.

A booking starts when an accepted slot is invited (a read-only calendar): one
transaction records it, accepts its proposal and queues the two invitations
(the person's REQUEST, the owner's copy; see ``core.itip`` for who is who).
From then on every change is one transaction with the emails that say it,
each under a key naming the booking, its new SEQUENCE and the recipient, so
nothing is sent twice or lost across a crash:

- an answer heard in the inbox (:meth:`Invitations.answer`): accepted,
  tentative, declined; a decline cancels the other side's copy and gives the
  gap back, so the next plan proposes anew;
- withdrawn by cadence (:meth:`Invitations.cancel`): METHOD:CANCEL to both;
- a series ended (:meth:`Invitations.end`): an update with an UNTIL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
from cadence.daemon.config import Config
from cadence.daemon.core.bookings import Booking, BookingStatus
from cadence.daemon.core.identity import installation_id, message_id
from cadence.daemon.core.itip import Method, Role, booking_email, owner_method
from cadence.daemon.core.itip_reply import ItipReply
from cadence.daemon.core.model import Partstat, Person, Proposal, ProposalStatus, Reason
from cadence.daemon.core.series import rrule, settings_of
from cadence.daemon.store import NewMail, Store

log = logging.getLogger(__name__)

_STATUS = {
    Partstat.ACCEPTED: BookingStatus.ACCEPTED,
    Partstat.TENTATIVE: BookingStatus.TENTATIVE,
    Partstat.DECLINED: BookingStatus.DECLINED,
}


@dataclass(frozen=True)
class Answered:
    """What an answer did: ``applied`` or not, and ``detail`` says what (or why not)."""

    applied: bool
    detail: str


def booking_uid(secret: bytes, proposal: Proposal, organizer: str) -> str:
    """The UID of the booking made for a proposal: unique to this installation (its
    random id), so two installations, or a state rebuilt from scratch, never share one."""
    domain = organizer.rsplit("@", 1)[-1] or "cadence.invalid"
    return f"cadence-{installation_id(secret)}-booking-{proposal.id}@{domain}"


@dataclass
class Invitations:
    config: Config
    store: Store

    @property
    def organizer(self) -> str:
        """The ORGANIZER of new bookings: the address replies reach (the inbox cadence
        reads), else the one cadence sends from."""
        return self.config.email.reply_to or self.config.email.sender

    # -- the emails ------------------------------------------------------------

    def _mail(
        self,
        booking: Booking,
        role: Role,
        method: Method,
        now: datetime,
        *,
        agenda_url: str | None = None,
        lines: Sequence[str] = (),
        person_zone: str | None = None,
        instance: datetime | None = None,
    ) -> NewMail:
        owner, email = self.config.owner, self.config.email
        which = f":{instance.isoformat()}" if instance is not None else ""
        key = f"booking:{booking.id}:{booking.sequence}:{method.value.lower()}:{role}{which}"
        mid = message_id(self.store.identity.secret(), key, email.sender)
        message = booking_email(
            booking,
            owner,
            role=role,
            method=method,
            sender=email.sender,
            message_id=mid,
            agenda_url=agenda_url,
            stamp=now,
            lines=lines,
            person_zone=person_zone,
            instance=instance,
        )
        to = booking.person if role is Role.PERSON else owner.email
        return NewMail(key, mid, (to,), bytes(message))

    def _both(
        self,
        booking: Booking,
        now: datetime,
        *,
        cancel: bool,
        agenda_url: str | None = None,
        person_lines: Sequence[str] = (),
        owner_lines: Sequence[str] = (),
        person_zone: str | None = None,
    ) -> list[NewMail]:
        """The person's and the owner's copy of a REQUEST (or update), or of a CANCEL."""
        theirs = Method.CANCEL if cancel else Method.REQUEST
        mine = Method.CANCEL if cancel else owner_method(booking, self.config.owner)
        return [
            self._mail(
                booking,
                Role.PERSON,
                theirs,
                now,
                agenda_url=agenda_url,
                lines=person_lines,
                person_zone=person_zone,
            ),
            self._mail(booking, Role.OWNER, mine, now, agenda_url=agenda_url, lines=owner_lines),
        ]

    # -- a new booking ---------------------------------------------------------

    def book(
        self, proposal: Proposal, person: Person, number: int, now: datetime, agenda_url: str | None
    ) -> Booking:
        """Accept slot ``number`` of the proposal by invitation: record the booking, mark
        the proposal accepted and queue the person's invitation and the owner's copy, in
        one transaction (joining the caller's). ``agenda_url`` must be one the person
        can open (or None). Return the booking."""
        owner = self.config.owner
        slot = proposal.slots[number - 1]
        start, end = slot.start.astimezone(owner.zone), slot.end.astimezone(owner.zone)
        recurrence = None
        if proposal.reason is Reason.NO_SERIES:
            rule = rrule(person.cadence, start)
            recurrence = icalendar.vRecur(rule).to_ical().decode()  # type: ignore[no-untyped-call]
        organizer = self.organizer
        draft = Booking(
            id=0,
            uid=booking_uid(self.store.identity.secret(), proposal, organizer),
            person=person.email,
            person_name=person.name,
            organizer=organizer,
            start=start,
            end=end,
            zone=owner.timezone,
            recurrence=recurrence,
            proposal=proposal.id,
            period=proposal.period,
            settings=settings_of(person),
            owner_partstat=(
                Partstat.ACCEPTED
                if organizer.lower() == owner.email.lower()
                else Partstat.NEEDS_ACTION
            ),
        )

        def render(booking: Booking) -> list[NewMail]:
            lines = [f"Booked from proposal #{proposal.id}, slot {number}."]
            return self._both(
                booking,
                now,
                cancel=False,
                agenda_url=agenda_url,
                owner_lines=lines,
                person_zone=person.timezone,
            )

        with self.store.db.transaction():
            booking = self.store.bookings.create(draft, render, now)
            self.store.proposals.set_status(
                proposal.id, ProposalStatus.ACCEPTED, now, accepted_slot=number
            )
        log.info(
            "proposal #%d accepted: slot %d at %s; booking #%d invited %s",
            proposal.id,
            number,
            slot.start,
            booking.id,
            person.email,
        )
        return booking

    # -- withdrawn, ended ------------------------------------------------------

    def cancel(
        self,
        booking: Booking,
        why: str,
        now: datetime,
        *,
        person_lines: Sequence[str] = ("This 1:1 is cancelled.",),
    ) -> Booking:
        """Withdraw the booking: METHOD:CANCEL to the person and the owner, with ``why``
        told to the owner; return it as it now is."""
        done = replace(
            booking,
            status=BookingStatus.CANCELLED,
            sequence=booking.sequence + 1,
            closed_reason=why,
        )
        mails = self._both(
            done, now, cancel=True, person_lines=person_lines, owner_lines=[f"Cancelled: {why}."]
        )
        self.store.bookings.save(done, mails, now)
        log.info("booking #%d with %s cancelled: %s", booking.id, booking.person, why)
        return done

    def end(self, booking: Booking, cut: datetime, why: str, now: datetime) -> Booking:
        """End a recurring booking before ``cut``: an update with an UNTIL to the person
        and the owner (the meetings before it stay); return it as it now is."""
        done = replace(booking, ends=cut, sequence=booking.sequence + 1, closed_reason=why)
        mails = self._both(
            done,
            now,
            cancel=False,
            person_lines=["This series of 1:1s ends."],
            owner_lines=[f"The series ends: {why}."],
        )
        self.store.bookings.save(done, mails, now)
        log.info("booking #%d with %s ends before %s: %s", booking.id, booking.person, cut, why)
        return done

    # -- answers ---------------------------------------------------------------

    def answer(self, booking: Booking, reply: ItipReply, role: Role, now: datetime) -> Answered:
        """Apply an attendee's answer (the person's, or the owner's own: ``role``) to
        the booking; return what it did. A decline cancels the other side's copy and
        gives the gap back; an answer to an older SEQUENCE, or to a booking that was
        withdrawn or already declined, changes nothing."""
        who = booking.person if role is Role.PERSON else "you"
        partstat = Partstat(reply.partstat.lower())
        if not booking.status.live:
            return Answered(False, f"the booking is {booking.status} already")
        if reply.sequence < booking.sequence:
            return Answered(
                False, f"answers an older version (SEQUENCE {reply.sequence} < {booking.sequence})"
            )
        if reply.recurrence_id is not None and booking.recurring:
            return self._answer_one(booking, reply, role, partstat, now)
        if role is Role.PERSON:
            done = replace(booking, person_partstat=partstat, status=_STATUS[partstat])
        else:
            done = replace(booking, owner_partstat=partstat)
            if partstat is Partstat.DECLINED:
                done = replace(done, status=BookingStatus.DECLINED)
        mails: list[NewMail] = []
        if partstat is Partstat.DECLINED:
            done = replace(
                done, sequence=booking.sequence + 1, closed_reason=f"{who} declined the invitation"
            )
            mails = self._cancel_other_copy(done, role, now)
        self.store.bookings.save(done, mails, now)
        if partstat is Partstat.DECLINED and booking.proposal is not None:
            self.store.proposals.reopen(
                booking.proposal, f"declined:{booking.id}", f"{who} declined the invitation", now
            )
        log.info("booking #%d: %s %s", booking.id, who, partstat)
        return Answered(True, f"{reply.attendee} {partstat}")

    def _answer_one(
        self, booking: Booking, reply: ItipReply, role: Role, partstat: Partstat, now: datetime
    ) -> Answered:
        """An answer for one meeting of a recurring booking: a decline frees that
        meeting's period (a gap the next plan answers); anything else changes nothing."""
        when = reply.recurrence_id
        if not isinstance(when, datetime):
            return Answered(False, "names a day, not a meeting of the series")
        if when.tzinfo is None:  # a floating time: read on the series' wall clock
            when = when.replace(tzinfo=ZoneInfo(booking.zone))
        if partstat is not Partstat.DECLINED:
            return Answered(True, f"{reply.attendee} {partstat} the meeting of {when.date()}")
        if any(d == when for d in booking.declined):
            return Answered(True, f"{reply.attendee} declined the meeting of {when.date()}")
        done = replace(booking, declined=(*booking.declined, when), sequence=booking.sequence + 1)
        mails = self._cancel_other_copy(done, role, now, instance=when)
        self.store.bookings.save(done, mails, now)
        log.info("booking #%d: the meeting of %s declined", booking.id, when)
        return Answered(True, f"{reply.attendee} declined the meeting of {when.date()}")

    def _cancel_other_copy(
        self, booking: Booking, role: Role, now: datetime, instance: datetime | None = None
    ) -> list[NewMail]:
        """After one side declined: the CANCEL that takes the meeting out of the other
        side's calendar."""
        owner = self.config.owner
        if role is Role.PERSON:
            name = booking.person_name or booking.person
            lines = [f"{name} declined; cadence proposes new times for that gap."]
            return [
                self._mail(booking, Role.OWNER, Method.CANCEL, now, lines=lines, instance=instance)
            ]
        lines = [f"{owner.name or owner.email} cannot make it; a new time will follow."]
        return [
            self._mail(booking, Role.PERSON, Method.CANCEL, now, lines=lines, instance=instance)
        ]
