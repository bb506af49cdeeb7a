"""Observed calendar occurrences plus a person's cadence, turned into gaps.

The calendar is the truth: a period is fine when it holds a live 1:1 with the
person, whatever cadence or anyone else planned. Everything else about a
period (a cancelled instance, a decline, a move) only explains *why* it has no
1:1, so the proposal can say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import (
    EventType,
    Gap,
    Occurrence,
    Owner,
    Period,
    Person,
    Reason,
    Status,
)
from cadence.daemon.core.periods import periods_between

__all__ = ["find_gaps", "is_live", "is_one_on_one", "one_on_ones"]

# Digits must not touch the marker, so "21:15" or "2024-1-1" are not 1:1s;
# a trailing "s" allows "1:1s".
_MARKER = re.compile(
    r"(?<![\w:.-])(?:1(?::|-|\s?on\s?)1|one[\s-]+on[\s-]+one)s?(?!\w)",
    re.IGNORECASE,
)

_LIVE = (Status.CONFIRMED, Status.TENTATIVE)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@cache
def _name_pattern(name: str, email: str) -> re.Pattern[str] | None:
    """Given a person's name and email, return a pattern matching a mention of them
    (full name, first name or the local part of the email, as whole words)."""
    words = name.split()
    local = email.partition("@")[0]
    forms = [r"\s+".join(map(re.escape, words))] if words else []
    forms += [re.escape(words[0])] if len(words) > 1 else []
    forms += [re.escape(local)] if local else []
    if not forms:
        return None
    # Lookarounds rather than \b: names and local parts may begin or end with
    # characters that are not word characters ("o'neil", "j.doe").
    return re.compile(rf"(?<!\w)(?:{'|'.join(forms)})(?!\w)", re.IGNORECASE)


def _names_person(summary: str, person: Person) -> bool:
    pattern = _name_pattern(person.name, person.email)
    return pattern is not None and pattern.search(summary) is not None


def is_one_on_one(occurrence: Occurrence, owner: Owner, person: Person) -> bool:
    """Given an occurrence, the owner and a person, return whether it is a 1:1 between them.

    It is when its participants (organizer and attendees, rooms, resources and
    groups left out) are exactly the two of them, or when cadence's own marker
    names the person; a feed without attendees falls back to the summary, which
    must name the person and carry a 1:1 marker. Only a meeting can be one: an
    out-of-office, focus-time, working-location, birthday or Gmail entry never is.
    """
    if occurrence.event_type is not EventType.MEETING:
        return False  # focus time to prepare it, a birthday, a booking Gmail found
    owner_email = owner.email.lower()
    person_email = person.email.lower()
    if occurrence.participants() == {owner_email, person_email}:
        return True
    if occurrence.person is not None and occurrence.person.strip().lower() == person_email:
        return True
    organizer = (occurrence.organizer or owner_email).lower()
    if any(a.is_person for a in occurrence.attendees) or organizer != owner_email:
        return False
    return _MARKER.search(occurrence.summary) is not None and _names_person(
        occurrence.summary, person
    )


_OrderKey = tuple[
    datetime,
    datetime,
    tuple[str, str],
    str,
    datetime,
    str,
    str,
    str,
    tuple[tuple[str, str, str], ...],
]


def _order(occurrence: Occurrence) -> _OrderKey:
    """Return a total sort key, so no choice below depends on the input order."""
    return (
        _utc(occurrence.start),
        _utc(occurrence.original_start),
        occurrence.key,
        occurrence.status.value,
        _utc(occurrence.end),
        occurrence.summary,
        occurrence.organizer or "",
        occurrence.person or "",
        tuple((a.email, a.partstat.value, a.cutype.value) for a in occurrence.attendees),
    )


def one_on_ones(
    person: Person, owner: Owner, occurrences: Iterable[Occurrence]
) -> list[Occurrence]:
    """Given a person, the owner and any occurrences, return the person's 1:1s among
    them, whatever their status, sorted by start."""
    return sorted((o for o in occurrences if is_one_on_one(o, owner, person)), key=_order)


def _declined(occurrence: Occurrence, owner: Owner, person: Person) -> bool:
    return occurrence.declined_by(owner.email) or occurrence.declined_by(person.email)


def is_live(occurrence: Occurrence, owner: Owner, person: Person) -> bool:
    """Given an occurrence, the owner and a person, return whether it will take place:
    confirmed or tentative, and declined by neither of them."""
    return occurrence.status in _LIVE and not _declined(occurrence, owner, person)


def _within(moment: datetime, period: Period) -> bool:
    return _utc(period.start) <= _utc(moment) < _utc(period.end)


def _reason(
    period: Period, ones: Sequence[Occurrence], owner: Owner, person: Person
) -> tuple[Reason, Occurrence | None]:
    """Given an unsatisfied period and the person's 1:1s, return why it has no 1:1 and
    the occurrence that says so (the earliest, when several do)."""
    meant = [o for o in ones if _within(o.original_start, period)]  # ones are in order
    rules: tuple[tuple[Reason, Callable[[Occurrence], bool]], ...] = (
        (Reason.CANCELLED, lambda o: o.status is Status.CANCELLED),
        (Reason.DELETED, lambda o: o.status is Status.DELETED),
        (Reason.DECLINED, lambda o: o.status in _LIVE and _declined(o, owner, person)),
        (Reason.MOVED, lambda o: is_live(o, owner, person) and not _within(o.start, period)),
    )
    for reason, applies in rules:
        for occurrence in meant:
            if applies(occurrence):
                return reason, occurrence
    return Reason.MISSING, None


def _paused_through(person: Person, period: Period, horizon: datetime, zone: ZoneInfo) -> bool:
    """Return whether the person is paused on every local day of the period that lies
    before the horizon: a pause runs until a date, so the last such day decides."""
    last = min(_utc(period.end), _utc(horizon)) - timedelta(microseconds=1)
    return person.is_paused_on(last.astimezone(zone).date())


def find_gaps(
    person: Person,
    owner: Owner,
    occurrences: Sequence[Occurrence],
    now: datetime,
    horizon: datetime,
) -> list[Gap]:
    """Given a person, the owner, every occurrence known from all sources, the current
    moment and the lookahead horizon, return the person's gaps in ``[now, horizon)``.

    The periods considered are those of the person's cadence (anchored at
    ``person.anchor``, in the owner's timezone) that overlap ``[now, horizon)``. A
    period is satisfied by a live 1:1 starting inside it, even one already held
    before ``now``. A period is skipped when the person is paused on every day of it
    that falls inside ``[now, horizon)``; so a pause that lasts beyond the horizon
    yields no gap, and a person back mid-period still needs a 1:1 in that period.

    Each other period yields one gap, whose reason comes from the person's 1:1s
    originally meant for that period, first match wins: ``cancelled``, ``deleted``,
    ``declined``, ``moved`` (rescheduled to outside the period), else ``missing``.
    When the person has no live 1:1 at all, past or future, there is no series to
    repair: the answer is a single ``no-series`` gap in the first unpaused period.
    """
    ones = one_on_ones(person, owner, occurrences)
    live = [o for o in ones if is_live(o, owner, person)]
    periods = [
        period
        for period in periods_between(person.cadence, person.anchor, now, horizon, owner.zone)
        if not _paused_through(person, period, horizon, owner.zone)
    ]
    if not live:
        return [Gap(person.email, periods[0], Reason.NO_SERIES)] if periods else []
    gaps: list[Gap] = []
    for period in periods:
        if any(_within(o.start, period) for o in live):
            continue
        reason, occurrence = _reason(period, ones, owner, person)
        gaps.append(Gap(person.email, period, reason, occurrence))
    return gaps
