"""When a read is too strange to believe (DESIGN rule 14)."""

from __future__ import annotations

from cadence.daemon.core.suspect import MANY, ReadSummary, suspect
from hypothesis import given
from hypothesis import strategies as st

PEOPLE = frozenset({"alice@example.com", "bob@example.com", "carol@example.com"})
BEFORE = ReadSummary(events=200, people=PEOPLE)


def test_a_normal_read_is_believed() -> None:
    assert suspect(BEFORE, ReadSummary(events=195, people=PEOPLE)) is None
    assert suspect(None, ReadSummary(events=0)) is None  # a first read of an empty calendar


def test_every_event_unreadable_is_suspect_even_on_the_first_read() -> None:
    assert suspect(None, ReadSummary(events=0, unreadable=12)) == (
        "every event in it was unreadable (12 events skipped)"
    )
    assert suspect(BEFORE, ReadSummary(events=195, unreadable=12, people=PEOPLE)) is None


def test_an_empty_calendar_where_there_were_many_events_is_suspect() -> None:
    assert suspect(BEFORE, ReadSummary(events=0)) == (
        "it holds 0 events where the last good read held 200"
    )
    assert suspect(ReadSummary(events=MANY - 1), ReadSummary(events=0)) is None  # too few to tell


def test_the_one_on_ones_of_several_people_vanishing_is_suspect_of_one_is_not() -> None:
    one_gone = ReadSummary(events=190, people=PEOPLE - {"alice@example.com"})
    assert suspect(BEFORE, one_gone) is None
    two_gone = ReadSummary(events=190, people=frozenset({"carol@example.com"}))
    assert suspect(BEFORE, two_gone) == (
        "the 1:1s of 2 people vanished at once (alice@example.com, bob@example.com)"
    )


def test_an_incremental_read_is_judged_on_its_unreadable_events_alone() -> None:
    assert suspect(BEFORE, ReadSummary(events=0), complete=False) is None


@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 50))
def test_a_read_holding_at_least_as_much_as_before_is_never_suspect(
    before: int, more: int, unreadable: int
) -> None:
    after = ReadSummary(events=before + more + 1, unreadable=unreadable, people=PEOPLE)
    assert suspect(ReadSummary(events=before, people=PEOPLE), after) is None
