"""What one cycle found and did: the figures ``sync`` prints and the cycle record keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cadence.daemon.core.actions import Action


@dataclass
class CycleReport:
    started: datetime
    gaps: int = 0
    proposals_created: int = 0
    emails_sent: int = 0
    agenda_sections: int = 0
    series_created: int = 0
    reconciled: bool = False
    # Each: "source" (a feed, the mail server, a step), "message", and for a step's
    # unexpected failure "step".
    errors: list[dict[str, str]] = field(default_factory=list)
    # Sources whose read was held back as suspect this cycle: name -> why.
    held: dict[str, str] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    # Why each gap left without a proposal has none, by gap key, as found this cycle;
    # and the whole list of unanswered gaps after it (see unanswered.py).
    unanswered: dict[str, str] = field(default_factory=dict)
    unanswered_gaps: list[dict[str, object]] = field(default_factory=list)
    # What reading the inbox found (None when there is no inbox).
    inbox: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "gaps": self.gaps,
            "proposals_created": self.proposals_created,
            "emails_sent": self.emails_sent,
            "agenda_sections": self.agenda_sections,
            "series_created": self.series_created,
            "errors": self.errors,
            "held": [{"source": name, "why": why} for name, why in self.held.items()],
            "unanswered_gaps": self.unanswered_gaps,
            "plan": [
                {"action": a.kind, "person": a.person, "detail": a.detail} for a in self.actions
            ],
        }
        if self.inbox is not None:
            found["inbox"] = self.inbox
        return found
