"""One cycle: read the sources, plan what to do, then do it.

Reading records what each source said (or that it failed; the old state is
kept then, so a broken feed never invents a gap). Planning looks only at the
store and the pure core and yields a list of :class:`Action`; executing runs
them, each idempotent. ``--dry-run`` plans against a throw-away copy of the
store and executes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from cadence.daemon import unanswered
from cadence.daemon.answering import availability, options_for, slot_rules, slots_for
from cadence.daemon.config import Config
from cadence.daemon.core.actions import Action, answer
from cadence.daemon.core.bookings import said_by_a_decline
from cadence.daemon.core.closing import FILLED, booking_actions, closing_actions, reason_of
from cadence.daemon.core.errors import AgendaError, CadenceError
from cadence.daemon.core.model import (
    Gap,
    Occurrence,
    Person,
    ProposalStatus,
    Reason,
)
from cadence.daemon.core.reconcile import find_gaps, is_live, one_on_ones
from cadence.daemon.core.series import choose_start
from cadence.daemon.cycle_report import CycleReport
from cadence.daemon.digest import queue_digest
from cadence.daemon.invitations import Invitations
from cadence.daemon.outbox import RetryPolicy, deliver_due, settle_interrupted
from cadence.daemon.reading import read_sources
from cadence.daemon.sharing import shareable, shareable_agenda_url
from cadence.daemon.steps import step
from cadence.daemon.wiring import (
    HISTORY,
    OWNER_SOURCE,
    PERIOD_SLACK,
    Services,
    owners_calendar,
)
from cadence.daemon.writing import (
    Busy,
    SeriesWork,
    attach_action,
    hidden_note,
    series_action,
    series_work,
    write_series,
)

log = logging.getLogger(__name__)


__all__ = [
    "CycleReport",
    "availability",
    "execute",
    "plan",
    "read_sources",
    "retry_policy",
    "run_cycle",
    "slot_rules",
]


def retry_policy(config: Config) -> RetryPolicy:
    """Return how the config's [email] says to retry undelivered email."""
    return RetryPolicy(first=config.email.retry_first, longest=config.email.retry_max)


