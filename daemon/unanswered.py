"""Gaps left without an answer: found by planning, kept for ``cadence status``.

A gap is unanswered when planning could not make it a proposal (free/busy
could not be read; making the proposal failed) or when the one proposal it
may ever have closed without booking anything (it expired or was superseded,
and the gap came back). Each is listed with why, never left to a log line. A
gap no slot fits is answered too: by the one email that says so, with the
nearest options (DESIGN rule 11; a proposal with ``no_free_time``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Gap, ProposalStatus
from cadence.daemon.store import Store, UnansweredGap

__all__ = ["UnansweredGap", "as_json", "record", "stored_json", "unanswered"]

# A proposal in one of these states answers its gap, even if the gap stays.
_ANSWERED = (
    ProposalStatus.OPEN,
    ProposalStatus.SENT,
    ProposalStatus.ACCEPTED,
    ProposalStatus.DISMISSED,
)


def unanswered(
    store: Store, gaps: Sequence[Gap], reasons: Mapping[str, str]
) -> list[tuple[Gap, str]]:
    """Given the current gaps and why planning left some without a proposal (by gap
    key), return every gap that has no answer, with why."""
    found: list[tuple[Gap, str]] = []
    for gap in gaps:
        if gap.key in reasons:
            found.append((gap, reasons[gap.key]))
            continue
        proposal = store.proposals.by_gap(gap.key)
        if proposal is not None and proposal.status not in _ANSWERED:
            found.append(
                (
                    gap,
                    f"its proposal #{proposal.id} was {proposal.status} earlier, and cadence "
                    "makes one proposal per gap",
                )
            )
    return found


def record(
    store: Store, gaps: Sequence[Gap], reasons: Mapping[str, str], now: datetime
) -> list[UnansweredGap]:
    """Store the whole list of unanswered gaps; return those new to it."""
    return store.unanswered.replace(unanswered(store, gaps, reasons), now)


def as_json(
    gap: Gap | UnansweredGap, why: str, zone: ZoneInfo, since: datetime | None = None
) -> dict[str, object]:
    """Return one unanswered gap as ``sync --json`` and ``status --json`` show it."""
    if isinstance(gap, Gap):
        cancelled = gap.occurrence.original_start if gap.occurrence else None
    else:
        cancelled = gap.cancelled_start
    entry: dict[str, object] = {
        "person": gap.person,
        "reason": gap.reason.value,
        "period_start": gap.period.start.astimezone(zone).isoformat(),
        "period_end": gap.period.end.astimezone(zone).isoformat(),
        "cancelled_start": cancelled.astimezone(zone).isoformat() if cancelled else None,
        "why": why,
    }
    if since is not None:
        entry["since"] = since.astimezone(zone).isoformat()
    return entry


def stored_json(gaps: Sequence[UnansweredGap], zone: ZoneInfo) -> list[dict[str, object]]:
    """Return the stored unanswered gaps as ``status --json`` shows them."""
    return [as_json(g, g.why, zone, g.since) for g in gaps]
