"""What a cycle works through: the adapters built from the config, the names of
the sources it reads, and the span it reads them over.

Both the cycle and the weekly digest (which the cycle queues) use these; they
live apart from both so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.calendars import Calendar, CalendarWriter
from cadence.daemon.config import Config
from cadence.daemon.core.bookings import calendar_view
from cadence.daemon.core.model import Interval, Occurrence, Person
from cadence.daemon.mail import Transport
from cadence.daemon.proposing import ProposalMailer
from cadence.daemon.store import Store

HISTORY = timedelta(days=182)
# Periods overlapping the lookahead can end well after it (a quarter).
PERIOD_SLACK = timedelta(days=93)
OWNER_SOURCE = "calendar"


def busy_source(person: Person) -> str:
    return f"busy:{person.email}"


@dataclass
class Services:
    """The adapters a cycle works through, built once from the config."""

    config: Config
    store: Store
    calendar: Calendar
    busy_feed: Callable[[Person], Calendar]
    agendas: AgendaBackend
    transport: Transport
    mailer: ProposalMailer
    # The owner's calendar when cadence may write to it (Google), else None.
    writer: CalendarWriter | None = None
    # Called between the steps of a cycle: the long-running service's sign of
    # life for the watchdog (a cycle stuck in one step stops calling it).
    heartbeat: Callable[[], None] = lambda: None


def window_for(config: Config, now: datetime) -> Interval:
    """Return the span read from the sources, whole UTC days: a window that slid with
    every cycle would make each read look new to the adapters and defeat HTTP 304."""
    day = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
    return Interval(
        day - HISTORY, day + timedelta(days=1) + config.schedule.lookahead + PERIOD_SLACK
    )


def owners_calendar(
    store: Store, config: Config, since: datetime, until: datetime
) -> list[Occurrence]:
    """The owner's 1:1s and other events from ``since`` as cadence knows them: what
    the last good read of her calendar held, with the bookings it does not show
    yet counted as meetings up to ``until`` (DESIGN rule 8)."""
    read = store.observations.occurrences(since, [OWNER_SOURCE])
    bookings = store.bookings.all(include_closed=True)
    return calendar_view(read, bookings, config.owner, since, until)
