"""Keeping the 1:1s in a writable calendar: the series, and the agenda link on every 1:1.

Planning here decides, from what the store knows, which person needs a new
series, whose series no longer matches their settings (cadence, weekday,
time, duration: it is ended at its next meeting and a new one starts), and
which 1:1 events still lack the agenda link. Executing goes through the
:class:`~cadence.daemon.calendars.CalendarWriter`; each step is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.calendars import CalendarWriter, EventSpec
from cadence.daemon.core.actions import Action
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.messages import event_description, event_summary
from cadence.daemon.core.model import Gap, Interval, Occurrence, Owner, Period, Person, Reason
from cadence.daemon.core.periods import period_containing
from cadence.daemon.core.series import CHECKED_REPEATS, event_id, rrule_line, settings_of
from cadence.daemon.sharing import shareable
from cadence.daemon.store import SeriesRecord, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeriesWork:
    """A person who needs a new series starting in ``period``; ``old`` is the series
    it replaces (ended before ``cut`` first, when ``cut`` is set)."""

    person: Person
    period: Period
    old: SeriesRecord | None = None
    cut: datetime | None = None

    def window(self) -> Interval:
        """The span whose busy time decides where the series starts."""
        return Interval(
            self.period.start, self.period.end + self.person.cadence.nominal * CHECKED_REPEATS
        )


@dataclass
class Busy:
    """Busy time for a slot search: the owner's, each person's, and the people whose
    calendars could not be seen (their time was not checked)."""

    owner: list[Interval] = field(default_factory=list)
    people: dict[str, list[Interval]] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()

    def of(self, person: Person) -> list[Interval]:
        return self.people.get(person.email, [])


def hidden_note(person: Person) -> str:
    return (
        f"{person.name or person.email}'s calendar is not visible to cadence: these times "
        "were checked against your calendar only."
    )


def series_work(
    person: Person,
    owner: Owner,
    record: SeriesRecord | None,
    gaps: Sequence[Gap],
    ones: Sequence[Occurrence],
    live: Sequence[Occurrence],
    earliest: datetime,
) -> SeriesWork | None:
    """Given a person, their live series record, their current gaps, their 1:1s (all,
    and the live ones) and the earliest time a meeting may be written, return the
    series work they need, if any."""
    no_series = next((g for g in gaps if g.reason is Reason.NO_SERIES), None)
    if record is None:
        return SeriesWork(person, no_series.period) if no_series else None
    if record.settings != settings_of(person):
        if person.is_paused_on(earliest.astimezone(owner.zone).date()):
            return None  # the new series starts when they are back
        return _split(person, owner, record, ones, live, earliest)
    seen = any(o.uid == record.event_id for o in ones)
    if no_series is not None and seen:
        # The series is gone from the calendar (deleted by hand): make it again.
        return SeriesWork(person, no_series.period, old=record)
    return None


def _split(
    person: Person,
    owner: Owner,
    record: SeriesRecord,
    ones: Sequence[Occurrence],
    live: Sequence[Occurrence],
    earliest: datetime,
) -> SeriesWork:
    """End the old series at its next meeting; the new one starts in the period (of the
    new cadence) of that meeting, or the next period when one was already held in it."""
    upcoming = [
        o.original_start for o in ones if o.uid == record.event_id and o.original_start >= earliest
    ]
    cut = min(upcoming, default=earliest)
    period = period_containing(person.cadence, person.anchor, cut, owner.zone)
    if any(period.contains(o.start) and o.start < cut for o in live):
        period = period_containing(person.cadence, person.anchor, period.end, owner.zone)
    return SeriesWork(person, period, old=record, cut=cut)


def series_action(work: SeriesWork, start: datetime, owner: Owner) -> Action:
    """Return the action that writes the series of ``work`` starting at ``start``."""
    local = start.astimezone(owner.zone)
    detail = f"{work.person.cadence} from {local:%a %d %b %H:%M}"
    if work.cut is not None and work.old is not None:
        cut = work.cut.astimezone(owner.zone)
        return Action(
            "split-series",
            work.person.email,
            f"{detail}; the old series ends before {cut:%a %d %b}",
            meeting_start=start,
            series=work.old.event_id,
            cut=min(work.cut, start),
        )
    return Action("create-series", work.person.email, detail, meeting_start=start)


def series_spec(person: Person, owner: Owner, start: datetime, agenda_url: str | None) -> EventSpec:
    local = start.astimezone(owner.zone)
    return EventSpec(
        event_id=event_id("series", person.email, settings_of(person), local.isoformat()),
        person=person.email,
        summary=event_summary(person, owner),
        description=event_description(person, owner, agenda_url, series=True),
        start=local,
        end=local + person.duration,
        zone=owner.timezone,
        recurrence=(rrule_line(person.cadence, local),),
        agenda_url=agenda_url,
    )


def attach_action(
    person: Person,
    owner: Owner,
    live: Sequence[Occurrence],
    attached: Mapping[str, str],
    url: str | None,
    now: datetime,
) -> Action | None:
    """Return the action that links the agenda from the person's coming 1:1 events
    that lack it. Only events the owner organizes: an attendee's edits would stay
    in their own copy."""
    owner_email = owner.email.lower()
    events = sorted(
        {
            o.uid
            for o in live
            if o.end > now
            and (o.organizer is None or o.organizer.lower() == owner_email)
            and (o.uid not in attached or (url is not None and attached[o.uid] != url))
        }
    )
    if not events:
        return None
    return Action(
        "attach-agenda",
        person.email,
        f"agenda link on {len(events)} event(s)",
        events=tuple(events),
    )


def write_series(
    store: Store,
    writer: CalendarWriter,
    agendas: AgendaBackend,
    owner: Owner,
    work: Sequence[tuple[Action, Person]],
    now: datetime,
    prepare_until: datetime,
) -> tuple[int, list[str]]:
    """Carry out create-series and split-series actions (ending old series first, then
    creating the new ones in one batch, with the agenda section of a first meeting
    before ``prepare_until``); return how many were created and the errors."""
    errors: list[str] = []
    ready: list[tuple[Action, Person, EventSpec]] = []
    for action, person in work:
        assert action.meeting_start is not None
        if action.series and action.cut:
            try:
                writer.end_series(action.series, action.cut)
            except CadenceError as exc:
                errors.append(f"{person.email}: {exc}")
                continue
        try:
            # The person sees the series: only a link they can open (DESIGN rule 13).
            url = shareable(agendas.ensure(person, owner))
        except CadenceError as exc:
            # The series matters more than its link; the link follows once the
            # agenda can be made.
            log.warning("agenda for %s: %s", person.email, exc)
            url = None
        ready.append((action, person, series_spec(person, owner, action.meeting_start, url)))
    created = 0
    results = writer.create([spec for _, _, spec in ready]) if ready else []
    for (_, person, spec), made in zip(ready, results, strict=True):
        if isinstance(made, Exception):
            errors.append(f"{person.email}: {made}")
            continue
        spec = replace(spec, event_id=made)
        store.series.add(
            SeriesRecord(spec.event_id, person.email, settings_of(person), spec.start), now
        )
        if spec.agenda_url:
            store.series.mark_attached([spec.event_id], person.email, spec.agenda_url, now)
        log.info("series %s for %s from %s", spec.event_id, person.email, spec.start)
        created += 1
        if spec.start <= prepare_until:
            # The first meeting is close: its agenda section should not wait for
            # the next cycle to see the series.
            try:
                agendas.prepare(person, owner, spec.start)
            except CadenceError as exc:
                errors.append(f"{person.email}: {exc}")
    return created, errors
