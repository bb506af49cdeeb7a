"""Edits to a living agenda from the web app: a topic added, an action item ticked.

Each edit is an operation on the document as it is now, never a whole new
text: a topic is one new line under a topics heading of one dated section; a
tick changes one character of one line. So two people editing at once both
keep what they did: the later edit is applied to the document the earlier one
left. A tick names its line by position and text; when that line moved, it is
found by its text; when it is gone or not one of a kind any more, the edit is
refused (:class:`EditConflict`) and nothing changes.

Pure, like :mod:`cadence.daemon.core.agenda`: strings in, strings out. Every
other line is kept byte for byte, line endings included.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date

from cadence.daemon.core.agenda import section_dates, task_state

__all__ = [
    "MAX_TOPIC",
    "EditConflict",
    "add_topic",
    "clean_topic",
    "document_tag",
    "set_task",
    "upcoming_section",
]

MAX_TOPIC = 500
_DATED = re.compile(r"^ {0,3}##[ \t]+(\d{4}-\d{2}-\d{2})(?!\d)")
_TOP_HEADING = re.compile(r"^ {0,3}#{1,2}(?:[ \t]|$)")
_ANY_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_SUBHEADING = re.compile(r"^ {0,3}###[ \t]+(.*?)[ \t#]*$")
_CHECKBOX = re.compile(r"^\s*[-*+][ \t]+\[([ xX])\]")
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class EditConflict(ValueError):
    """The edit no longer fits the document: someone changed that part meanwhile."""


def document_tag(document: str) -> str:
    """Given a document, return a short tag that changes whenever its text does (an ETag)."""
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean_topic(text: str) -> str:
    """Given what someone typed as a topic, return it as one line; raise ValueError
    when it is empty or longer than MAX_TOPIC characters."""
    spaced = "".join(" " if unicodedata.category(c) in _UNSAFE else c for c in text)
    topic = " ".join(spaced.split())
    if not topic:
        raise ValueError("the topic is empty; write what you want to talk about")
    if len(topic) > MAX_TOPIC:
        raise ValueError(f"the topic is {len(topic)} characters long; keep it under {MAX_TOPIC}")
    return topic


def upcoming_section(document: str, today: date) -> date | None:
    """Given a document and today's local date, return the date of the section of the
    next meeting: the earliest dated section on or after today (None when none is)."""
    ahead = [day for day in section_dates(document) if day >= today]
    return min(ahead) if ahead else None


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).replace("’", "'")
    return " ".join(folded.split()).casefold()


def add_topic(document: str, day: date, name: str, topic: str) -> str:
    """Given a document, the date of a dated section, whose topics (``name``, as in
    ``### Alice's topics``) and a topic, return the document with ``- topic`` as a new
    line at the end of that heading's list; when the section has no such heading,
    the heading and the line go at the top of the section. Raise EditConflict when
    there is no section for ``day``; ValueError for an empty or overlong topic."""
    line = f"- {clean_topic(topic)}"
    raw = document.split("\n")
    lines = [r.removesuffix("\r") for r in raw]
    # A new line ends as the document's lines do (a CRLF file stays CRLF).
    newline = "\r" if "\r\n" in document else ""
    start = next(
        (
            i
            for i, text in enumerate(lines)
            if (m := _DATED.match(text)) and m.group(1) == day.isoformat()
        ),
        None,
    )
    if start is None:
        raise EditConflict(f"the agenda has no section for {day.isoformat()} any more")
    end = next(
        (i for i in range(start + 1, len(lines)) if _TOP_HEADING.match(lines[i])), len(lines)
    )
    wanted = _norm(f"{name}'s topics")
    heading = next(
        (
            i
            for i in range(start + 1, end)
            if (m := _SUBHEADING.match(lines[i])) and _norm(m.group(1)) == wanted
        ),
        None,
    )
    if heading is None:
        block = ["", f"### {name}'s topics", line]
        at = start + 1
    else:
        stop = next((i for i in range(heading + 1, end) if _ANY_HEADING.match(lines[i])), end)
        filled = [i for i in range(heading + 1, stop) if lines[i].strip()]
        at = (filled[-1] if filled else heading) + 1
        block = [line]
    ended = [b + newline for b in block]
    if at == len(raw):  # after a last line that has no line break: neither has this one
        ended[-1] = block[-1]
    new = raw[:at] + ended + raw[at:]
    return "\n".join(new)


def set_task(document: str, index: int, expected: str, done: bool) -> str:
    """Given a document, an action item's line number (0-based) and its text as it was
    shown, return the document with that item ticked (``done``) or opened again; the
    document unchanged when it already was. When the line is no longer at ``index``,
    the one line with that text is changed instead. Raise EditConflict when no line,
    or more than one, has that text, or it is no action item."""
    raw = document.split("\n")
    lines = [r.removesuffix("\r") for r in raw]
    if task_state(expected) is None:
        raise EditConflict("that line is not an action item")
    if not (0 <= index < len(lines) and lines[index] == expected):
        same = [i for i, text in enumerate(lines) if text == expected]
        if len(same) != 1:
            raise EditConflict("that action item was changed or removed meanwhile")
        index = same[0]
    if task_state(lines[index]) is done:
        return document
    found = _CHECKBOX.match(raw[index])
    assert found is not None  # a task line always has its checkbox
    at = found.start(1)
    raw[index] = raw[index][:at] + ("x" if done else " ") + raw[index][at + 1 :]
    return "\n".join(raw)
