"""Which open proposals a plan closes: expired, withdrawn (removed, paused) or, only
when the calendar filled the gap, superseded."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.closing import closing_actions, reason_of
from cadence.daemon.core.model import (
    Cadence,
    Period,
    Person,
    Proposal,
    ProposalStatus,
    Reason,
    Unit,
)
from hypothesis import given
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, tzinfo=BERLIN)
ALICE = Person("alice@example.com", "Alice", Cadence(Unit.WEEK))
WEEK = Period(datetime(2026, 11, 30, tzinfo=BERLIN), datetime(2026, 12, 7, tzinfo=BERLIN))
OPEN = Proposal(1, "alice@example.com|2026-11-30", ALICE.email, Reason.CANCELLED,
                ProposalStatus.SENT, WEEK, ())  # fmt: skip


def close(person: Person | None, gaps: set[str], now: datetime = NOW) -> tuple[str, str] | None:
    people = {person.email: person} if person else {}
    actions = closing_actions([OPEN], people, gaps, now, BERLIN)
    return (actions[0].kind, reason_of(actions[0])) if actions else None


def test_a_gap_still_there_keeps_its_proposal() -> None:
    assert close(ALICE, {OPEN.gap_key}) is None


def test_the_calendar_filling_the_gap_supersedes() -> None:
    assert close(ALICE, set()) == ("supersede", "the calendar filled the gap")


def test_a_removed_or_paused_person_withdraws_never_gap_filled() -> None:
    assert close(None, set()) == ("withdraw", "alice@example.com was removed")
    paused = replace(ALICE, paused=True, paused_until=date(2027, 1, 10))
    assert close(paused, set()) == ("withdraw", "Alice was paused until 2027-01-10")
    assert close(replace(ALICE, paused=True), set()) == ("withdraw", "Alice was paused")


def test_a_period_over_expires_whatever_else() -> None:
    after = WEEK.end + timedelta(minutes=1)
    assert close(None, set(), after) == ("expire", "its period ended")


@given(st.booleans(), st.booleans(), st.booleans(), st.integers(0, 20))
def test_gap_filled_is_said_only_of_someone_tracked_and_not_paused(
    known: bool, is_paused: bool, gap_there: bool, days: int
) -> None:
    person = replace(ALICE, paused=is_paused) if known else None
    found = close(person, {OPEN.gap_key} if gap_there else set(), NOW + timedelta(days=days))
    if found is not None and found[0] == "supersede":
        assert known and not is_paused and not gap_there
