"""Edits from the web app: a topic is one new line, a tick one character, and
nothing else of the document changes (property-based over hostile documents)."""

from __future__ import annotations

from datetime import date

import pytest
from cadence.daemon.core.agenda_edits import (
    MAX_TOPIC,
    EditConflict,
    add_topic,
    clean_topic,
    set_task,
    upcoming_section,
)
from hypothesis import given
from hypothesis import strategies as st

DOC = (
    "# 1:1 agenda: Alice and Olivia\n\n"
    "## 2026-11-24 Tue 10:00, 30 min\n\n"
    "### Alice's topics\n\n"
    "### Olivia's topics\n\n"
    "### Open action items\n\n"
    "- [ ] @alice: draft (due 2026-11-30)\n\n"
    "## 2026-11-17 Tue 10:00, 30 min\n\n"
    "### Alice's topics\n\n"
    "- old topic\n"
)
DAY = date(2026, 11, 24)


def test_a_topic_goes_under_its_heading_of_that_section() -> None:
    after = add_topic(DOC, DAY, "Alice", "the offsite")
    assert after == DOC.replace(
        "### Alice's topics\n\n### Olivia", "### Alice's topics\n- the offsite\n\n### Olivia"
    )
    again = add_topic(after, DAY, "Alice", "another")
    assert "- the offsite\n- another\n\n### Olivia" in again
    mine = add_topic(again, DAY, "Olivia", "budget")
    assert "### Olivia's topics\n- budget\n" in mine
    assert mine.count("- old topic") == 1


def test_a_missing_heading_is_added_at_the_top_of_the_section() -> None:
    doc = "## 2026-11-24 Tue\n\n### Notes\n"
    assert (
        add_topic(doc, DAY, "Alice", "x")
        == "## 2026-11-24 Tue\n\n### Alice's topics\n- x\n\n### Notes\n"
    )


def test_crlf_documents_stay_crlf() -> None:
    doc = DOC.replace("\n", "\r\n")
    after = add_topic(doc, DAY, "Alice", "t")
    assert "\n" not in after.replace("\r\n", "")
    assert len(after) == len(doc) + len("- t\r\n")


def test_no_section_for_that_day_is_a_conflict() -> None:
    with pytest.raises(EditConflict):
        add_topic(DOC, date(2026, 12, 1), "Alice", "x")


@pytest.mark.parametrize("topic", ["", "   ", "\n\t", "x" * (MAX_TOPIC + 1)])
def test_empty_or_long_topics_are_refused(topic: str) -> None:
    with pytest.raises(ValueError):
        clean_topic(topic)


def test_a_topic_is_one_line() -> None:
    assert clean_topic("a\nb\r\n## 2026-01-01 c\u2028d") == "a b ## 2026-01-01 c d"


lines = st.lists(
    st.one_of(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
            max_size=30,
        ),
        st.sampled_from(["### Alice's topics", "## 2026-11-24 x", "# top", "- [ ] item", ""]),
    ),
    max_size=20,
)


@given(lines, st.text(min_size=1, max_size=40).filter(lambda t: t.strip()))
def test_adding_a_topic_only_ever_inserts_one_line(before: list[str], topic: str) -> None:
    doc = "\n".join(["## 2026-11-24 Tue", *before, ""])
    try:
        after = add_topic(doc, DAY, "Alice", topic)
    except ValueError:
        return
    old, new = doc.split("\n"), after.split("\n")
    added = len(new) - len(old)
    assert added in (1, 3)  # the line, or the heading and the line (with a blank)
    remaining = iter(new)
    assert all(line in remaining for line in old), "every old line kept, in order"


@given(lines, st.booleans())
def test_a_tick_changes_one_character_of_one_line(before: list[str], done: bool) -> None:
    doc = "\n".join([*before, "- [ ] the item", "- [x] done one"])
    index = len(before)
    after = set_task(doc, index, "- [ ] the item", done)
    diff = [i for i, (a, b) in enumerate(zip(doc, after, strict=True)) if a != b]
    assert len(diff) == (1 if done else 0)


def test_a_moved_line_is_found_by_its_text_and_a_changed_one_is_a_conflict() -> None:
    doc = "x\n- [ ] item\n"
    assert set_task(doc, 0, "- [ ] item", True) == "x\n- [x] item\n"
    with pytest.raises(EditConflict):
        set_task(doc, 1, "- [ ] other", True)
    with pytest.raises(EditConflict):
        set_task("- [ ] item\n- [ ] item\n", 5, "- [ ] item", True)
    with pytest.raises(EditConflict):
        set_task(doc, 0, "x", True)


def test_the_next_meetings_section() -> None:
    assert upcoming_section(DOC, date(2026, 11, 20)) == DAY
    assert upcoming_section(DOC, date(2026, 11, 24)) == DAY
    assert upcoming_section(DOC, date(2026, 11, 25)) is None