def _fingerprint(svc: Services, people: Sequence[Person], now: datetime) -> str:
    """Everything planning depends on besides the clock's date: if it is the same
    as last time and the owner's date has not changed, planning would repeat itself."""
    # When each source last changed, not its state: a sync token is new at every
    # read, changed or not.
    sources = {
        s.name: s.last_change_at.isoformat() if s.last_change_at else ""
        for s in svc.store.observations.sources()
    }
    local_day = now.astimezone(svc.config.owner.zone).date().isoformat()
    bookings = svc.store.bookings.fingerprint()
    blob = json.dumps([local_day, sources, [repr(p) for p in people], bookings], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def plan(
    svc: Services, people: Sequence[Person], now: datetime, report: CycleReport | None = None
) -> tuple[list[Gap], list[Action]]:
    """Given the stored observations and proposals, return the current gaps and the
    actions a cycle should take (a failure to learn busy time goes to ``report``)."""
    config, store, owner = svc.config, svc.store, svc.config.owner
    horizon = now + config.schedule.lookahead
    occurrences = owners_calendar(store, config, now - HISTORY, horizon + PERIOD_SLACK)
    actions: list[Action] = []
    current: dict[str, Gap] = {}
    # Each person's 1:1s (and the live ones), worked out once: agendas, series
    # and the per-day limit of every slot search need them.
    ones = {p.email: one_on_ones(p, owner, occurrences) for p in people}
    live = {p.email: [o for o in ones[p.email] if is_live(o, owner, p)] for p in people}
    booked = [o.interval for meetings in live.values() for o in meetings]
    ahead = now + config.agenda.prepare_ahead
    bookings = store.bookings.all(include_closed=True)
    for person in people:
        for gap in find_gaps(person, owner, occurrences, now, horizon):
            current[gap.key] = said_by_a_decline(gap, ones[person.email], bookings, owner, person)
        for meeting in live[person.email]:
            if now <= meeting.start <= ahead:
                actions.append(
                    Action(
                        "prepare-agenda",
                        person.email,
                        f"section for {meeting.start.astimezone(owner.zone):%a %d %b %H:%M}",
                        meeting_start=meeting.start,
                    )
                )
    by_email = {p.email: p for p in people}
    actions += closing_actions(store.proposals.all(), by_email, current, now, owner.zone)
    actions += booking_actions(bookings, by_email, occurrences, owner, now)
    fresh = [g for k, g in current.items() if store.proposals.by_gap(k) is None]
    works: list[SeriesWork] = []
    if svc.writer is not None:
        works = _series_works(svc, people, list(current.values()), ones, live, now)
        # On a writable calendar a missing series is made, not proposed.
        fresh = [g for g in fresh if g.reason is not Reason.NO_SERIES]
    needing = {by_email[g.person].email: by_email[g.person] for g in fresh}
    needing |= {w.person.email: w.person for w in works}
    busy = Busy()
    if needing:
        spans = [g.period for g in fresh] + [w.window() for w in works]
        try:
            busy = availability(svc, list(needing.values()), spans, now)
        except CadenceError as exc:
            # Without busy time no slot can be trusted: propose next cycle instead.
            log.warning("free/busy: %s", exc)
            if report is not None:
                report.errors.append({"source": "free/busy", "message": str(exc)})
                for gap in fresh:
                    report.unanswered[gap.key] = f"free/busy could not be read ({exc})"
            fresh, works = [], []
    for gap in fresh:
        person = by_email[gap.person]
        slots = slots_for(svc, person, gap, booked, now, busy)
        notes = (hidden_note(person),) if person.email in busy.hidden else ()
        options = () if slots else options_for(svc, person, gap, booked, now, report)
        actions.append(answer(person, gap, slots, owner.zone, notes, options=options))
    rules = slot_rules(config)
    for work in works:
        start = choose_start(
            work.person,
            owner,
            rules,
            work.period,
            now=now,
            busy=busy.owner,
            person_busy=busy.of(work.person),
            booked=booked,
        )
        actions.append(series_action(work, start, owner))
    if svc.writer is not None and config.agenda.backend != "none":
        attached = store.series.attached()
        for person in people:
            url = shareable(svc.agendas.url(person))  # the person sees the event
            attach = attach_action(person, owner, live[person.email], attached, url, now)
            if attach is not None:
                actions.append(attach)
    return list(current.values()), actions


def _series_works(
    svc: Services,
    people: Sequence[Person],
    gaps: Sequence[Gap],
    ones: dict[str, list[Occurrence]],
    live: dict[str, list[Occurrence]],
    now: datetime,
) -> list[SeriesWork]:
    """Return who needs a series made or split in the writable calendar."""
    owner = svc.config.owner
    calendar = svc.store.observations.source(OWNER_SOURCE)
    if calendar is None or not calendar.healthy:
        # Series are written only from a calendar read this cycle: from a stale or
        # never-read one, every person would look as if they had no series.
        return []
    records = svc.store.series.live()
    earliest = now + svc.config.schedule.min_notice
    works = [
        series_work(
            person,
            owner,
            records.get(person.email),
            [g for g in gaps if g.person == person.email],
            ones[person.email],
            live[person.email],
            earliest,
        )
        for person in people
    ]
    return [w for w in works if w is not None]


def execute(
    svc: Services,
    people: Sequence[Person],
    actions: Sequence[Action],
    now: datetime,
    report: CycleReport,
) -> None:
    """Carry out the plan; each action is idempotent, so a crash midway is harmless."""
    by_email = {p.email: p for p in people}
    series: list[tuple[Action, Person]] = []
    for action in actions:
        svc.heartbeat()
        person = by_email.get(action.person)
        if action.kind in ("create-series", "split-series") and person:
            series.append((action, person))  # written together below, as one batch
            continue
        try:
            with step(report.errors, f"{action.kind} for {action.person}"):
                _act(svc, action, person, now, report)
        except AgendaError as exc:
            log.warning("agenda for %s: %s", action.person, exc)
            report.errors.append({"source": "agenda", "message": str(exc)})
            _not_proposed(action, exc, report)
        except CadenceError as exc:
            log.warning("%s for %s: %s", action.kind, action.person, exc)
            report.errors.append({"source": _writer_name(svc), "message": str(exc)})
            _not_proposed(action, exc, report)
    if series and svc.writer:
        svc.heartbeat()
        with step(report.errors, "write the series"):
            _write_series(svc, series, now, report)


def _write_series(
    svc: Services, series: list[tuple[Action, Person]], now: datetime, report: CycleReport
) -> None:
    assert svc.writer is not None
    created, errors = write_series(
        svc.store,
        svc.writer,
        svc.agendas,
        svc.config.owner,
        series,
        now,
        prepare_until=now + svc.config.agenda.prepare_ahead,
    )
    report.series_created += created
    report.errors += [{"source": svc.writer.name, "message": e} for e in errors]


def _act(
    svc: Services, action: Action, person: Person | None, now: datetime, report: CycleReport
) -> None:
    """Carry out one step of the plan (the series are written together, elsewhere)."""
    if action.kind in _CLOSING and action.proposal:
        status, why = _CLOSING[action.kind], reason_of(action)
        svc.store.proposals.set_status(action.proposal.id, status, now, reason=why)
    elif action.kind == "prepare-agenda" and person and action.meeting_start:
        if svc.agendas.prepare(person, svc.config.owner, action.meeting_start):
            report.agenda_sections += 1
    elif action.kind in ("propose", "no-free-time") and person and action.gap:
        nothing_fits = action.kind == "no-free-time"
        if nothing_fits:
            log.warning("no free time for %s: %s", action.person, action.detail)
        if svc.mailer.create(
            person, action.gap, action.slots, now, action.notes, no_free_time=nothing_fits
        ):
            report.proposals_created += 1
    elif action.kind == "attach-agenda" and person and svc.writer:
        _attach(svc, person, action.events, now, report)
    elif action.kind in ("cancel-booking", "end-booking") and action.booking:
        _withdraw_booking(svc, action, now)


def _withdraw_booking(svc: Services, action: Action, now: datetime) -> None:
    """Cancel a booking that no longer applies, or end its series (DESIGN rule 9)."""
    assert action.booking is not None
    invitations = Invitations(svc.config, svc.store)
    why = reason_of(action)
    if action.kind == "end-booking" and action.cut is not None:
        invitations.end(action.booking, action.cut, why.rsplit(": ", 1)[-1], now)
        return
    words = "This 1:1 is cancelled."
    if why == FILLED:
        words = "The 1:1 at its usual time takes place after all: this one is not needed."
    invitations.cancel(action.booking, why, now, person_lines=[words])


def _not_proposed(action: Action, error: Exception, report: CycleReport) -> None:
    if action.kind in ("propose", "no-free-time") and action.gap is not None:
        report.unanswered[action.gap.key] = f"the proposal could not be made ({error})"


_CLOSING = {
    "expire": ProposalStatus.EXPIRED,
    "supersede": ProposalStatus.SUPERSEDED,
    "withdraw": ProposalStatus.WITHDRAWN,
}


def _writer_name(svc: Services) -> str:
    return svc.writer.name if svc.writer else "calendar"


def _attach(
    svc: Services, person: Person, events: Sequence[str], now: datetime, report: CycleReport
) -> None:
    """Link the person's agenda from the events; remember those that have it."""
    assert svc.writer is not None
    url = shareable_agenda_url(svc.config, svc.agendas, person)
    if url is None:
        return
    failures = svc.writer.attach(events, url)
    done = [e for e in events if e not in failures]
    if done:
        svc.store.series.mark_attached(done, person.email, url, now)
    for event, failure in failures.items():
        report.errors.append({"source": svc.writer.name, "message": f"{event}: {failure}"})


def run_cycle(
    svc: Services,
    now: datetime,
    *,
    dry_run: bool = False,
    force: bool = False,
    accept_changes: bool = False,
    listen: Callable[[CycleReport], None] | None = None,
) -> CycleReport:
    """Run one full cycle; return what it found and did. Errors are in the report,
    not raised: an unexpected failure in a step is that step's error, and the steps
    after it still run. ``accept_changes`` takes reads that look suspect. ``listen``
    reads the inbox, right after the sources (never in a dry run)."""
    report = CycleReport(started=now)
    errors, store = report.errors, svc.store
    people = store.people.all()
    if not dry_run:
        with step(errors, "settle the outbox", "outbox"):
            settle_interrupted(store.outbox, svc.transport, now)
    changed = False
    with step(errors, "read"):
        changed = read_sources(svc, people, now, report, accept_changes=accept_changes)
    if listen is not None and not dry_run:
        svc.heartbeat()
        with step(errors, "read the inbox", "inbox"):
            listen(report)
    with step(errors, "plan"):
        _plan_and_act(svc, people, now, report, fresh=changed or force, dry_run=dry_run)
    if dry_run:
        return report
    with step(errors, "digest"):
        report.errors += queue_digest(svc, now)
    with step(errors, "mail", svc.transport.name):
        try:
            delivery = deliver_due(
                store.outbox, svc.transport, now, retry_policy(svc.config), svc.heartbeat
            )
        except CadenceError as exc:
            report.errors.append({"source": svc.transport.name, "message": str(exc)})
        else:
            report.emails_sent = delivery.sent
            report.errors += [{"source": svc.transport.name, "message": e} for e in delivery.errors]
    return report


def _plan_and_act(
    svc: Services,
    people: Sequence[Person],
    now: datetime,
    report: CycleReport,
    *,
    fresh: bool,
    dry_run: bool,
) -> None:
    """Plan and carry out the plan, unless nothing planning depends on has changed
    since the last plan that went through; list the gaps left unanswered."""
    store, zone = svc.store, svc.config.owner.zone
    calendar = store.observations.source(OWNER_SOURCE)
    if calendar is None or calendar.last_success_at is None:
        # Nothing is known of the calendar yet: every person would look as if they
        # had no 1:1 at all, and each would get a proposal for a series they have.
        log.warning("the calendar has not been read yet; nothing to plan")
        return
    fingerprint = _fingerprint(svc, people, now)
    if fresh or dry_run or store.get_meta("planned") != fingerprint:
        gaps, actions = plan(svc, people, now, report)
        report.actions = actions
        report.gaps = len(gaps)
        report.reconciled = True
        if dry_run:
            left = unanswered.unanswered(store, gaps, report.unanswered)
            report.unanswered_gaps = [unanswered.as_json(g, why, zone) for g, why in left]
            return
        execute(svc, people, actions, now, report)
        with step(report.errors, "list the unanswered gaps"):
            unanswered.record(store, gaps, report.unanswered, now)
        if report.ok:
            # A plan that hit errors is made again next cycle, changed or not.
            store.set_meta("planned", fingerprint)
    if not dry_run:
        report.unanswered_gaps = unanswered.stored_json(store.unanswered.all(), zone)
