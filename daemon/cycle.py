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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cadence.daemon.calendars import Calendar
from cadence.daemon.config import Config
from cadence.daemon.core.actions import Action
from cadence.daemon.core.busy import busy_intervals, worth_keeping
from cadence.daemon.core.errors import AgendaError, CadenceError, SourceError
from cadence.daemon.core.model import (
    Gap,
    Interval,
    Occurrence,
    Person,
    ProposalStatus,
    Reason,
    Slot,
)
from cadence.daemon.core.reconcile import find_gaps, is_live, one_on_ones
from cadence.daemon.core.series import choose_start
from cadence.daemon.core.slots import SlotRules, find_slots
from cadence.daemon.digest import queue_digest
from cadence.daemon.outbox import RetryPolicy, deliver_due, settle_interrupted
from cadence.daemon.wiring import (
    HISTORY,
    OWNER_SOURCE,
    Services,
    busy_source,
    window_for,
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


@dataclass
class CycleReport:
    started: datetime
    gaps: int = 0
    proposals_created: int = 0
    emails_sent: int = 0
    agenda_sections: int = 0
    series_created: int = 0
    reconciled: bool = False
    errors: list[dict[str, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        return {
            "gaps": self.gaps,
            "proposals_created": self.proposals_created,
            "emails_sent": self.emails_sent,
            "agenda_sections": self.agenda_sections,
            "series_created": self.series_created,
            "errors": self.errors,
            "plan": [
                {"action": a.kind, "person": a.person, "detail": a.detail} for a in self.actions
            ],
        }


def slot_rules(config: Config) -> SlotRules:
    """Return the slot rules the config's [schedule] sets."""
    return SlotRules(
        hours=config.schedule.hours,
        zone=config.owner.zone,
        buffer=config.schedule.buffer,
        max_per_day=config.schedule.max_per_day,
        min_notice=config.schedule.min_notice,
    )


def retry_policy(config: Config) -> RetryPolicy:
    """Return how the config's [email] says to retry undelivered email."""
    return RetryPolicy(first=config.email.retry_first, longest=config.email.retry_max)


def read_sources(
    svc: Services, people: Sequence[Person], now: datetime, report: CycleReport
) -> bool:
    """Read the owner's calendar and every busy feed; record what they said.

    Return whether any source changed. A failing source is recorded and
    reported; the others are still read.
    """
    store, owner = svc.store, svc.config.owner
    window = window_for(svc.config, now)
    sources: list[tuple[str, Calendar, str | None]] = [(OWNER_SOURCE, svc.calendar, owner.email)]
    sources += [(busy_source(p), svc.busy_feed(p), p.email) for p in people if p.busy_feed]
    changed = False
    for name, calendar, holder in sources:
        svc.heartbeat()
        known = store.observations.source(name)
        try:
            # A long read (a large feed) keeps the watchdog fed while it progresses.
            result = calendar.read(window, known.state if known else {}, svc.heartbeat)
        except SourceError as exc:
            log.warning("source %s failed: %s", name, exc)
            report.errors.append({"source": exc.source, "message": exc.reason})
            store.observations.record_failure(name, calendar.name, exc.reason, now)
            if exc.needs_owner:
                _alert_owner(svc, name, known.last_success_at if known else None, exc, now)
            continue
        if not result.changed:
            log.debug("source %s unchanged", name)
            store.observations.record_unchanged(name, calendar.name, result.state, now)
            continue
        changed = True
        # A person's busy feed tells when they are busy, nothing more.
        keep: list[Occurrence] = []
        dropped: list[Occurrence] = []
        if name == OWNER_SOURCE:
            for o in result.occurrences:
                (keep if worth_keeping(o, owner, people) else dropped).append(o)
        vanished = store.observations.record_read(
            name,
            calendar.name,
            result.state,
            window,
            keep,
            # Busy time needs every event: an incremental read leaves it as it was.
            busy_intervals(result.occurrences, holder) if result.complete else None,
            now,
            complete=result.complete,
            dropped=dropped if not result.complete else (),
            cancelled=result.cancelled,
            removed=result.removed,
        )
        log.info(
            "source %s read: %d occurrences, %d kept, %d vanished",
            name,
            len(result.occurrences),
            len(keep),
            vanished,
        )
    return changed


def _alert_owner(
    svc: Services, name: str, since: datetime | None, exc: SourceError, now: datetime
) -> None:
    """Email the owner once per failure streak of a source only they can fix: the key
    is the streak's start (the last success), so a later streak alerts again."""
    streak = since.isoformat() if since else "never-read"
    svc.mailer.alert(
        f"{name}:{streak}",
        f"{exc.source} needs you",
        f"cadence cannot read {exc.source}:\n\n    {exc.reason}\n\n"
        "Until this is fixed no cancellation there turns into a proposal. Everything "
        "else goes on; `cadence status` shows the state of each source.",
        now,
    )


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
    blob = json.dumps([local_day, sources, [repr(p) for p in people]], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def plan(
    svc: Services, people: Sequence[Person], now: datetime, report: CycleReport | None = None
) -> tuple[list[Gap], list[Action]]:
    """Given the stored observations and proposals, return the current gaps and the
    actions a cycle should take (a failure to learn busy time goes to ``report``)."""
    config, store, owner = svc.config, svc.store, svc.config.owner
    horizon = now + config.schedule.lookahead
    occurrences = store.observations.occurrences(now - HISTORY, [OWNER_SOURCE])
    actions: list[Action] = []
    current: dict[str, Gap] = {}
    # Each person's 1:1s (and the live ones), worked out once: agendas, series
    # and the per-day limit of every slot search need them.
    ones = {p.email: one_on_ones(p, owner, occurrences) for p in people}
    live = {p.email: [o for o in ones[p.email] if is_live(o, owner, p)] for p in people}
    booked = [o.interval for meetings in live.values() for o in meetings]
    ahead = now + config.agenda.prepare_ahead
    for person in people:
        for gap in find_gaps(person, owner, occurrences, now, horizon):
            current[gap.key] = gap
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
    for proposal in store.proposals.all():
        if proposal.period.end <= now:
            actions.append(Action("expire", proposal.person, f"#{proposal.id}", proposal=proposal))
        elif proposal.gap_key not in current:
            actions.append(
                Action(
                    "supersede", proposal.person, f"#{proposal.id}: gap filled", proposal=proposal
                )
            )
    by_email = {p.email: p for p in people}
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
            fresh, works = [], []
    for gap in fresh:
        person = by_email[gap.person]
        slots = tuple(_slots_for(svc, person, gap, booked, now, busy))
        detail = f"{gap.reason} {gap.period.start.astimezone(owner.zone):%Y-%m-%d}: " + (
            ", ".join(f"{s.start.astimezone(owner.zone):%a %d %b %H:%M}" for s in slots)
            or "no free slot"
        )
        notes = (hidden_note(person),) if person.email in busy.hidden else ()
        actions.append(Action("propose", person.email, detail, gap=gap, slots=slots, notes=notes))
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
            url = svc.agendas.url(person)
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


def availability(
    svc: Services, people: Sequence[Person], spans: Sequence[Interval], now: datetime
) -> Busy:
    """Return the busy time slot searches over ``spans`` need: the owner's and each
    person's. On a writable calendar it comes from one free/busy query for all of
    them (the owner's calendar is read incrementally, which tells no busy time);
    otherwise from the last full read. A person's busy feed adds to either."""
    store = svc.store.observations
    start = max(now, min(s.start for s in spans))
    window = Interval(start, max(start + timedelta(days=1), *(s.end for s in spans)))
    feeds = {p.email: store.busy(busy_source(p), window) for p in people if p.busy_feed}
    if svc.writer is None:
        return Busy(owner=store.busy(OWNER_SOURCE, window), people=feeds)
    mine = svc.writer.owner_calendar
    found = svc.writer.availability([mine, *(p.email for p in people)], window)
    return Busy(
        owner=found.of(mine),
        people={p.email: found.of(p.email) + feeds.get(p.email, []) for p in people},
        hidden=found.hidden - {mine},
    )


def _slots_for(
    svc: Services,
    person: Person,
    gap: Gap,
    booked: Sequence[Interval],
    now: datetime,
    busy: Busy,
) -> list[Slot]:
    """Return the ranked free slots for a gap; ``booked`` are the owner's live 1:1s."""
    period = gap.period
    # The time that was cancelled or declined is the one time known not to work.
    dropped = [gap.occurrence.interval] if gap.occurrence else []
    return find_slots(
        period,
        person,
        slot_rules(svc.config),
        now=now,
        busy=[*busy.owner, *dropped],
        person_busy=busy.of(person),
        booked=[b for b in booked if period.overlaps(b)],
    )


def execute(
    svc: Services,
    people: Sequence[Person],
    actions: Sequence[Action],
    now: datetime,
    report: CycleReport,
) -> None:
    """Carry out the plan; each action is idempotent, so a crash midway is harmless."""
    by_email = {p.email: p for p in people}
    owner = svc.config.owner
    series: list[tuple[Action, Person]] = []
    for action in actions:
        svc.heartbeat()
        person = by_email.get(action.person)
        if action.kind in ("create-series", "split-series") and person:
            series.append((action, person))  # written together below, as one batch
            continue
        try:
            if action.kind == "expire" and action.proposal:
                svc.store.proposals.set_status(action.proposal.id, ProposalStatus.EXPIRED, now)
            elif action.kind == "supersede" and action.proposal:
                svc.store.proposals.set_status(action.proposal.id, ProposalStatus.SUPERSEDED, now)
            elif action.kind == "prepare-agenda" and person and action.meeting_start:
                if svc.agendas.prepare(person, owner, action.meeting_start):
                    report.agenda_sections += 1
            elif action.kind == "propose" and person and action.gap:
                if not action.slots:
                    log.warning("no free time for %s in %s", person.email, action.detail)
                    continue
                if svc.mailer.create(person, action.gap, action.slots, now, action.notes):
                    report.proposals_created += 1
            elif action.kind == "attach-agenda" and person and svc.writer:
                _attach(svc, person, action.events, now, report)
        except AgendaError as exc:
            log.warning("agenda for %s: %s", action.person, exc)
            report.errors.append({"source": "agenda", "message": str(exc)})
        except CadenceError as exc:
            log.warning("%s for %s: %s", action.kind, action.person, exc)
            report.errors.append({"source": _writer_name(svc), "message": str(exc)})
    if series and svc.writer:
        svc.heartbeat()
        created, errors = write_series(
            svc.store,
            svc.writer,
            svc.agendas,
            owner,
            series,
            now,
            prepare_until=now + svc.config.agenda.prepare_ahead,
        )
        report.series_created += created
        report.errors += [{"source": svc.writer.name, "message": e} for e in errors]


def _writer_name(svc: Services) -> str:
    return svc.writer.name if svc.writer else "calendar"


def _attach(
    svc: Services, person: Person, events: Sequence[str], now: datetime, report: CycleReport
) -> None:
    """Link the person's agenda from the events; remember those that have it."""
    assert svc.writer is not None
    url = svc.agendas.ensure(person, svc.config.owner)
    if url is None:
        return
    failures = svc.writer.attach(events, url)
    done = [e for e in events if e not in failures]
    if done:
        svc.store.series.mark_attached(done, person.email, url, now)
    for event, failure in failures.items():
        report.errors.append({"source": svc.writer.name, "message": f"{event}: {failure}"})


def run_cycle(
    svc: Services, now: datetime, *, dry_run: bool = False, force: bool = False
) -> CycleReport:
    """Run one full cycle; return what it found and did (errors included, not raised)."""
    report = CycleReport(started=now)
    store = svc.store
    people = store.people.all()
    if not dry_run:
        settle_interrupted(store.proposals, svc.transport, now)
    changed = read_sources(svc, people, now, report)
    fingerprint = _fingerprint(svc, people, now)
    if changed or force or dry_run or store.get_meta("planned") != fingerprint:
        gaps, actions = plan(svc, people, now, report)
        report.actions = actions
        report.gaps = len(gaps)
        report.reconciled = True
        if not dry_run:
            execute(svc, people, actions, now, report)
            if report.ok:
                # A plan that hit errors is made again next cycle, changed or not.
                store.set_meta("planned", fingerprint)
    if not dry_run:
        report.errors += queue_digest(svc, now)
        try:
            delivery = deliver_due(
                store.proposals, svc.transport, now, retry_policy(svc.config), svc.heartbeat
            )
        except CadenceError as exc:
            report.errors.append({"source": svc.transport.name, "message": str(exc)})
        else:
            report.emails_sent = delivery.sent
            report.errors += [{"source": svc.transport.name, "message": e} for e in delivery.errors]
    return report
