"""A proposal as the planner hands it to the store (not yet numbered), for the
tests of the state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cadence.daemon.core.model import Period, Proposal, ProposalStatus, Reason, Slot


def draft(gap_key: str = "alice@example.com|2026-11-23") -> Proposal:
    start = datetime(2026, 11, 23, tzinfo=UTC)
    return Proposal(
        id=0,
        gap_key=gap_key,
        person="alice@example.com",
        reason=Reason.CANCELLED,
        status=ProposalStatus.OPEN,
        period=Period(start, start + timedelta(weeks=1)),
        slots=(Slot(start + timedelta(hours=10), start + timedelta(hours=10, minutes=30)),),
    )
