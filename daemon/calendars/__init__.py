"""Calendar adapters: read occurrences (and busy time) from a source.

An adapter decides nothing: it turns what a source says into
:class:`~cadence.daemon.model.Occurrence` values and reports what it could not
read as :class:`~cadence.daemon.errors.SourceError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cadence.daemon.model import Interval, Occurrence


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
    single events known only by their UID.
    """

    changed: bool
    state: Mapping[str, str]
    occurrences: tuple[Occurrence, ...] = field(default=())
    complete: bool = True
    cancelled: tuple[CancelledInstance, ...] = field(default=())
    removed: tuple[str, ...] = field(default=())


class Calendar(Protocol):
    """A source of occurrences: the owner's calendar or a person's busy feed."""

    @property
    def name(self) -> str:
        """Names the source in logs and errors, without credentials."""
        ...

    def read(self, window: Interval, state: Mapping[str, str]) -> CalendarRead:
        """Given the time window of interest and the state of the previous read,
        return every occurrence overlapping the window (cancelled ones included),
        or what changed since that read, or ``changed=False``; raise SourceError
        when the source cannot be read."""
        ...
