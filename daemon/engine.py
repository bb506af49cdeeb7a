"""The engine's front door: everything the CLI (and the service) can ask for.

Given a Config and a clock, :class:`Engine` builds the adapters once and offers
the operations behind each command. It returns values and raises
CadenceError subclasses; it never prints.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from cadence.daemon.adherence import DEFAULT_WEEKS, load_report
from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.agendas.markdown import MarkdownAgendas
from cadence.daemon.agendas.none import NoAgendas
from cadence.daemon.calendars import Calendar, CalendarWriter, EventSpec
from cadence.daemon.calendars.google import GoogleCalendar
from cadence.daemon.calendars.google_writes import GoogleWriter
from cadence.daemon.calendars.ics import IcsCalendar
from cadence.daemon.clock import Clock, system_clock
from cadence.daemon.config import Config
from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.counter import organized_by_owner
from cadence.daemon.core.dates import day_time
from cadence.daemon.core.errors import (
    CadenceError,
    ConfigError,
    NotFoundError,
    Problem,
    SlotUnavailableError,
    SourceError,
    UsageError,
)
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
from cadence.daemon.core.report import Report
from cadence.daemon.core.series import event_id, settings_of
from cadence.daemon.core.slots import slot_is_free
from cadence.daemon.core.urls import feed_url_problem
from cadence.daemon.credentials import credential, private_file
from cadence.daemon.cycle import (
    CycleReport,
    availability,
    read_sources,
    retry_policy,
    run_cycle,
    slot_rules,
)
from cadence.daemon.google.api import service
from cadence.daemon.google.auth import authorize, load_credentials
from cadence.daemon.inbox import INBOX_SOURCE, InboxReport, build_inbox, check_inbox
from cadence.daemon.interrupts import Stopping
from cadence.daemon.invitations import Invitations
from cadence.daemon.mail import Transport
from cadence.daemon.mail.inbox import Inbox
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.mail.smtp import SmtpTransport
from cadence.daemon.outbox import Delivery, deliver_due
from cadence.daemon.people_changes import (
    FITTING,
    PersonChange,
    refuse_name,
    refuse_new,
    refuse_pause,
    warnings_for,
    withdraw_stale,
)
from cadence.daemon.proposing import Accepted, ProposalMailer, organizers_event
from cadence.daemon.queued_mail import QueuedEmail, confirm, listing, resend, unconfirmed
from cadence.daemon.sharing import shareable_agenda_url
from cadence.daemon.steps import unexpected
from cadence.daemon.store import SeriesRecord, Store
from cadence.daemon.web_addresses import WebAddresses, WebAgendas
from cadence.daemon.wiring import HISTORY, OWNER_SOURCE, PERIOD_SLACK, Services, owners_calendar
from cadence.daemon.writing import series_spec

log = logging.getLogger(__name__)


def _check_busy_feed(person: Person) -> None:
    problem = feed_url_problem(person.busy_feed) if person.busy_feed else None
    if problem:
        raise UsageError(f"the busy feed of {person.email}: {problem}")


class Engine:
    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or system_clock()

    # -- adapters, built on first use ------------------------------------------

    @cached_property
    def store(self) -> Store:
        return Store(self.config.state_path)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    @cached_property
    def calendar(self) -> Calendar:
        if self.config.calendar_backend == "google":
            google = self.config.google
            return GoogleCalendar(
                lambda: service("calendar", "v3", load_credentials(google)),
                google.calendar_id,
                self.config.owner.zone,
                self.config.owner.email,
            )
        if self.config.ics is None:
            raise ConfigError(
                [Problem("calendar.ics.url", "missing; the ics backend needs a feed")]
            )
        ics = self.config.ics
        return IcsCalendar(
            ics.url,
            default_zone=self.config.owner.zone,
            timeout=ics.timeout.total_seconds(),
            max_bytes=ics.max_bytes,
            base_dir=self.config.base_dir,
        )

    @cached_property
    def writer(self) -> CalendarWriter | None:
        """The owner's calendar to write to, when it is writable (Google)."""
        if self.config.calendar_backend != "google":
            return None
        calendar = self.calendar
        assert isinstance(calendar, GoogleCalendar)
        return GoogleWriter(calendar, attach_files=self.config.agenda.backend == "google-docs")

    def busy_feed(self, person: Person) -> Calendar:
        assert person.busy_feed
        ics = self.config.ics
        return IcsCalendar(
            person.busy_feed,
            default_zone=person.zone or self.config.owner.zone,
            timeout=ics.timeout.total_seconds() if ics else 20.0,
            max_bytes=ics.max_bytes if ics else 20_000_000,
            base_dir=self.config.base_dir,
            setting=f"the busy feed of {person.email}",
        )

    @cached_property
    def transport(self) -> Transport:
        email = self.config.email
        if email.transport == "maildir":
            assert email.maildir is not None
            return MaildirTransport(email.maildir)
        smtp = email.smtp
        password = credential(
            "smtp-password", "CADENCE_SMTP_PASSWORD", smtp.password_file, "email.smtp.password_file"
        )
        return SmtpTransport(
            smtp.host,
            smtp.port,
            smtp.security,  # type: ignore[arg-type]
            username=smtp.username,
            password=password,
            timeout=smtp.timeout.total_seconds(),
        )

    @cached_property
    def inbox(self) -> Inbox:
        """The inbox replies are read from; raise UsageError when there is none."""
        return build_inbox(self.config)

    @cached_property
    def web_addresses(self) -> WebAddresses | None:
        """The web app's signed addresses, when it is on and has a base_url."""
        return WebAddresses.of(self.config, self.store) if self.config.web.links else None

    @cached_property
    def agendas(self) -> AgendaBackend:
        agenda = self.config.agenda
        if agenda.backend == "markdown":
            files = MarkdownAgendas(agenda.directory, agenda.base_url, self.config.owner.zone)
            if self.web_addresses is not None:
                return WebAgendas(files, self.web_addresses, self.clock)
            return files
        if agenda.backend == "none":
            return NoAgendas()
        if agenda.backend == "google-docs" and self.config.calendar_backend == "google":
            from cadence.daemon.agendas.google_docs import GoogleDocsAgendas, google_clients

            google = self.config.google
            return GoogleDocsAgendas(
                lambda: google_clients(load_credentials(google)),
                self.store.documents,
                self.config.owner.zone,
                self.clock,
            )
        raise ConfigError(
            [Problem("agenda.backend", "google-docs needs calendar.backend = google")]
        )

    def services(
        self, store: Store | None = None, heartbeat: Callable[[], None] | None = None
    ) -> Services:
        store = store or self.store
        services = Services(
            config=self.config,
            store=store,
            calendar=self.calendar,
            busy_feed=self.busy_feed,
            agendas=self.agendas,
            transport=self.transport,
            mailer=ProposalMailer(self.config, store, self.agendas, self.web_addresses),
            writer=self.writer,
        )
        if heartbeat is not None:
            services.heartbeat = heartbeat
        return services

    def authorize_google(self, *, open_browser: bool, say: Callable[[str], None]) -> None:
        """Run Google's installed-app flow and save the token (``cadence auth google``);
        ``say`` shows the user what to do. Raise ConfigError when the config cannot
        hold a token."""
        config = self.config
        google = config.google
        if google.service_account is not None:
            say(
                "calendar.google.service_account is set: cadence acts as "
                f"{google.subject} through the service account; nothing to authorize."
            )
            return
        if google.client_secrets is None:
            raise ConfigError(
                [
                    Problem(
                        "calendar.google.client_secrets", "missing; the OAuth client JSON to use"
                    )
                ],
                source=str(config.path),
            )
        if google.token is None:
            raise ConfigError(
                [Problem("calendar.google.token", "missing; where to save the authorization")],
                source=str(config.path),
            )
        authorize(google.client_secrets, google.token, open_browser=open_browser, say=say)

    # -- people -------------------------------------------------------------

    def people(self) -> list[Person]:
        return self.store.people.all()

    def person(self, email: str) -> Person:
        found = self.store.people.get(email)
        if found is None:
            raise NotFoundError(f"{email} is not a person here; see `cadence person list`")
        return found

    def add_person(self, person: Person) -> PersonChange:
        """Start tracking ``person``; raise UsageError for the owner's own address, an
        empty name, a busy feed that cannot be read or someone already tracked. The
        change says what does not fit the working hours."""
        now, owner = self.clock(), self.config.owner
        refuse_new(person, owner)
        _check_busy_feed(person)
        local_today = now.astimezone(owner.zone).date()
        person = replace(person, name=person.name.strip(), anchor=local_today)
        if not self.store.people.add(person, now):
            raise UsageError(
                f"{person.email} is already a person here; change them with `cadence person set`"
            )
        self._people_changed()
        return PersonChange(person, warnings=warnings_for(person, self.config, now))

    def update_person(self, email: str, **changes: Any) -> PersonChange:
        """Change what ``changes`` gives; withdraw the open proposals the change makes
        stale (new settings, a pause). Raise NotFoundError for someone unknown."""
        before = self.person(email)
        refuse_name(str(changes.get("name", before.name)), before.email)
        person, now = replace(before, **changes), self.clock()
        _check_busy_feed(person)
        self.store.people.update(person, now)
        withdrawn = withdraw_stale(self.store, before, person, now, self.config.owner.zone)
        self._people_changed()
        fits = FITTING & set(changes)
        return PersonChange(
            person, withdrawn, warnings_for(person, self.config, now) if fits else ()
        )

    def pause(self, email: str, until: date | None) -> PersonChange:
        """Hold the person's 1:1s until ``until`` (a local date), or until resumed;
        raise UsageError for a date that is not in the future."""
        refuse_pause(until, self.clock().astimezone(self.config.owner.zone).date())
        return self.update_person(email, paused=True, paused_until=until)

    def resume(self, email: str) -> PersonChange:
        """End a pause now; a person who is not paused is left as they are."""
        person = self.person(email)
        if not person.paused:
            return PersonChange(person, changed=False)
        return self.update_person(email, paused=False, paused_until=None)

    def has_series(self, email: str) -> bool:
        """Return whether cadence keeps a series with the person in a writable calendar."""
        return self.writer is not None and self.store.series.live_for(email) is not None

    def remove_person(self, email: str) -> PersonChange:
        """Forget the person; first end the series cadence keeps with them (meetings
        already held stay in the calendar) and withdraw their open proposals."""
        person = self.person(email)
        record = self.store.series.live_for(person.email)
        now = self.clock()
        if record is not None and self.writer is not None:
            try:
                self.writer.end_series(record.event_id, now)
            except CadenceError as exc:
                raise CadenceError(
                    f"could not end the 1:1 series with {person.email} in {self.writer.name} "
                    f"({exc}); {person.email} is kept; try again"
                ) from None
            self.store.series.end(record.event_id, now)
        withdrawn = withdraw_stale(self.store, person, None, now, self.config.owner.zone)
        self.store.people.remove(email)
        self.store.web.forget(person.email)
        self._people_changed()
        return PersonChange(person, withdrawn)

    def _people_changed(self) -> None:
        # Which occurrences are worth keeping depends on who the people are:
        # make the next read parse the feeds again instead of trusting a 304.
        self.store.observations.forget_source_state()

    # -- cycles -------------------------------------------------------------

    def sync(
        self,
        *,
        dry_run: bool = False,
        heartbeat: Callable[[], None] | None = None,
        accept_changes: bool = False,
    ) -> CycleReport:
        """Run one cycle (against a throw-away copy of the state when ``dry_run``);
        ``heartbeat`` is called between its steps; ``accept_changes`` takes reads
        held back as suspect.

        The cycle is recorded whatever happens: "ok", "errors" (a source or step
        failed, named in its errors), "failed" (it could not go on: the error is
        recorded, then raised) or "interrupted" (a stop was asked for)."""
        now = self.clock()
        if dry_run:
            return self._dry_run(now, accept_changes)
        cycle_id = self.store.start_cycle(now)
        listen = self._listener(now, heartbeat) if self.config.email.inbox.enabled else None
        try:
            report = run_cycle(
                self.services(heartbeat=heartbeat),
                now,
                accept_changes=accept_changes,
                listen=listen,
            )
        except Stopping:
            # Best effort: the stop matters more than recording it.
            with contextlib.suppress(CadenceError):
                self.store.finish_cycle(cycle_id, self.clock(), "interrupted", {})
            raise
        except Exception as exc:
            message = str(exc) if isinstance(exc, CadenceError) else unexpected(exc)
            error = {"source": "cycle", "step": "cycle", "message": message}
            with contextlib.suppress(Exception):
                self.store.finish_cycle(cycle_id, self.clock(), "failed", {"errors": [error]})
            raise
        result = "ok" if report.ok else "errors"
        self.store.finish_cycle(cycle_id, self.clock(), result, report.as_json())
        return report

    def _dry_run(self, now: datetime, accept_changes: bool) -> CycleReport:
        with tempfile.TemporaryDirectory(prefix="cadence-dry-run-") as tmp:
            copy = Path(tmp) / "state.db"
            private_file(copy)
            target = sqlite3.connect(copy)
            with target:
                self.store.db.conn.backup(target)
            target.close()
            scratch = Store(copy)
            try:
                return run_cycle(
                    self.services(scratch), now, dry_run=True, accept_changes=accept_changes
                )
            finally:
                scratch.close()
                shutil.rmtree(tmp, ignore_errors=True)

    def _listener(
        self, now: datetime, heartbeat: Callable[[], None] | None
    ) -> Callable[[CycleReport], None]:
        """The cycle's step that reads the inbox: a failing inbox is a failing source."""

        def listen(report: CycleReport) -> None:
            try:
                found = check_inbox(
                    self.inbox, self.store, self.config, self, now, fresh=True,
                    heartbeat=heartbeat or (lambda: None),
                )  # fmt: skip
            except SourceError as exc:
                report.errors.append({"source": exc.source, "message": exc.reason})
                return
            except ConfigError as exc:  # its password cannot be read
                where = f"email.inbox ({self.config.email.inbox.transport})"
                self.store.observations.record_failure(INBOX_SOURCE, where, str(exc), now)
                report.errors.append({"source": "inbox", "message": str(exc)})
                return
            report.inbox = found.as_json()
            report.errors += [{"source": self.inbox.name, "message": e} for e in found.errors]

        return listen

    def check_inbox(self) -> InboxReport:
        """Read the inbox once now (``cadence inbox check``); send the answers it queued.
        Raise UsageError when no inbox is configured, SourceError when it fails."""
        now = self.clock()
        report = check_inbox(self.inbox, self.store, self.config, self, now)
        deliver_due(self.store.outbox, self.transport, now, retry_policy(self.config))
        return report

    def next_mail_at(self) -> datetime | None:
        """Return when the next queued email is due (None when the outbox is empty)."""
        return self.store.outbox.next_due()

    def deliver_mail(self, heartbeat: Callable[[], None] | None = None) -> Delivery:
        """Send the queued emails that are due, without a whole cycle."""
        return deliver_due(
            self.store.outbox,
            self.transport,
            self.clock(),
            retry_policy(self.config),
            heartbeat or (lambda: None),
        )

    # -- the outbox ---------------------------------------------------------

    def outbox(self, *, include_sent: bool = False) -> list[QueuedEmail]:
        """The emails waiting, failed or unconfirmed (and sent, with ``include_sent``)."""
        return listing(self.store.outbox, include_sent=include_sent)

    def resend(self, item_id: int) -> QueuedEmail:
        """Send an unconfirmed or failed email again, on purpose; return how it ended."""
        now = self.clock()
        return resend(self.store.outbox, self.transport, item_id, now, retry_policy(self.config))

    def confirm(self, item_id: int) -> QueuedEmail:
        """Record that an unconfirmed email did arrive."""
        return confirm(self.store.outbox, item_id)

    # -- proposals ----------------------------------------------------------

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

    # -- bookings -----------------------------------------------------------

    def bookings(self, *, include_closed: bool = False) -> list[Booking]:
        """What cadence arranged by invitation: the bookings still standing (invited,
        accepted, tentative), or all of them."""
        return self.store.bookings.all(include_closed=include_closed)

    # -- agenda -------------------------------------------------------------

    def agenda_url(self, email: str) -> str:
        person = self.person(email)
        url = self.agendas.ensure(person, self.config.owner)
        if url is None:
            raise CadenceError("agendas are turned off (agenda.backend = none)")
        return url

    def rotate_agenda_link(self, email: str) -> str | None:
        """Give the person a new agenda page link (the old one stops working); return it,
        or None when the web app makes no links."""
        person = self.person(email)
        self.store.web.rotate(person.email, self.clock())
        return self.web_addresses.agenda(person, self.clock()) if self.web_addresses else None

    def sign_in_link(self, lifetime: timedelta) -> str:
        """Return a link that signs the owner in to the web app for ``lifetime``; raise
        UsageError when the web app has no address."""
        if self.web_addresses is None:
            raise UsageError(
                "the web app makes no links: set [web] enabled = true and base_url "
                f"in {self.config.path}"
            )
        return self.web_addresses.sign_in(self.clock() + lifetime)

    def agenda_text(self, email: str) -> str:
        self.agenda_url(email)
        text = self.agendas.text(self.person(email))
        return text or ""

    # -- report -------------------------------------------------------------

    def report(self, weeks: int = DEFAULT_WEEKS, email: str | None = None) -> Report:
        """Return the adherence report over the last ``weeks`` weeks, of everyone or of
        the person ``email``; raise UsageError for an unknown person or no weeks."""
        if weeks < 1:
            raise UsageError(f"--weeks {weeks}: give at least 1 week")
        people = None
        if email is not None:
            found = self.store.people.get(email)
            if found is None:
                raise UsageError(f"--person {email}: not a person here; see `cadence person list`")
            people = [found]
        now = self.clock()
        return load_report(
            self.store, self.config, now, weeks, history=HISTORY, source=OWNER_SOURCE, people=people
        )

    # -- status -------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        store = self.store
        last = store.last_cycle()
        backlog = store.outbox.items(["pending", "sending"])
        planned = store.get_meta("next_run")
        next_run = datetime.fromisoformat(planned) if planned else None
        if last and (next_run is None or next_run < last["finished_at"]):
            # No daemon has planned beyond the last cycle (it ran from `cadence sync`).
            next_run = last["finished_at"] + self.config.interval
        return {
            "last_cycle": last,
            "next_run": next_run,
            "sources": store.observations.sources(),
            "outbox_pending": len(backlog),
            "outbox_failed": len(store.outbox.items(["failed"])),
            "outbox_unconfirmed": len(store.outbox.items(["unconfirmed"])),
            "unconfirmed_emails": unconfirmed(store.outbox),
            "open_proposals": len(store.proposals.all()),
            "people": len(store.people.all()),
            "unanswered_gaps": store.unanswered.all(),
        }
