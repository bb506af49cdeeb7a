"""The fresh text of an HTML email, without what it quotes.

Replies from some clients have no text part at all (Outlook's HTML-only
setting, some phone clients). Mail clients mark the quoted original in their
HTML in ways that are plain to see: a ``<blockquote>``, Gmail's
``div.gmail_quote``, Thunderbird's ``div.moz-cite-prefix``, Outlook's
``div#divRplyFwdMsg`` after an ``<hr>`` (``#appendonsend``). Those parts are
dropped; what is left is turned into lines of text. Built on the standard
library's tolerant html.parser: hostile or broken markup gives odd text, never
an error.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Subtrees that never hold what the sender wrote now.
_SKIP_TAGS = frozenset({"blockquote", "head", "script", "style", "title", "template"})
_SKIP_CLASSES = frozenset({"gmail_quote", "gmail_attr", "moz-cite-prefix", "yahoo_quoted"})
# Where the quoted original starts in Outlook's HTML: everything after is dropped.
_CUT_IDS = frozenset(
    {"appendonsend", "divrplyfwdmsg", "x_divrplyfwdmsg", "mail-editor-reference-message-container"}
)
_BLOCKS = frozenset(
    {"address", "article", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4",
     "h5", "h6", "header", "li", "ol", "p", "pre", "section", "table", "tr", "ul"}
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.cut = False
        # While skipping a subtree: its tag, and how deep in same-named tags we are.
        self._skipping: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        if self._skipping is not None:
            if tag == self._skipping and tag not in _VOID:
                self._depth += 1
            return
        found = {name: (value or "") for name, value in attrs}
        classes = set(found.get("class", "").lower().split())
        ident = found.get("id", "").lower()
        if tag == "hr" or ident in _CUT_IDS:
            self.cut = True
            return
        if (tag in _SKIP_TAGS or classes & _SKIP_CLASSES) and tag not in _VOID:
            self._skipping, self._depth = tag, 1
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/> and friends: a start tag that needs no end.
        if tag == "hr" and self._skipping is None:
            self.cut = True
        elif not self.cut and self._skipping is None and tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if self._skipping is not None:
            if tag == self._skipping:
                self._depth -= 1
                if self._depth == 0:
                    self._skipping = None
            return
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.cut and self._skipping is None:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """Given an HTML email body, return its text without the quoted original:
    one line per block, runs of spaces collapsed, at most one blank line in a row."""
    parser = _Text()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover (html.parser is lenient)
        # Whatever was read before the parser gave up is still the best guess.
        pass
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
