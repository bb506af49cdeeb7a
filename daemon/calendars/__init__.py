"""Calendar adapters: read occurrences (and busy time) from a source.

An adapter decides nothing: it turns what a source says into
:class:`~cadence.daemon.model.Occurrence` values and reports what it could not
read as :class:`~cadence.daemon.errors.SourceError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cadence.daemon.model import Interval, Occurrence


@dataclass(frozen=True)
class CalendarRead:
    """What one read of a source returned.

    ``changed`` is False when the source is known to be unchanged since the read
    that produced ``state`` (HTTP 304, same content hash): then ``occurrences``
    is empty and the caller keeps what it stored before. ``state`` is opaque to
    the caller (ETag, Last-Modified, content hash; a sync token) and is handed
    back on the next read.
    """

    changed: bool
    state: Mapping[str, str]
    occurrences: tuple[Occurrence, ...] = field(default=())


class Calendar(Protocol):
    """A source of occurrences: the owner's calendar or a person's busy feed."""

    @property
    def name(self) -> str:
        """Names the source in logs and errors, without credentials."""
        ...

    def read(self, window: Interval, state: Mapping[str, str]) -> CalendarRead:
        """Given the time window of interest and the state of the previous read,
        return every occurrence overlapping the window (cancelled ones included),
        or ``changed=False``; raise SourceError when the source cannot be read."""
        ...
