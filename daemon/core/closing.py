"""Which open proposals and standing bookings a plan closes, and in what words
(values only).

A proposal ends ``expired`` when its period is over, ``withdrawn`` when it no
longer applies because of the person (removed, or paused over its period),
and ``superseded`` only when the calendar itself filled its gap.

A booking (DESIGN rule 9) is cancelled when it no longer applies before its
meeting: the calendar filled its gap by itself (the original meeting is
back), or its person was removed or paused over it. A recurring booking ends
with an UNTIL before its next meeting when its person is removed or their
settings changed: the meetings held stay in everyone's calendar.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from cadence.daemon.core.actions import Action
from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.dates import day_time, span_text
from cadence.daemon.core.model import Occurrence, Owner, Person, Proposal
from cadence.daemon.core.reconcile import is_live, one_on_ones
from cadence.daemon.core.series import settings_of

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


CALLED_OFF = "you called it off in your calendar"


def _called_off(booking: Booking, person: Person, owner: Owner, view: Sequence[Occurrence]) -> bool:
    """Whether the owner's calendar shows the booking and no longer as a meeting: she
    cancelled, deleted or declined her copy (the person's copy stands until told)."""
    shown = [o for o in view if o.uid == booking.uid]
    return bool(shown) and not any(is_live(o, owner, person) for o in shown)


def settings_changed(person: Person) -> str:
    return f"{person.name}'s settings changed"


def _filled(booking: Booking, person: Person, owner: Owner, view: Sequence[Occurrence]) -> bool:
    """Whether another live 1:1 with the person now lies in the gap the booking answers."""
    period = booking.period
    if period is None:
        return False
    return any(
        o.uid != booking.uid and is_live(o, owner, person) and period.contains(o.start)
        for o in one_on_ones(person, owner, view)
    )


def booking_actions(
    bookings: Iterable[Booking],
    people: Mapping[str, Person],
    view: Sequence[Occurrence],
    owner: Owner,
    now: datetime,
) -> list[Action]:
    """Given the standing bookings, the people by email, the owner's calendar as cadence
    knows it, the owner and now, return the steps that withdraw or end the bookings
    that no longer apply."""
    zone = owner.zone
    actions: list[Action] = []
    for booking in bookings:
        if not booking.status.live:
            continue
        person = people.get(booking.person)
        label = f"#{booking.id} ({day_time(booking.start, zone)})"
        if booking.recurring:
            upcoming = booking.next_start(now)
            if upcoming is None:
                continue  # ended already, or nothing ahead
            if person is None:
                why = removed(booking.person)
            elif booking.settings and booking.settings != settings_of(person):
                why = settings_changed(person)
            else:
                continue
            detail = f"{label}: ends before {day_time(upcoming, zone)}: {why}"
            actions.append(
                Action("end-booking", booking.person, detail, booking=booking, cut=upcoming)
            )
            continue
        if booking.start <= now:
            continue  # held, or under way: nothing to withdraw
        if person is None:
            why = removed(booking.person)
        elif _called_off(booking, person, owner, view):
            why = CALLED_OFF
        elif person.is_paused_on(booking.start.astimezone(zone).date()):
            why = paused(person)
        elif _filled(booking, person, owner, view):
            why = FILLED
        else:
            continue
        actions.append(Action("cancel-booking", booking.person, f"{label}: {why}", booking=booking))
    return actions
