"""Google Docs documents: text in paragraphs, addressed by Docs' UTF-16 indexes.

A document body starts with a section break (index 0 to 1); every paragraph
after it ends with "\\n", and the last paragraph's newline can never be
deleted. Indexes count UTF-16 code units. The emulator keeps per paragraph its
text, its named style (``NORMAL_TEXT``, ``HEADING_1``...) and whether it is a
bullet; fonts, links and other formatting are not modelled.

HTML imported through Drive (``files.create`` with the Google Docs mime type)
becomes paragraphs: block elements (p, div, h1-h6, li, table cells) and <br>
start new ones, headings keep their level, list items become bullets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

_LIST_ID = "kix.emulatorlist"
_BLOCKS = {"p", "div", "li", "td", "th", "tr", "pre", "blockquote", "ul", "ol", "table"}
_HEADINGS = {f"h{n}": f"HEADING_{n}" for n in range(1, 7)}
_SKIPPED = {"head", "title", "style", "script"}

# Google exports text/plain with a UTF-8 byte order mark; lines end in CRLF (the
# emulator's reading of Google's exports), the last one too, and bullets show as
# "* ". A comment marks its quoted text with "[a]", "[b]"... and the comments
# follow the body after a blank line, each as "[a]text".
EXPORT_BOM = "\ufeff"
EXPORT_NEWLINE = "\r\n"
EXPORT_BULLET = "* "


class DocsError(ValueError):
    """A request the Docs API refuses with 400; the message is Google's wording."""


@dataclass
class Paragraph:
    text: str = ""
    style: str = "NORMAL_TEXT"
    bullet: bool = False


@dataclass
class Document:
    id: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=lambda: [Paragraph()])
    revision: int = 1
    comments: list[tuple[str, str]] = field(default_factory=list)  # (quoted text, comment)

    @property
    def text(self) -> str:
        """The body text, each paragraph ending in "\\n"."""
        return "".join(p.text + "\n" for p in self.paragraphs)

    @property
    def end_index(self) -> int:
        return 1 + _u16(self.text)

    @property
    def revision_id(self) -> str:
        return "ALm37B" + hashlib.sha256(f"{self.id}-{self.revision}".encode()).hexdigest()[:40]

    def insert_text(self, index: int, text: str) -> None:
        """Insert ``text`` before body index ``index``; new lines become paragraphs."""
        if index < 1:
            raise DocsError(
                "The insertion index must be inside the bounds of an existing paragraph. "
                "You can still create new paragraphs by inserting newlines."
            )
        if index >= self.end_index:
            raise DocsError(
                f"Index {index} must be less than the end index of the referenced segment, "
                f"{self.end_index}."
            )
        if not text:
            raise DocsError("Insert text requests must specify text to insert.")
        full = self.text
        offset = _offset(full, index - 1)
        where = full[:offset].count("\n")
        kind = self.paragraphs[where]
        extra = [Paragraph(style=kind.style, bullet=kind.bullet) for _ in range(text.count("\n"))]
        shapes = self.paragraphs[: where + 1] + extra + self.paragraphs[where + 1 :]
        self._rebuild(full[:offset] + text + full[offset:], shapes)

    def delete_range(self, start: int, end: int) -> None:
        """Delete body indexes ``[start, end)``; merged paragraphs keep the first one's style."""
        if start >= end:
            raise DocsError("The range should not be empty.")
        if start < 1:
            raise DocsError("The range cannot include the section break at the start of the body.")
        if end > self.end_index:
            raise DocsError(
                f"Index {end - 1} must be less than the end index of the referenced segment, "
                f"{self.end_index}."
            )
        if end == self.end_index:
            raise DocsError(
                "The range cannot include the newline character at the end of the segment."
            )
        full = self.text
        first, last = _offset(full, start - 1), _offset(full, end - 1)
        where = full[:first].count("\n")
        removed = full[first:last].count("\n")
        shapes = self.paragraphs[: where + 1] + self.paragraphs[where + 1 + removed :]
        self._rebuild(full[:first] + full[last:], shapes)

    def paragraphs_in(self, start: int, end: int) -> list[Paragraph]:
        """The paragraphs that overlap body indexes ``[start, end)``."""
        found, index = [], 1
        for paragraph in self.paragraphs:
            stop = index + _u16(paragraph.text) + 1
            if index < end and stop > start:
                found.append(paragraph)
            index = stop
        return found

    def resource(self) -> dict[str, Any]:
        """The Document resource documents.get returns."""
        content: list[dict[str, Any]] = [
            {
                "endIndex": 1,
                "sectionBreak": {
                    "sectionStyle": {
                        "columnSeparatorStyle": "NONE",
                        "contentDirection": "LEFT_TO_RIGHT",
                        "sectionType": "CONTINUOUS",
                    }
                },
            }
        ]
        index = 1
        for number, paragraph in enumerate(self.paragraphs):
            stop = index + _u16(paragraph.text) + 1
            style: dict[str, Any] = {
                "namedStyleType": paragraph.style,
                "direction": "LEFT_TO_RIGHT",
            }
            if paragraph.style.startswith("HEADING_"):
                style["headingId"] = f"h.emu{number}"
            element = {
                "startIndex": index,
                "endIndex": stop,
                "textRun": {"content": paragraph.text + "\n", "textStyle": {}},
            }
            body: dict[str, Any] = {"elements": [element], "paragraphStyle": style}
            if paragraph.bullet:
                body["bullet"] = {"listId": _LIST_ID, "textStyle": {}}
            content.append({"startIndex": index, "endIndex": stop, "paragraph": body})
            index = stop
        resource: dict[str, Any] = {
            "title": self.title,
            "body": {"content": content},
            "revisionId": self.revision_id,
            "suggestionsViewMode": "SUGGESTIONS_INLINE",
            "documentId": self.id,
        }
        if any(p.bullet for p in self.paragraphs):
            resource["lists"] = {_LIST_ID: _bullet_list()}
        return resource

    def export_text(self) -> str:
        """What Drive's files.export answers for text/plain."""
        lines = [(EXPORT_BULLET if p.bullet else "") + p.text for p in self.paragraphs]
        notes = []
        for number, (quoted, comment) in enumerate(self.comments):
            mark = f"[{chr(ord('a') + number)}]"
            for index, line in enumerate(lines):
                if quoted and quoted in line:
                    cut = line.index(quoted) + len(quoted)
                    lines[index] = line[:cut] + mark + line[cut:]
                    break
            notes.append(mark + comment)
        if notes:
            lines += ["", *notes]
        return EXPORT_BOM + "".join(line + EXPORT_NEWLINE for line in lines)

    def _rebuild(self, full: str, shapes: list[Paragraph]) -> None:
        texts = full.split("\n")[:-1]
        assert len(texts) == len(shapes), (texts, shapes)
        self.paragraphs = [
            Paragraph(t, s.style, s.bullet) for t, s in zip(texts, shapes, strict=True)
        ]


