"""The steps a cycle's plan is made of (values only), and how a gap is answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.dates import day_time, span_text
from cadence.daemon.core.model import Gap, Person, Proposal, Reason, Slot
from cadence.daemon.core.slots import SHORTEST


@dataclass(frozen=True)
class Action:
    """One step of a plan; ``describe`` is what ``sync --dry-run`` prints.

    Kinds: ``propose``, ``no-free-time`` (a gap no slot fits: the owner is told
    so, with the nearest options as the proposal's ``slots``), ``supersede``, ``withdraw``,
    ``expire``, ``prepare-agenda``, and on a writable calendar
    ``create-series``, ``split-series`` (end ``series`` before ``cut``, then
    create), ``attach-agenda`` (to ``events``); for what cadence arranged by
    invitation, ``cancel-booking`` (METHOD:CANCEL) and ``end-booking`` (an UNTIL
    before ``cut``).
    """

    kind: str
    person: str
    detail: str
    gap: Gap | None = None
    proposal: Proposal | None = None
    slots: tuple[Slot, ...] = ()
    meeting_start: datetime | None = None
    notes: tuple[str, ...] = ()
    series: str | None = None
    cut: datetime | None = None
    events: tuple[str, ...] = ()
    booking: Booking | None = None

    def describe(self) -> str:
        return f"{self.kind:<15} {self.person:<28} {self.detail}"


def gap_text(gap: Gap, zone: ZoneInfo) -> str:
    """Return what the gap is, by the meeting it lost when there is one:
    ``cancelled Tue 01 Dec 10:00``, else ``missing in 30 Nov–06 Dec``."""
    if gap.occurrence is not None:
        return f"{gap.reason} {day_time(gap.occurrence.original_start, zone)}"
    if gap.reason is Reason.NO_SERIES:
        return f"no series, first period {span_text(gap.period, zone)}"
    return f"{gap.reason} in {span_text(gap.period, zone)}"


def no_free_time(person: Person, gap: Gap, zone: ZoneInfo) -> str:
    """Return why a gap got no proposal when no slot fits it."""
    shortest = max(person.duration / 2, SHORTEST)
    minutes = int(shortest / timedelta(minutes=1))
    return (
        f"no free time in {span_text(gap.period, zone)}: not even a {minutes}-minute slot "
        "fits the working hours, the notice and everyone's busy time"
    )


def answer(
    person: Person,
    gap: Gap,
    slots: tuple[Slot, ...],
    zone: ZoneInfo,
    notes: tuple[str, ...] = (),
    *,
    options: tuple[Slot, ...] = (),
) -> Action:
    """Given a gap and the free slots found for it, return the step that answers it:
    a proposal of those slots or, when none fits, the gap said plainly to have no
    free time, with the nearest ``options`` (DESIGN rule 11)."""
    what = gap_text(gap, zone)
    if not slots:
        offered = ", ".join(day_time(s.start, zone) for s in options) or "none"
        detail = f"{what}: {no_free_time(person, gap, zone)}; nearest options: {offered}"
        return Action("no-free-time", person.email, detail, gap=gap, slots=options, notes=notes)
    times = ", ".join(day_time(s.start, zone) for s in slots)
    return Action("propose", person.email, f"{what}: {times}", gap=gap, slots=slots, notes=notes)
