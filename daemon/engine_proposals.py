"""The engine's proposals: looking them up, accepting a slot (moving the meeting,
inviting the person, or asking the organizer) and dismissing; and the bookings
that accepting by invitation makes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from cadence.daemon.calendars import EventSpec
from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.counter import organized_by_owner
from cadence.daemon.core.dates import day_time
from cadence.daemon.core.errors import NotFoundError, SlotUnavailableError, UsageError
from cadence.daemon.core.messages import event_description, event_summary
from cadence.daemon.core.model import (
    Interval,
    Occurrence,
    Person,
    Proposal,
    ProposalStatus,
    Reason,
    Slot,
)
from cadence.daemon.core.nearest import widened
from cadence.daemon.core.reconcile import is_live, one_on_ones
from cadence.daemon.core.series import event_id, settings_of
from cadence.daemon.core.slots import slot_is_free
from cadence.daemon.cycle import CycleReport, availability, read_sources, retry_policy, slot_rules
from cadence.daemon.engine_people import EnginePeople
from cadence.daemon.invitations import Invitations
from cadence.daemon.outbox import deliver_due
from cadence.daemon.proposing import Accepted, organizers_event
from cadence.daemon.sharing import shareable_agenda_url
from cadence.daemon.store import SeriesRecord
from cadence.daemon.wiring import PERIOD_SLACK, Services, owners_calendar
from cadence.daemon.writing import series_spec

log = logging.getLogger(__name__)


class EngineProposals(EnginePeople):
    """Proposals and what accepting them arranges."""

    def proposals(self, *, include_closed: bool = False) -> list[Proposal]:
        return self.store.proposals.all(include_closed=include_closed)

    def proposal(self, proposal_id: int) -> Proposal:
        found = self.store.proposals.get(proposal_id)
        if found is None:
            raise NotFoundError(f"there is no proposal {proposal_id}; see `cadence proposals list`")
        return found

    def _live_proposal(self, proposal_id: int) -> Proposal:
        proposal = self.proposal(proposal_id)
        if not proposal.status.live:
            why = f" ({proposal.closed_reason})" if proposal.closed_reason else ""
            raise UsageError(
                f"proposal {proposal_id} is {proposal.status}{why}; nothing to do; "
                "see `cadence proposals list`"
            )
        return proposal

    def accept(
        self,
        proposal_id: int,
        number: int = 1,
        *,
        fresh: bool = False,
        within: Callable[[Accepted], None] | None = None,
    ) -> Accepted:
        """Accept slot ``number`` after checking it is still free in the latest feed
        (read now, unless ``fresh``: the sources were just read); then move the meeting
        (a writable calendar), invite the person (a feed: a booking), or, for a 1:1 the
        owner does not organize, ask its organizer to move it; return which. ``within``
        runs inside the transaction that records the acceptance, given what it did
        (raising there undoes it). Raise SlotUnavailableError when the slot is taken."""
        proposal = self._live_proposal(proposal_id)
        if not 1 <= number <= len(proposal.slots):
            raise UsageError(
                f"proposal {proposal_id} has slots 1 to {len(proposal.slots)}, not {number}"
            )
        person = self.person(proposal.person)
        now = self.clock()
        report = CycleReport(started=now)
        services = self.services()
        if not fresh:
            read_sources(services, self.people(), now, report)
        for error in report.errors:
            log.warning("could not refresh %s: %s", error["source"], error["message"])
        slot = proposal.slots[number - 1]
        if not self._still_free(services, slot, person, now):
            raise SlotUnavailableError(
                f"slot {number} of proposal {proposal_id} "
                f"({day_time(slot.start, self.config.owner.zone)}) is no longer "
                "free in your calendar; choose another with --slot"
            )
        meant = self._cancelled_occurrence(proposal, person)
        if meant is not None and not organized_by_owner(meant, self.config.owner):
            # Not the owner's meeting: moving her copy would move nothing for the
            # organizer. Ask the organizer instead.
            event = organizers_event(meant, self.writer)
            accepted = Accepted(slot, "asked", event.organizer)
            with self.store.db.transaction():
                services.mailer.ask_organizer(proposal, person, number, event, now)
                if within is not None:
                    within(accepted)
        elif self.writer is not None:
            accepted = self._write_accepted(proposal, person, number, now, meant, within)
        else:
            url = shareable_agenda_url(self.config, self.agendas, person)
            with self.store.db.transaction():
                booking = Invitations(self.config, self.store).book(
                    proposal, person, number, now, url
                )
                accepted = Accepted(slot, "invited", person.email, booking.id)
                if within is not None:
                    within(accepted)
        if now <= slot.start <= now + self.config.agenda.prepare_ahead:
            self.agendas.prepare(person, self.config.owner, slot.start)
        deliver_due(self.store.outbox, self.transport, now, retry_policy(self.config))
        return accepted

    def _write_accepted(
        self,
        proposal: Proposal,
        person: Person,
        number: int,
        now: datetime,
        meant: Occurrence | None,
        within: Callable[[Accepted], None] | None = None,
    ) -> Accepted:
        """Move the cancelled instance to the chosen slot in the calendar (or create a
        single event when there is no instance to move); Google tells the person.
        Return which it was."""
        assert self.writer is not None
        owner, slot = self.config.owner, proposal.slots[number - 1]
        # The person sees the event: only a link they can open (DESIGN rule 13).
        url = shareable_agenda_url(self.config, self.agendas, person)
        if proposal.reason is Reason.NO_SERIES:
            # Made before the calendar was writable: the slot starts the series.
            spec = series_spec(person, owner, slot.start, url)
        else:
            spec = EventSpec(
                event_id=event_id("accepted", str(proposal.id), slot.start.isoformat()),
                person=person.email,
                summary=event_summary(person, owner),
                description=event_description(person, owner, url, series=False),
                start=slot.start,
                end=slot.end,
                zone=owner.timezone,
                agenda_url=url,
            )
        moved = False
        if meant is not None and meant.recurrence_id is not None:
            moved = self.writer.move(meant.uid, meant.recurrence_id, spec)
        if not moved:
            made = self.writer.create([spec])[0]
            if isinstance(made, Exception):
                raise made
            spec = replace(spec, event_id=made)
        # The calendar write is idempotent; what it means is recorded at once.
        with self.store.db.transaction():
            if not moved and spec.recurrence:
                record = SeriesRecord(spec.event_id, person.email, settings_of(person), spec.start)
                self.store.series.add(record, now)
            if not moved and url:
                self.store.series.mark_attached([spec.event_id], person.email, url, now)
            self.store.proposals.set_status(
                proposal.id, ProposalStatus.ACCEPTED, now, accepted_slot=number
            )
            accepted = Accepted(slot, "moved" if moved else "created", person.email)
            if within is not None:
                within(accepted)
        log.info(
            "proposal #%d accepted: %s %s",
            proposal.id,
            "moved the meeting to" if moved else "created a meeting at",
            slot.start,
        )
        return accepted

    def _cancelled_occurrence(self, proposal: Proposal, person: Person) -> Occurrence | None:
        if proposal.cancelled_start is None:
            return None
        until = proposal.period.end + PERIOD_SLACK
        occurrences = owners_calendar(self.store, self.config, proposal.period.start, until)
        for occurrence in one_on_ones(person, self.config.owner, occurrences):
            if occurrence.original_start == proposal.cancelled_start:
                return occurrence
        return None

    def _still_free(self, services: Services, slot: Slot, person: Person, now: datetime) -> bool:
        config = self.config
        window = Interval(slot.start - config.schedule.buffer, slot.end + config.schedule.buffer)
        since = window.start - config.schedule.lookahead
        occurrences = owners_calendar(self.store, config, since, window.end + PERIOD_SLACK)
        day_booked = [
            o.interval
            for p in self.people()
            for o in one_on_ones(p, config.owner, occurrences)
            if is_live(o, config.owner, p)
        ]
        busy = availability(services, [person], [window], min(now, window.start))
        # An option offered outside the working hours is checked by the hours it bent.
        rules = widened(slot_rules(config)) if slot.bends == "hours" else slot_rules(config)
        return slot_is_free(
            slot,
            person,
            rules,
            now=now,
            busy=busy.owner,
            person_busy=busy.of(person),
            booked=day_booked,
        )

    def dismiss(self, proposal_id: int, *, within: Callable[[], None] | None = None) -> Proposal:
        """Dismiss the proposal; ``within`` runs inside the transaction that records it."""
        proposal = self._live_proposal(proposal_id)
        with self.store.db.transaction():
            self.store.proposals.set_status(proposal.id, ProposalStatus.DISMISSED, self.clock())
            if within is not None:
                within()
        return self.proposal(proposal_id)

    def bookings(self, *, include_closed: bool = False) -> list[Booking]:
        """What cadence arranged by invitation: the bookings still standing (invited,
        accepted, tentative), or all of them."""
        return self.store.bookings.all(include_closed=include_closed)
