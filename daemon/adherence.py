"""The adherence report, read from the state database: what
:mod:`cadence.daemon.core.report` needs, gathered.

The occurrence history is what the cycles stored from the owner's calendar
(kept across restarts; a failed read leaves it as it was), the people come
with when they were added and their recorded pauses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.config import Config
from cadence.daemon.core.bookings import calendar_view
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.model import Person
from cadence.daemon.core.report import Report, Tracked, build_report, pause_span
from cadence.daemon.store import Store

__all__ = ["DEFAULT_WEEKS", "agenda_links", "load_report"]

DEFAULT_WEEKS = 12
# The current period of a quarterly cadence reaches this far ahead at most.
_AHEAD = timedelta(days=93)


def _tracked(store: Store, config: Config, people: Sequence[Person]) -> list[Tracked]:
    added = store.people.added()
    records = store.people.pauses()
    zone = config.owner.zone
    return [
        Tracked(
            person=p,
            added_at=added[p.email],
            pauses=tuple(
                pause_span(r.started_at, r.until, r.ended_at, zone)
                for r in records
                if r.person == p.email
            ),
        )
        for p in people
        if p.email in added
    ]


def load_report(
    store: Store,
    config: Config,
    now: datetime,
    weeks: int,
    *,
    history: timedelta,
    source: str,
    people: Sequence[Person] | None = None,
) -> Report:
    """Given the store, the config, now, the number of weeks, how far back occurrences
    are kept and the source they come from, return the report over ``people``
    (everyone by default); raise ValueError for fewer than one week."""
    chosen = store.people.all() if people is None else people
    history_start = now - history
    read = store.observations.occurrences(history_start, [source])
    # Bookings count as the meetings they are until the calendar shows them.
    bookings = store.bookings.all(include_closed=True)
    occurrences = calendar_view(read, bookings, config.owner, history_start, now + _AHEAD)
    return build_report(
        _tracked(store, config, chosen), config.owner, occurrences, now, weeks, history_start
    )


def agenda_links(agendas: AgendaBackend, people: Sequence[Person]) -> dict[str, str | None]:
    """Return each person's agenda link by email (None where there is none or it
    cannot be had now: a link is a nicety, never a reason to fail)."""
    links: dict[str, str | None] = {}
    for person in people:
        try:
            links[person.email] = agendas.url(person)
        except CadenceError:
            links[person.email] = None
    return links
