"""The living agenda: dated sections, carried-over action items, rotating prompts.

One Markdown document per person, newest meeting first. A header explains how
the document works; below it, one section per meeting whose heading starts with
the meeting's local date (``## 2024-05-07 Tue 10:00, 30 min``). A dated section
runs until the next level-1 or level-2 heading.

Action items are Markdown task lines, at any indentation::

    - [ ] @sam: send the draft (due 2024-05-10)
    * [x] Alex Kim: book the room due: 2024-05-03
    + [ ] read the postmortem

- The checkbox is ``[ ]`` (open) or ``[x]``/``[X]`` (done), after ``-``, ``*`` or ``+``.
- An owner is an optional leading ``@handle`` (colon optional) or a name of one
  to three words, not starting lower-case, followed by a colon: ``Alex Kim:``.
- A due date is ``(due YYYY-MM-DD)``, ``(due: YYYY-MM-DD)``, ``due: YYYY-MM-DD``
  or ``due YYYY-MM-DD`` anywhere in the line, any case; an impossible date
  (``2024-02-30``) stays plain text.
- An item without text (the empty template line) is no item.

An open item is done once a ticked item with the same text (compared without
owner, due date, case or spacing) appears anywhere in the document, provided
both name the same owner or one of them names none.

Everything here is pure: the document comes in as a string, a new string goes
out, and existing text is never rewritten, only added to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Kind, Owner, Person
from cadence.daemon.core.prompts import CATEGORIES, PROMPTS

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_DATED = re.compile(r"^ {0,3}##[ \t]+(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TOP_HEADING = re.compile(r"^ {0,3}#{1,2}(?:[ \t]|$)")
_TASK = re.compile(r"^\s*[-*+][ \t]+\[([ xX])\](?:[ \t]+(.*))?$")
_OWNER_AT = re.compile(r"^@([\w.-]*\w):?(?:\s+|$)")
_OWNER_NAME = re.compile(r"^([^\W\d_][\w.'’-]*(?:[ \t]+[^\W\d_][\w.'’-]*){0,2}):\s+")
_DUE = re.compile(
    r"\(\s*due(?::\s*|\s+)(\d{4}-\d{2}-\d{2})\s*\)|\bdue(?::\s*|\s+)(\d{4}-\d{2}-\d{2})(?!\d)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ActionItem:
    """A task line: its text (without owner and due date), owner, due date, and
    the line as written (without its line break)."""

    text: str
    owner: str | None
    due: date | None
    line: str


@dataclass(frozen=True)
class _Task:
    item: ActionItem
    done: bool
    section: int | None  # index of the dated section holding it, in document order


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_task(line: str) -> tuple[bool, ActionItem] | None:
    """Given one line, return (done, item) if it is a task line with text, else None."""
    match = _TASK.match(line)
    if not match:
        return None
    rest = (match.group(2) or "").strip()
    owner: str | None = None
    owned = _OWNER_AT.match(rest) or _OWNER_NAME.match(rest)
    # A lower-case word before a colon ("note: ...") is more likely prose than a name.
    if owned and (owned.group(0).startswith("@") or not owned.group(1)[0].islower()):
        owner = _SPACES.sub(" ", owned.group(1))
        rest = rest[owned.end() :]
    due: date | None = None
    for found in _DUE.finditer(rest):
        due = _parse_date(found.group(1) or found.group(2))
        if due is not None:
            rest = rest[: found.start()] + " " + rest[found.end() :]
            break
    # Taking out "due ..." can leave the separator that led up to it behind.
    text = _SPACES.sub(" ", rest).strip(" ,;–—-")
    if not text:
        return None
    return match.group(1) != " ", ActionItem(text=text, owner=owner, due=due, line=line)


def _norm(text: str) -> str:
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).casefold()
    return folded.strip().rstrip(".").rstrip()


def _lines(document: str) -> list[tuple[int, str]]:
    """Given a document, return (offset, line without its line break) for every line."""
    out: list[tuple[int, str]] = []
    offset = 0
    for raw in document.split("\n"):
        out.append((offset, raw.removesuffix("\r")))
        offset += len(raw) + 1
    return out


def _scan(document: str) -> tuple[list[tuple[date, int]], list[_Task]]:
    """Given a document, return its dated headings (date, offset) and its task lines."""
    headings: list[tuple[date, int]] = []
    tasks: list[_Task] = []
    current: int | None = None
    for offset, line in _lines(document):
        dated = _DATED.match(line)
        day = _parse_date("-".join(dated.groups())) if dated else None
        if day is not None:
            headings.append((day, offset))
            current = len(headings) - 1
            continue
        if _TOP_HEADING.match(line):
            current = None
            continue
        parsed = _parse_task(line)
        if parsed:
            tasks.append(_Task(item=parsed[1], done=parsed[0], section=current))
    return headings, tasks


def section_dates(document: str) -> list[date]:
    """Given a document, return the dates of its dated sections in document order."""
    return [day for day, _ in _scan(document)[0]]


def has_section(document: str, day: date) -> bool:
    """Given a document and a local date, return whether a section for that date exists."""
    return day in section_dates(document)


def open_action_items(document: str) -> list[ActionItem]:
    """Given a document, return the open action items of its dated sections, oldest first.

    Sections count as added in document order read bottom up (newest is on top),
    so an item carried into several sections is reported once, as first written.
    Items ticked anywhere in the document are left out.
    """
    _, tasks = _scan(document)
    done_by_anyone: set[str] = set()
    done_by: set[tuple[str, str]] = set()
    done_texts_with_owner: set[str] = set()
    for task in tasks:
        if task.done:
            text = _norm(task.item.text)
            if task.item.owner is None:
                done_by_anyone.add(text)
            else:
                done_by.add((_norm(task.item.owner), text))
                done_texts_with_owner.add(text)

    def is_done(item: ActionItem) -> bool:
        text = _norm(item.text)
        if text in done_by_anyone:
            return True
        if item.owner is None:
            return text in done_texts_with_owner
        return (_norm(item.owner), text) in done_by

    candidates = [t for t in tasks if t.section is not None and not t.done]
    candidates.sort(key=lambda t: -(t.section or 0))  # stable: keeps line order within a section
    seen: set[tuple[str, str]] = set()
    result: list[ActionItem] = []
    for task in candidates:
        key = (_norm(task.item.owner or ""), _norm(task.item.text))
        if key in seen or is_done(task.item):
            continue
        seen.add(key)
        result.append(task.item)
    return result


def choose_prompts(kind: Kind, meeting_number: int) -> list[tuple[str, str]]:
    """Given a kind and the meeting's number (0 for the first), return one
    (category, question) per category.

    Meeting n asks question n modulo the list's length: consecutive meetings
    never repeat a question and every question comes up in turn.
    """
    bank = PROMPTS[kind]
    return [
        (category, bank[category][meeting_number % len(bank[category])]) for category in CATEGORIES
    ]


def _one_line(text: str) -> str:
    # Names and labels end up in headings: a line break in them must not start
    # a new heading (or a dated section) in the document.
    return _SPACES.sub(" ", text).strip()


def _display_name(name: str, email: str) -> str:
    return _one_line(name) or email.partition("@")[0] or email


def _first_names(person: Person, owner: Owner) -> tuple[str, str]:
    theirs = _display_name(person.name, person.email)
    mine = _display_name(owner.name, owner.email)
    first_theirs, first_mine = theirs.split(" ")[0], mine.split(" ")[0]
    if first_theirs.casefold() == first_mine.casefold():
        return theirs, mine  # two people called Alex: keep the topics apart
    return first_theirs, first_mine


def topic_names(person: Person, owner: Owner) -> tuple[str, str]:
    """Given the person and the owner, return the names their topics headings carry
    (``### Alice's topics``): the person's first, then the owner's."""
    return _first_names(person, owner)


def task_state(line: str) -> bool | None:
    """Given one line, return whether it is a ticked action item (True), an open one
    (False), or no action item at all (None)."""
    parsed = _parse_task(line)
    return None if parsed is None else parsed[0]


def new_document(person: Person, owner: Owner) -> str:
    """Given the person and the owner, return the header of a new agenda document."""
    theirs = _display_name(person.name, person.email)
    mine = _display_name(owner.name, owner.email)
    return (
        f"# 1:1 agenda: {theirs} and {mine}\n"
        "\n"
        f"The shared, living agenda of {theirs}'s and {mine}'s 1:1s:"
        " one section per meeting, newest meeting first.\n"
        "\n"
        "- Before each meeting, add the topics you want to talk about under your name"
        " in the newest section.\n"
        "- Write action items as `- [ ] @name: what (due YYYY-MM-DD)`. Tick them"
        " (`- [x]`) when done; open ones are carried over to the next meeting until then.\n"
        "- A section for the next meeting is added here a few days ahead."
        " Edit freely: nothing you write is ever changed.\n"
    )


def render_section(
    day: date,
    label: str,
    person: Person,
    owner: Owner,
    open_items: Sequence[ActionItem],
    prompts: Sequence[tuple[str, str]],
) -> str:
    """Given a meeting's date and label, the two people, the open action items
    and the prompts, return the meeting's section (ending with a line break)."""
    theirs, mine = _first_names(person, owner)
    # A 1:1 belongs to the one with less power: a report's (or skip-level's)
    # topics come first; with one's own manager, it is the owner's meeting.
    names = (mine, theirs) if person.kind is Kind.MANAGER else (theirs, mine)
    lines = [f"## {day.isoformat()} {_one_line(label)}".rstrip(), ""]
    for name in names:
        lines += [f"### {name}'s topics", ""]
    lines += ["### Open action items", ""]
    if open_items:
        lines += [_carried(item) for item in open_items]
    else:
        lines.append("Nothing open.")
    lines += ["", "### Questions to consider", ""]
    lines += [f"- *{category}:* {question}" for category, question in prompts]
    lines += ["", "### Notes", "", "### New action items", "", "- [ ] "]
    return "\n".join(lines) + "\n"


def _carried(item: ActionItem) -> str:
    # Keep the text after the checkbox as written (owner, due date, links), only
    # bring the item back to the top level of the list.
    match = _TASK.match(item.line)
    body = (match.group(2) or "").strip() if match else item.text
    return f"- [ ] {body}"


def add_section(document: str, section: str) -> str:
    """Given a document and a rendered section, return the document with the
    section inserted above the first dated section (or appended when there is
    none). Every character of ``document`` is kept, in order; only the section
    and the blank lines around it are inserted."""
    newline = "\r\n" if "\r\n" in document else "\n"
    block = section if section.endswith("\n") else section + "\n"
    if newline != "\n":
        block = block.replace("\r\n", "\n").replace("\n", newline)
    headings, _ = _scan(document)
    if not headings:
        if not document or document.endswith(("\n\n", "\n\r\n")):
            return document + block
        lead = newline if document.endswith("\n") else newline * 2
        return document + lead + block
    at = headings[0][1]
    before = document[:at]
    lead = "" if at == 0 or before.endswith(("\n\n", "\n\r\n")) else newline
    return before + lead + block + newline + document[at:]


def meeting_label(person: Person, local_start: datetime) -> str:
    """Given the person and the meeting's local start, return e.g. ``Tue 10:00, 30 min``."""
    minutes = int(person.duration.total_seconds() // 60)
    return f"{_WEEKDAYS[local_start.weekday()]} {local_start:%H:%M}, {minutes} min"


def prepare_document(
    document: str | None,
    person: Person,
    owner: Owner,
    meeting_start: datetime,
    zone: ZoneInfo,
) -> str | None:
    """Given the current document (None or empty if there is none yet), the people and the
    meeting's aware start, return the document with the meeting's section added,
    or None when a section for the meeting's date (in ``zone``) is already there.
    Raise ValueError for a naive ``meeting_start``."""
    if meeting_start.tzinfo is None:
        raise ValueError("meeting_start must be timezone-aware")
    # An empty file (say, created by hand to be filled in later) gets the header too.
    text = document if document else new_document(person, owner)
    local = meeting_start.astimezone(zone)
    dates = section_dates(text)
    if local.date() in dates:
        return None
    section = render_section(
        local.date(),
        meeting_label(person, local),
        person,
        owner,
        open_action_items(text),
        choose_prompts(person.kind, len(dates)),
    )
    return add_section(text, section)
