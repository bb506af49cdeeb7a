"""When a read of a calendar is too strange to believe (DESIGN rule 14).

A feed that suddenly loses most of what it held is far more often a broken
export (a server error page that still parses, a truncated file, every event in
a timezone the reader does not know) than a lead who cancelled everything at
once. Such a read is held back, as vdirsyncer refuses to sync the deletion of
everything, until a normal read comes or the owner accepts it. One person's
series vanishing is a normal change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

# Fewer events than this in the last accepted read: too few to call a loss strange.
MANY = 20
# A read keeping at most this share of the events of the last accepted one is suspect.
MOST_LOST = 0.25
# The 1:1s of this many people vanishing in one read is suspect; of one person, normal.
SEVERAL = 2


@dataclass(frozen=True)
class ReadSummary:
    """What a read held: its events (occurrences in the window), the events it had to
    skip as unreadable, and the people it holds 1:1s with."""

    events: int
    unreadable: int = 0
    people: frozenset[str] = frozenset()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _names(emails: Collection[str]) -> str:
    shown = sorted(emails)
    return ", ".join(shown[:5]) + (", …" if len(shown) > 5 else "")


def suspect(before: ReadSummary | None, after: ReadSummary, *, complete: bool = True) -> str | None:
    """Given what the last accepted read held (None: there was none) and what the new
    read holds, return why the new read is suspect, or None when it is believable.
    Only a ``complete`` read (every event in the window) can lose events; an
    incremental one is judged on its unreadable events alone."""
    if after.unreadable and not after.events:
        return f"every event in it was unreadable ({_plural(after.unreadable, 'event')} skipped)"
    if before is None or not complete:
        return None
    if before.events >= MANY and after.events <= before.events * MOST_LOST:
        return (
            f"it holds {_plural(after.events, 'event')} where the last good read held "
            f"{before.events}"
        )
    gone = before.people - after.people
    if len(gone) >= SEVERAL:
        return f"the 1:1s of {len(gone)} people vanished at once ({_names(gone)})"
    return None
