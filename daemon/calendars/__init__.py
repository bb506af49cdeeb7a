"""Calendar adapters: read occurrences (and busy time) from a source.

An adapter decides nothing: it turns what a source says into
:class:`~cadence.daemon.core.model.Occurrence` values and reports what it could not
read as :class:`~cadence.daemon.core.errors.SourceError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cadence.daemon.core.model import Interval, Occurrence


@dataclass(frozen=True)
class CancelledInstance:
    """An instance of a series reported cancelled with nothing but its original start
    (Google's way): the store knows the rest from the series' other instances."""

    uid: str
    original_start: datetime


@dataclass(frozen=True)
class CalendarRead:
    """What one read of a source returned.

    ``changed`` is False when the source is known to be unchanged since the read
    that produced ``state`` (HTTP 304, same content hash, no change since a sync
    token): then nothing else is set and the caller keeps what it stored before.
    ``state`` is opaque to the caller (ETag, Last-Modified, content hash; a sync
    token) and is handed back on the next read.

    A ``complete`` read holds every occurrence overlapping the window: what the
    caller stored before and is missing now has vanished. An incremental read
    (``complete=False``) holds only what changed. Either may add ``cancelled``
    instances known only by their series and original start, and ``removed``
    single events known only by their UID. ``unreadable`` counts the events the
    source held but the adapter had to skip as unreadable (a read where every
    event was is held back as suspect, not taken as an empty calendar).
    """

    changed: bool
    state: Mapping[str, str]
    occurrences: tuple[Occurrence, ...] = field(default=())
    complete: bool = True
    cancelled: tuple[CancelledInstance, ...] = field(default=())
    removed: tuple[str, ...] = field(default=())
    unreadable: int = 0


class Calendar(Protocol):
    """A source of occurrences: the owner's calendar or a person's busy feed."""

    @property
    def name(self) -> str:
        """Names the source in logs and errors, without credentials."""
        ...

    def read(
        self,
        window: Interval,
        state: Mapping[str, str],
        progress: Callable[[], None] = ...,
    ) -> CalendarRead:
        """Given the time window of interest and the state of the previous read,
        return every occurrence overlapping the window (cancelled ones included),
        or what changed since that read, or ``changed=False``; raise SourceError
        when the source cannot be read. A source that may take long calls
        ``progress`` while it makes progress (the daemon's watchdog heartbeat)."""
        ...


@dataclass(frozen=True)
class EventSpec:
    """A 1:1 event cadence writes: one meeting, or a series when ``recurrence`` is set.

    ``event_id`` is chosen by the caller and stable for the same intent, so a write
    retried after a crash finds its event instead of making a second one. A series
    runs on ``zone``'s wall clock (``start`` and ``end`` in that zone).
    """

    event_id: str
    person: str
    summary: str
    description: str
    start: datetime
    end: datetime
    zone: str
    recurrence: tuple[str, ...] = ()
    agenda_url: str | None = None


@dataclass(frozen=True)
class Availability:
    """Busy time per calendar (an email, or the owner's calendar id); ``hidden`` are
    the calendars whose free/busy the owner may not see."""

    busy: Mapping[str, Sequence[Interval]]
    hidden: frozenset[str] = frozenset()

    def of(self, calendar: str) -> list[Interval]:
        return list(self.busy.get(calendar, ()))


class CalendarWriter(Protocol):
    """A calendar cadence may write to (Google): its series, moves and agenda links.

    Each method is idempotent and raises a CadenceError naming the call that failed.
    """

    @property
    def name(self) -> str: ...

    @property
    def owner_calendar(self) -> str:
        """The id under which :meth:`availability` reports the owner's busy time."""
        ...

    def create(self, specs: Sequence[EventSpec]) -> list[Exception | str]:
        """Create the events (those that exist already count as created); return, in
        order, each one's id as made (the spec's, or one derived from it when that
        id cannot be had) or its failure."""
        ...

    def end_series(self, event_id: str, before: datetime) -> None:
        """End the series so that no meeting starts at or after ``before`` (meetings
        before it are kept); a series that had not begun by then is deleted."""
        ...

    def move(self, series_id: str, original_start: datetime, spec: EventSpec) -> bool:
        """Move the series' instance meant for ``original_start`` (cancelled or not) to
        the spec's time; return False when the calendar has no such instance."""
        ...

    def attach(self, event_ids: Sequence[str], url: str) -> dict[str, Exception]:
        """Add the agenda link to each event that lacks it; return the failures by id."""
        ...

    def identity(self, event_id: str, original_start: datetime | None) -> tuple[str, int]:
        """Return the iCalendar UID and SEQUENCE of the event (or of the series'
        meeting meant for ``original_start``), as its organizer's calendar has them."""
        ...

    def availability(self, calendars: Sequence[str], window: Interval) -> Availability:
        """Return the busy time of each calendar over the window."""
        ...
