"""How a gap is answered: the rules and the busy time a slot search works with, the
free slots of the gap's period, and, when none fits, the nearest options.

Planning (the cycle) and accepting (the engine) both search through here, so a
slot is offered and later re-checked under the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from cadence.daemon.config import Config
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.model import Gap, Interval, Person, Slot
from cadence.daemon.core.nearest import nearest_options
from cadence.daemon.core.periods import period_containing
from cadence.daemon.core.slots import SlotRules, find_slots
from cadence.daemon.wiring import OWNER_SOURCE, Services, busy_source
from cadence.daemon.writing import Busy

log = logging.getLogger(__name__)

__all__ = ["availability", "options_for", "slot_rules", "slots_for"]


class Errors(Protocol):
    errors: list[dict[str, str]]


def slot_rules(config: Config) -> SlotRules:
    """Return the slot rules the config's [schedule] sets."""
    return SlotRules(
        hours=config.schedule.hours,
        zone=config.owner.zone,
        buffer=config.schedule.buffer,
        max_per_day=config.schedule.max_per_day,
        min_notice=config.schedule.min_notice,
    )


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


def _dropped(gap: Gap) -> list[Interval]:
    # The time that was cancelled or declined is the one time known not to work.
    return [gap.occurrence.interval] if gap.occurrence else []


def slots_for(
    svc: Services,
    person: Person,
    gap: Gap,
    booked: Sequence[Interval],
    now: datetime,
    busy: Busy,
) -> tuple[Slot, ...]:
    """Return the ranked free slots for a gap; ``booked`` are the owner's live 1:1s
    (bookings among them)."""
    period = gap.period
    return tuple(
        find_slots(
            period,
            person,
            slot_rules(svc.config),
            now=now,
            busy=[*busy.owner, *_dropped(gap)],
            person_busy=busy.of(person),
            booked=[b for b in booked if period.overlaps(b)],
        )
    )


def options_for(
    svc: Services,
    person: Person,
    gap: Gap,
    booked: Sequence[Interval],
    now: datetime,
    report: Errors | None = None,
) -> tuple[Slot, ...]:
    """Return the nearest bookable options for a gap no slot fits (DESIGN rule 11):
    shorter, outside the usual hours, early in the next period. Busy time that
    cannot be read leaves none (the email then says so)."""
    zone = svc.config.owner.zone
    following = period_containing(person.cadence, person.anchor, gap.period.end, zone)
    try:
        busy = availability(svc, [person], [gap.period, following], now)
    except CadenceError as exc:
        log.warning("free/busy for the options of %s: %s", person.email, exc)
        if report is not None:
            report.errors.append({"source": "free/busy", "message": str(exc)})
        return ()
    return nearest_options(
        gap.period,
        following,
        person,
        slot_rules(svc.config),
        now=now,
        busy=[*busy.owner, *_dropped(gap)],
        person_busy=busy.of(person),
        booked=[b for b in booked if b.overlaps(gap.period) or b.overlaps(following)],
    )
