"""The living agenda: action items, sections, prompts, and what preparing a meeting keeps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.core.agenda import (
    ActionItem,
    add_section,
    choose_prompts,
    has_section,
    new_document,
    open_action_items,
    prepare_document,
    render_section,
    section_dates,
)
from cadence.daemon.core.model import Cadence, Kind, Owner, Person
from cadence.daemon.core.prompts import CATEGORIES, PROMPTS
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.adapters.agenda_contract import inserted_text

OWNER = Owner("Bob Lead", "bob@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence.parse("weekly"))
BERLIN = ZoneInfo("Europe/Berlin")


def section(day: str, *lines: str) -> str:
    return "\n".join([f"## {day} Tue 10:00, 30 min", "", *lines, ""]) + "\n"


def doc(*sections: str) -> str:
    return "# 1:1 agenda\n\nHow this works.\n\n" + "\n".join(sections)


def texts(document: str) -> list[str]:
    return [item.text for item in open_action_items(document)]


# --- action items -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text", "owner", "due"),
    [
        ("- [ ] send the draft", "send the draft", None, None),
        ("* [ ] send the draft", "send the draft", None, None),
        ("+ [ ] send the draft", "send the draft", None, None),
        ("    - [ ] nested item", "nested item", None, None),
        ("- [ ] @sam: send the draft", "send the draft", "sam", None),
        ("- [ ] @sam send the draft", "send the draft", "sam", None),
        ("- [ ] @sam.lee-2: send it", "send it", "sam.lee-2", None),
        ("- [ ] Sam: send the draft", "send the draft", "Sam", None),
        ("- [ ] Alex Kim: book the room", "book the room", "Alex Kim", None),
        ("- [ ] Zoë: écrire le plan", "écrire le plan", "Zoë", None),
        (
            "- [ ] note: lower-case words are not owners",
            "note: lower-case words are not owners",
            None,
            None,
        ),
        ("- [ ] send the draft (due 2024-05-10)", "send the draft", None, date(2024, 5, 10)),
        ("- [ ] send the draft (due: 2024-05-10)", "send the draft", None, date(2024, 5, 10)),
        ("- [ ] send the draft, due: 2024-05-10", "send the draft", None, date(2024, 5, 10)),
        ("- [ ] send the draft DUE 2024-05-10", "send the draft", None, date(2024, 5, 10)),
        ("- [ ] send (due 2024-05-10) the draft", "send the draft", None, date(2024, 5, 10)),
        ("- [ ] @sam: ship due: 2024-05-10", "ship", "sam", date(2024, 5, 10)),
        ("- [ ] ship due: 2024-02-30", "ship due: 2024-02-30", None, None),
        ("- [ ] see https://example.com/x", "see https://example.com/x", None, None),
    ],
)
def test_action_item_syntax(line: str, text: str, owner: str | None, due: date | None) -> None:
    assert open_action_items(doc(section("2024-05-07", line))) == [
        ActionItem(text=text, owner=owner, due=due, line=line)
    ]


@pytest.mark.parametrize(
    "line", ["- [ ] ", "- [ ]", "- [x] ", "-[ ] no space", "- [] empty box", "- [ ]x", "[ ] bare"]
)
def test_lines_that_are_not_items(line: str) -> None:
    assert open_action_items(doc(section("2024-05-07", line))) == []


def test_items_outside_dated_sections_are_not_carried() -> None:
    document = "# Agenda\n\n- [ ] in the header\n\n" + section("2024-05-07", "- [ ] in a section")
    document += "## Parking lot\n\n- [ ] parked\n"
    assert texts(document) == ["in a section"]


def test_items_ticked_anywhere_are_done() -> None:
    older = section("2024-05-07", "- [ ] one", "- [ ] two", "- [X] three", "- [ ] three")
    newer = section("2024-05-14", "- [x] one", "- [ ] four")
    header_tick = "# Agenda\n\n- [x] four\n\n"
    assert texts(doc(newer, older)) == ["two", "four"]
    assert texts(header_tick + newer + older) == ["two"]
    # Ticked in the older section, left open in a carried copy: still done.
    assert texts(doc(section("2024-05-14", "- [ ] three"), older)) == ["one", "two"]


def test_ticks_match_text_regardless_of_case_spacing_and_due_date() -> None:
    older = section("2024-05-07", "- [ ] Send  the Draft. (due 2024-05-10)")
    newer = section("2024-05-14", "- [x] send the draft due: 2024-05-20")
    assert texts(doc(newer, older)) == []


def test_owners_must_agree_for_a_tick_to_count() -> None:
    items = section("2024-05-07", "- [ ] @sam: ship", "- [ ] @kim: ship", "- [ ] review")
    assert texts(doc(section("2024-05-14", "- [x] Sam: ship"), items)) == ["ship", "review"]
    assert open_action_items(doc(section("2024-05-14", "- [x] Sam: ship"), items))[0].owner == "kim"
    assert texts(doc(section("2024-05-14", "- [x] ship"), items)) == ["review"]
    assert texts(doc(section("2024-05-14", "- [x] @sam review"), items)) == ["ship", "ship"]


def test_carried_items_count_once_and_oldest_first() -> None:
    oldest = section("2024-05-07", "- [ ] a", "- [ ] b")
    middle = section("2024-05-14", "- [ ] a", "- [ ] c", "* [ ] b")
    newest = section("2024-05-21", "- [ ] c", "- [ ] d", "- [ ] A")
    items = open_action_items(doc(newest, middle, oldest))
    assert [item.text for item in items] == ["a", "b", "c", "d"]
    assert items[1].line == "- [ ] b"  # as first written


# --- sections -----------------------------------------------------------------


def test_section_dates_and_has_section() -> None:
    document = doc(
        section("2024-05-14"),
        "## 2024-13-01 not a date\n\n### 2024-05-01 too deep\n\n#2024-05-02 no space\n\n",
        section("2024-05-07"),
        "##\t2024-04-30\n",
    )
    assert section_dates(document) == [date(2024, 5, 14), date(2024, 5, 7), date(2024, 4, 30)]
    assert has_section(document, date(2024, 5, 7))
    assert not has_section(document, date(2024, 5, 1))
    assert section_dates("") == []


def test_new_document_names_both_people_and_explains_itself() -> None:
    header = new_document(ALICE, OWNER)
    assert header.startswith("# ")
    assert "Alice Example" in header.splitlines()[0] and "Bob Lead" in header.splitlines()[0]
    assert "newest meeting first" in header
    assert "under your name" in header and "`- [x]`" in header
    assert section_dates(header) == [] and open_action_items(header + section("2024-05-07")) == []


def _subsections(rendered: str) -> list[str]:
    return [line[4:] for line in rendered.splitlines() if line.startswith("### ")]


def test_render_section_layout() -> None:
    items = [
        ActionItem("send it", "sam", date(2024, 6, 1), "   * [ ] @sam: send it (due 2024-06-01)")
    ]
    prompts = choose_prompts(Kind.REPORT, 0)
    rendered = render_section(date(2024, 5, 7), "Tue 10:00, 30 min", ALICE, OWNER, items, prompts)
    assert rendered.startswith("## 2024-05-07 Tue 10:00, 30 min\n")
    assert _subsections(rendered) == [
        "Alice's topics",
        "Bob's topics",
        "Open action items",
        "Questions to consider",
        "Notes",
        "New action items",
    ]
    assert "\n- [ ] @sam: send it (due 2024-06-01)\n" in rendered
    for category, question in prompts:
        assert f"*{category}:* {question}" in rendered
    assert rendered.endswith("### New action items\n\n- [ ] \n")


def test_render_section_order_and_names() -> None:
    manager = Person("mia@example.com", "Mia Boss", Cadence.parse("monthly"), kind=Kind.MANAGER)
    rendered = render_section(date(2024, 5, 7), "", manager, OWNER, [], [])
    assert rendered.startswith("## 2024-05-07\n")
    assert _subsections(rendered)[:2] == ["Bob's topics", "Mia's topics"]
    assert "Nothing open." in rendered
    namesake = Person("bob@else.org", "Bob Other", Cadence.parse("weekly"))
    assert _subsections(render_section(date(2024, 5, 7), "x", namesake, OWNER, [], []))[:2] == [
        "Bob Other's topics",
        "Bob Lead's topics",
    ]
    sneaky = Person("x@example.com", "Eve\n## 2020-01-01", Cadence.parse("weekly"))
    assert section_dates(render_section(date(2024, 5, 7), "a\nb", sneaky, OWNER, [], [])) == [
        date(2024, 5, 7)
    ]


def test_add_section_goes_above_the_first_dated_section() -> None:
    header = "# Agenda\n\nIntro.\n\n"
    existing = header + section("2024-05-07", "- [ ] a")
    result = add_section(existing, section("2024-05-14"))
    assert result == header + section("2024-05-14") + "\n" + section("2024-05-07", "- [ ] a")
    assert add_section("# Agenda\n", "## X\n") == "# Agenda\n\n## X\n"
    assert add_section("# Agenda", "## X\n") == "# Agenda\n\n## X\n"
    assert add_section("", "## X\n") == "## X\n"
    crlf = "# Agenda\r\n\r\n## 2024-05-07\r\n"
    assert add_section(crlf, "## 2024-05-14\n\nnew\n") == (
        "# Agenda\r\n\r\n## 2024-05-14\r\n\r\nnew\r\n\r\n## 2024-05-07\r\n"
    )


# --- prepare_document ---------------------------------------------------------


def test_prepare_creates_then_adds_then_is_idempotent() -> None:
    start = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)
    first = prepare_document(None, ALICE, OWNER, start, BERLIN)
    assert first is not None
    assert first.startswith(new_document(ALICE, OWNER))
    assert "## 2024-05-07 Tue 10:00, 30 min\n" in first
    assert prepare_document(first, ALICE, OWNER, start + timedelta(hours=3), BERLIN) is None
    second = prepare_document(first, ALICE, OWNER, start + timedelta(weeks=1), BERLIN)
    assert second is not None
    assert section_dates(second) == [date(2024, 5, 14), date(2024, 5, 7)]


def test_prepare_uses_the_local_date_and_rotates_prompts() -> None:
    late = datetime(2024, 5, 7, 23, 30, tzinfo=UTC)  # already Wednesday in Tokyo
    tokyo = prepare_document("", ALICE, OWNER, late, ZoneInfo("Asia/Tokyo"))
    assert tokyo is not None and section_dates(tokyo) == [date(2024, 5, 8)]
    assert tokyo.startswith(new_document(ALICE, OWNER))  # an empty file gets the header
    assert "Wed 08:30, 30 min" in tokyo
    first_question = choose_prompts(Kind.REPORT, 0)[0][1]
    second_question = choose_prompts(Kind.REPORT, 1)[0][1]
    assert first_question in tokyo
    again = prepare_document(tokyo, ALICE, OWNER, late + timedelta(weeks=1), BERLIN)
    assert again is not None and second_question in again.split("\n## ")[1]


def test_prepare_rejects_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        prepare_document(None, ALICE, OWNER, datetime(2024, 5, 7, 10, 0), BERLIN)


# --- prompts ------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_prompt_bank_is_complete_and_unique(kind: Kind) -> None:
    bank = PROMPTS[kind]
    assert set(bank) == set(CATEGORIES)
    questions = [q for category in CATEGORIES for q in bank[category]]
    assert all(len(bank[category]) >= 5 for category in CATEGORIES)
    assert len(set(questions)) == len(questions)
    assert all(q.strip() == q and q.endswith("?") and "\n" not in q for q in questions)


@pytest.mark.parametrize("kind", list(Kind))
def test_every_question_comes_up_in_turn(kind: Kind) -> None:
    longest = max(len(questions) for questions in PROMPTS[kind].values())
    asked = {q for n in range(longest) for _, q in choose_prompts(kind, n)}
    assert asked == {q for questions in PROMPTS[kind].values() for q in questions}
    assert [c for c, _ in choose_prompts(kind, 0)] == list(CATEGORIES)


@given(st.sampled_from(list(Kind)), st.integers(min_value=0, max_value=100_000))
def test_consecutive_meetings_never_repeat_a_question(kind: Kind, number: int) -> None:
    this = {q for _, q in choose_prompts(kind, number)}
    assert this.isdisjoint(q for _, q in choose_prompts(kind, number + 1))


# --- properties of whole documents --------------------------------------------

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
TASK_TEXTS = ["send the roadmap", "Book the room", "review hiring plan", "écrire le plan", "写文档"]
OWNERS = ["", "@sam ", "@sam: ", "Sam: ", "Alex Kim: ", "@kim "]
ANY_LINE = st.text(st.characters(blacklist_characters="\n"), max_size=40)


@st.composite
def task_lines(draw: st.DrawFn) -> str:
    indent = draw(st.sampled_from(["", "  ", "\t"]))
    bullet = draw(st.sampled_from("-*+"))
    mark = draw(st.sampled_from([" ", " ", "x", "X"]))
    owner = draw(st.sampled_from(OWNERS))
    text = draw(st.sampled_from(TASK_TEXTS))
    due = draw(st.sampled_from(["", " (due 2024-06-01)", " due: 2025-01-31", " due 2024-02-30"]))
    return f"{indent}{bullet} [{mark}] {owner}{text}{due}"


HEADING_LIKE = st.one_of(
    st.builds(lambda d, s: f"## {d.isoformat()}{s}", DAYS, st.sampled_from(["", " notes", "x"])),
    st.sampled_from(["# Title", "## Parking lot", "### 2024-01-01", "## 2024-13-45", "##", "```"]),
    ANY_LINE.map(lambda s: "## " + s),
)
LINES = st.lists(st.one_of(ANY_LINE, task_lines(), HEADING_LIKE), max_size=12)


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = draw(LINES)
    for _ in range(draw(st.integers(0, 4))):
        parts += [f"## {draw(DAYS).isoformat()} Tue 10:00, 30 min", *draw(LINES)]
    text = "\n".join(parts) + draw(st.sampled_from(["", "\n", "\n\n"]))
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


PEOPLE = st.builds(
    Person,
    email=st.just("alice@example.com"),
    name=st.sampled_from(["Alice Example", "Zoë", "", "Bob Twin"]),
    cadence=st.just(Cadence.parse("weekly")),
    kind=st.sampled_from(list(Kind)),
)


def meeting(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=BERLIN)


# The ticked lines task_lines() writes: (owner prefix, text), valid due dates left out.
TICKED = re.compile(
    r"^\s*[-*+] \[[xX]\] (@\w+:? |\w+(?: \w+)?: )?(.+?)"
    r"(?: \(due 2024-06-01\)| due: 2025-01-31)?\r?$",
    re.MULTILINE,
)


def _norm_owner(owner: str | None) -> str | None:
    return owner.strip(" @:").casefold() if owner else None


@given(documents(), DAYS, PEOPLE)
def test_add_section_keeps_every_existing_character(
    document: str, day: date, person: Person
) -> None:
    rendered = render_section(day, "Tue 10:00, 30 min", person, OWNER, [], [])
    result = add_section(document, rendered)
    assert inserted_text(document, result) is not None
    assert section_dates(result)[0] == day
    assert len(section_dates(result)) == len(section_dates(document)) + 1


@given(documents(), DAYS, PEOPLE)
def test_carry_over_is_lossless_and_adds_no_duplicates(
    document: str, day: date, person: Person
) -> None:
    assume(not has_section(document, day))
    after = prepare_document(document, person, OWNER, meeting(day), BERLIN)
    assert after is not None
    assert open_action_items(after) == open_action_items(document)


@given(documents(), DAYS, PEOPLE)
def test_a_ticked_item_is_never_carried(document: str, day: date, person: Person) -> None:
    assume(not has_section(document, day))
    after = prepare_document(document, person, OWNER, meeting(day), BERLIN)
    assert after is not None
    lines = after.replace("\r\n", "\n").split("\n")
    start = lines.index(next(line for line in lines if line.startswith(f"## {day.isoformat()} ")))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), None)
    new_section = "\n".join(lines[start:end])
    assert not re.search(r"\[[xX]\]", new_section)
    ticked = TICKED.findall(document)
    for carried in open_action_items(new_section):
        for owner, text in ticked:
            same_text = carried.text.casefold() == text.casefold()
            owners = {_norm_owner(carried.owner), _norm_owner(owner)}
            assert not (same_text and (None in owners or len(owners) == 1)), (carried, owner, text)


@given(documents(), DAYS, PEOPLE)
def test_preparing_the_same_date_twice_is_a_no_op(document: str, day: date, person: Person) -> None:
    once = prepare_document(document, person, OWNER, meeting(day), BERLIN)
    text = document if once is None else once
    assert prepare_document(text, person, OWNER, meeting(day) + timedelta(hours=2), BERLIN) is None


@given(st.one_of(documents(), st.text()), DAYS, PEOPLE)
def test_user_text_is_never_lost(document: str, day: date, person: Person) -> None:
    after = prepare_document(document, person, OWNER, meeting(day), BERLIN)
    if after is None:
        assert has_section(document, day)
    else:
        assert inserted_text(document, after) is not None
        assert has_section(after, day)
