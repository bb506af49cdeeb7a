"""What changing a person does besides the change: proposals that no longer apply
are withdrawn (DESIGN: ``withdrawn``), and a usual time that does not fit the
working hours is pointed out.

Withdrawn, never "superseded": a pause, a removal or new settings are not the
calendar filling a gap, and the proposal's reason says which it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cadence.daemon.config import Config
from cadence.daemon.core.closing import paused, removed
from cadence.daemon.core.dates import last_day
from cadence.daemon.core.errors import UsageError
from cadence.daemon.core.fit import fit_warnings
from cadence.daemon.core.model import WEEKDAYS, Owner, Person, Proposal, ProposalStatus
from cadence.daemon.core.values import format_duration
from cadence.daemon.cycle import slot_rules
from cadence.daemon.store import Store

# The settings a proposal's slots were chosen for.
SETTINGS = ("cadence", "day", "time", "duration")


@dataclass(frozen=True)
class PersonChange:
    """A person after a change, the proposals it withdrew and what does not fit.
    ``changed`` is False when the command had nothing to do (resuming someone
    who was not paused)."""

    person: Person
    withdrawn: tuple[Proposal, ...] = ()
    warnings: tuple[str, ...] = ()
    changed: bool = True


# Changing one of these may move the usual time out of the working hours.
FITTING = frozenset({"day", "time", "duration", "timezone"})


def refuse_new(person: Person, owner: Owner) -> None:
    """Raise UsageError for someone cadence cannot track: the owner, or no name."""
    if person.email.lower() == owner.email.lower():
        raise UsageError(
            f"{person.email} is your own address (owner.email); add the people you have 1:1s with"
        )
    refuse_name(person.name, person.email)


def refuse_name(name: str, email: str) -> None:
    if not name.strip():
        raise UsageError(f"--name: give {email}'s name (it may not be empty)")


def refuse_pause(until: date | None, today: date) -> None:
    """Raise UsageError for a pause that would end before it began."""
    if until is not None and until <= today:
        raise UsageError(
            f"--until {until.isoformat()}: that date is not in the future; give a later "
            "date, or leave --until out to pause until `cadence person resume`"
        )


def warnings_for(person: Person, config: Config, now: datetime) -> tuple[str, ...]:
    """Return what does not fit in the person's usual 1:1 (see core.fit)."""
    today = now.astimezone(config.owner.zone).date()
    return tuple(fit_warnings(person, slot_rules(config), today))


def _shown(person: Person, setting: str) -> str:
    if setting == "day":
        return WEEKDAYS[person.day]
    if setting == "time":
        return f"{person.time:%H:%M}"
    if setting == "duration":
        return format_duration(person.duration)
    return str(person.cadence)


def settings_changed(before: Person, after: Person) -> str | None:
    """Return the words for what changed among the settings proposals depend on
    (``cadence weekly → biweekly``), or None when none did."""
    changes = [
        f"{setting} {_shown(before, setting)} → {_shown(after, setting)}"
        for setting in SETTINGS
        if getattr(before, setting) != getattr(after, setting)
    ]
    return ", ".join(changes) if changes else None


def _stale(
    store: Store, before: Person, after: Person | None, zone: ZoneInfo
) -> tuple[list[Proposal], str | None]:
    """Return the person's open proposals the change makes stale, and why (None when
    the change leaves their proposals and gaps as they were)."""
    mine = [p for p in store.proposals.all() if p.person == before.email]
    if after is None:
        return mine, removed(before.email)
    changed = settings_changed(before, after)
    if changed is not None:
        return mine, f"{after.name}'s settings changed ({changed})"
    if after.paused and (after.paused, after.paused_until) != (before.paused, before.paused_until):
        # Those whose period the pause lasts through: no gap is left there.
        covered = [p for p in mine if after.is_paused_on(last_day(p.period, zone))]
        return covered, paused(after)
    return [], None


def withdraw_stale(
    store: Store, before: Person, after: Person | None, now: datetime, zone: ZoneInfo
) -> tuple[Proposal, ...]:
    """Withdraw the open proposals of ``before`` that ``after`` (None: removed) makes
    stale, and forget the person's unanswered gaps, which the next cycle says anew;
    return the withdrawn proposals as they now are."""
    stale, reason = _stale(store, before, after, zone)
    if reason is None:
        return ()
    for proposal in stale:
        store.proposals.set_status(proposal.id, ProposalStatus.WITHDRAWN, now, reason=reason)
    store.unanswered.forget(before.email)
    found = (store.proposals.get(p.id) for p in stale)
    return tuple(p for p in found if p is not None)


def names(proposals: Sequence[Proposal]) -> str:
    """Return ``#3 and #5``: the proposals' numbers for a sentence."""
    ids = [f"#{p.id}" for p in proposals]
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]
