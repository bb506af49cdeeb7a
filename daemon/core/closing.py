"""Which open proposals a plan closes, and in what words (values only).

A proposal ends ``expired`` when its period is over, ``withdrawn`` when it no
longer applies because of the person (removed, or paused over its period),
and ``superseded`` only when the calendar itself filled its gap.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from cadence.daemon.core.actions import Action
from cadence.daemon.core.dates import span_text
from cadence.daemon.core.model import Person, Proposal

FILLED = "the calendar filled the gap"
ENDED = "its period ended"


def removed(email: str) -> str:
    return f"{email} was removed"


def paused(person: Person) -> str:
    until = f" until {person.paused_until.isoformat()}" if person.paused_until else ""
    return f"{person.name} was paused{until}"


def _paused_over(person: Person, proposal: Proposal, now: datetime, zone: ZoneInfo) -> bool:
    """Whether the pause covers what is left of the proposal's period."""
    start = max(now, proposal.period.start).astimezone(zone).date()
    return person.is_paused_on(start)


def closing_actions(
    proposals: Iterable[Proposal],
    people: Mapping[str, Person],
    gaps: Collection[str],
    now: datetime,
    zone: ZoneInfo,
) -> list[Action]:
    """Given the open proposals, the people by email and the keys of the current
    gaps, return the steps that close the proposals that no longer stand."""
    actions: list[Action] = []
    for proposal in proposals:
        person = people.get(proposal.person)
        if proposal.period.end <= now:
            kind, why = "expire", ENDED
        elif proposal.gap_key in gaps:
            continue
        elif person is None:
            kind, why = "withdraw", removed(proposal.person)
        elif _paused_over(person, proposal, now, zone):
            kind, why = "withdraw", paused(person)
        else:
            kind, why = "supersede", FILLED
        label = f"#{proposal.id} ({span_text(proposal.period, zone)})"
        actions.append(Action(kind, proposal.person, f"{label}: {why}", proposal=proposal))
    return actions


def reason_of(action: Action) -> str:
    """Return the words a closing step stores with the proposal it closes."""
    return action.detail.split(": ", 1)[1]
