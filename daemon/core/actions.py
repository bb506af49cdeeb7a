"""The steps a cycle's plan is made of (values only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.core.model import Gap, Proposal, Slot


@dataclass(frozen=True)
class Action:
    """One step of a plan; ``describe`` is what ``sync --dry-run`` prints.

    Kinds: ``propose``, ``supersede``, ``expire``, ``prepare-agenda``, and on a
    writable calendar ``create-series``, ``split-series`` (end ``series`` before
    ``cut``, then create), ``attach-agenda`` (to ``events``).
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

    def describe(self) -> str:
        return f"{self.kind:<15} {self.person:<28} {self.detail}"