def from_html(doc_id: str, title: str, html: str) -> Document:
    """A document made from HTML as Drive's import makes it (text and paragraph kinds only)."""
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    paragraphs = parser.done() or [Paragraph()]
    return Document(doc_id, title, paragraphs)


def from_text(doc_id: str, title: str, text: str) -> Document:
    lines = text.replace("\r\n", "\n").split("\n")
    return Document(doc_id, title, [Paragraph(line) for line in lines])


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Paragraph] = []
        self.words: list[str] = []
        self.style = "NORMAL_TEXT"
        self.bullet = False
        self.skipping = 0
        self.explicit = False  # an element that makes a paragraph even when empty is open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self._flush(force=True)
        elif tag in _BLOCKS or tag in _HEADINGS:
            self._flush()
            self.style = _HEADINGS.get(tag, "NORMAL_TEXT")
            self.bullet = tag == "li"
            self.explicit = tag in ("p", "li") or tag in _HEADINGS

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS or tag in _HEADINGS:
            self._flush(force=self.explicit)
            self.style, self.bullet, self.explicit = "NORMAL_TEXT", False, False

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.words.append(data)

    def _flush(self, *, force: bool = False) -> None:
        text = " ".join("".join(self.words).split())
        self.words = []
        if text or force:
            self.found.append(Paragraph(text, self.style, self.bullet))

    def done(self) -> list[Paragraph]:
        self._flush()
        return self.found


def _bullet_list() -> dict[str, Any]:
    level = {
        "bulletAlignment": "START",
        "glyphSymbol": "●",
        "glyphFormat": "%0",
        "startNumber": 1,
        "textStyle": {"underline": False},
    }
    return {"listProperties": {"nestingLevels": [level]}}


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _offset(text: str, units: int) -> int:
    """The str offset in ``text`` that lies ``units`` UTF-16 code units in."""
    count = 0
    for position, char in enumerate(text):
        if count >= units:
            return position
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)
