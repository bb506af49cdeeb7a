"""Which occurrences block time, and which are worth remembering (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cadence.daemon.core.model import EventType, Interval, Occurrence, Owner, Person, Status
from cadence.daemon.core.reconcile import is_one_on_one


def blocks_time(occurrence: Occurrence, who: str | None) -> bool:
    """Return whether the occurrence makes ``who`` (an email, or None for the feed's
    own holder) unavailable: not cancelled or deleted, not transparent (free),
    not a working location or a birthday, and not declined by them."""
    if occurrence.status in (Status.CANCELLED, Status.DELETED) or occurrence.transparent:
        return False
    if not occurrence.event_type.blocks_time:
        return False  # a working location or a birthday is never busy time
    return not (who and occurrence.declined_by(who))


def busy_intervals(occurrences: Iterable[Occurrence], who: str | None) -> list[Interval]:
    """Return the merged, sorted busy intervals of the occurrences that block ``who``."""
    spans = sorted(o.interval for o in occurrences if blocks_time(o, who) and o.end > o.start)
    merged: list[Interval] = []
    for span in spans:
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def worth_keeping(occurrence: Occurrence, owner: Owner, people: Sequence[Person]) -> bool:
    """Return whether an occurrence may be a 1:1 and so belongs in the history:
    it carries cadence's marker, has at most one participant besides the owner,
    or is a 1:1 of a known person. Only meetings: the store does not keep an event's
    type, and an out-of-office or a birthday must never come back as a 1:1."""
    if occurrence.event_type is not EventType.MEETING:
        return False
    if occurrence.person:
        return True
    others = occurrence.participants() - {owner.email.lower()}
    if len(others) == 1:
        return True
    return any(is_one_on_one(occurrence, owner, p) for p in people)
