"""The text of an agenda Google Doc, both ways (pure, no calls to Google).

Written: a new document's text as the HTML Drive converts into a Doc
(:func:`document_html`), and a section added to the text as the
``documents.batchUpdate`` requests that insert it (:func:`insertion`,
:func:`section_requests`). Read: a document as ``documents.get`` returns it,
as the text the core reads (:func:`document_text`), one line per paragraph;
Drive's plain-text export (:func:`exported_text`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_BOM = "\ufeff"


def exported_text(raw: bytes | str) -> str:
    """Given Drive's text/plain export, return it as the core reads documents: without
    the byte order mark Google puts first, lines ending in "\\n"."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.removeprefix(_BOM).replace("\r\n", "\n")


def _style(line: str) -> str:
    heading = _HEADING.match(line)
    return f"HEADING_{len(heading.group(1))}" if heading else "NORMAL_TEXT"


def document_html(text: str, title: str) -> str:
    """Given a document's text, return the HTML Drive converts into a Doc holding the
    same lines: one paragraph per line, Markdown headings as headings (their ``#``
    kept, for the text to read the same once exported)."""
    paragraphs = []
    for line in text.removesuffix("\n").split("\n"):
        style = _style(line)
        tag = f"h{style.removeprefix('HEADING_')}" if style != "NORMAL_TEXT" else "p"
        paragraphs.append(f"<{tag}>{html.escape(line, quote=False)}</{tag}>")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title, quote=False)}</title></head>"
        f"<body>{''.join(paragraphs)}</body></html>"
    )


def insertion(before: str, after: str) -> tuple[int, str]:
    """Given a text and the same text with one run of whole lines inserted (what the
    core's ``add_section`` returns), return the offset in ``before`` and the run.

    Equal characters around the run (blank lines, ``## 20``) often allow several
    offsets; the one chosen is a line start or the very end, and the run ends
    with a line break, so that it makes paragraphs of its own. Raise ValueError
    when ``after`` is not such an insertion.
    """
    grown = len(after) - len(before)
    same = 0
    while same < len(before) and before[same] == after[same]:
        same += 1
    if grown > 0:
        for offset in range(same, -1, -1):
            boundary = offset in (0, len(before)) or before[offset - 1] == "\n"
            added = after[offset : offset + grown]
            if boundary and added.endswith("\n") and after[offset + grown :] == before[offset:]:
                return offset, added
    raise ValueError("the new text is not the old one with lines inserted")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a Doc: where it starts and ends (Docs indexes), its text, and
    whether it is a list item."""

    start: int
    end: int
    text: str  # its text runs; a chip, an image or a link preview adds nothing
    bullet: bool

    @property
    def line(self) -> str:
        """The paragraph as a line of the text the core reads (list items as ``* ``)."""
        return f"* {self.text}" if self.bullet else self.text


def paragraphs_of(content: Sequence[Mapping[str, Any]]) -> Iterator[Paragraph]:
    """Given a document's body content, yield its paragraphs in order (table cells too)."""
    for element in content:
        paragraph = element.get("paragraph")
        if paragraph is not None:
            runs = [part.get("textRun") or {} for part in paragraph.get("elements", ())]
            text = "".join(str(run.get("content", "")) for run in runs)
            yield Paragraph(
                start=int(element["startIndex"]),
                end=int(element["endIndex"]),
                text=text.removesuffix("\n").replace("\n", " ").replace("\x0b", " "),
                bullet="bullet" in paragraph,
            )
        for row in (element.get("table") or {}).get("tableRows", ()):
            for cell in row.get("tableCells", ()):
                yield from paragraphs_of(cell.get("content", ()))


def document_text(structure: Mapping[str, Any]) -> str:
    """Given a document as documents.get returns it, return its text: one line per
    paragraph, as the core reads agendas."""
    content = (structure.get("body") or {}).get("content", ())
    return "\n".join(p.line for p in paragraphs_of(content))


def _u16(text: str) -> int:
    """Docs counts indexes in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def section_requests(index: int, added: str, *, inside: bool, bulleted: bool) -> list[Any]:
    """Given where the run goes (a Docs index), the run, whether it goes at the end of
    a paragraph's text (rather than before a paragraph) and whether that paragraph is
    a list item, return the batchUpdate requests that insert it.

    New paragraphs take the style of the paragraph the text went into (a heading,
    a list item); each gets its own: headings for ``#`` lines, normal text else.
    """
    requests: list[Any] = [{"insertText": {"location": {"index": index}, "text": added}}]
    # Inserted before a paragraph, the run's lines are the new paragraphs. Inserted
    # at the end of a paragraph's text, its first line break ends that paragraph, and
    # the paragraph after its last line break (holding the old one's break) is new.
    lead = added.index("\n") + 1 if inside else 0
    lines = added[lead:].split("\n")
    start = position = index + _u16(added[:lead])
    runs: list[tuple[str, int, int]] = []
    for line in lines if inside else lines[:-1]:
        stop = position + _u16(line) + 1
        style = _style(line)
        if runs and runs[-1][0] == style:
            runs[-1] = (style, runs[-1][1], stop)
        else:
            runs.append((style, position, stop))
        position = stop
    requests += [
        {
            "updateParagraphStyle": {
                "range": {"startIndex": first, "endIndex": last},
                "paragraphStyle": {"namedStyleType": style},
                "fields": "namedStyleType",
            }
        }
        for style, first, last in runs
    ]
    if bulleted and position > start:
        requests.append(
            {"deleteParagraphBullets": {"range": {"startIndex": start, "endIndex": position}}}
        )
    return requests
