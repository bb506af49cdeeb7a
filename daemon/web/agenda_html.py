"""A living agenda, Markdown, as HTML the web app can show: escaped, inert, tickable.

CommonMark (markdown-it-py) with raw HTML turned off, so whatever anyone wrote
in the agenda is shown as text, never run: a ``<script>`` line is escaped like
any other, and links to ``javascript:`` or ``data:`` are refused by the
parser's own check. Links get ``rel="noopener noreferrer nofollow"``; images
are not shown (their Markdown stays text), and the pages' Content-Security-Policy
would block one from elsewhere anyway.

Each action item (``- [ ] ...``) becomes a list item with a small form before
it: its button ticks the item (or opens it again), naming the line by number
and text so a change made meanwhile is noticed (see
:mod:`cadence.daemon.core.agenda_edits`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cadence.daemon.core.agenda import task_state
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

_CHECKBOX = re.compile(r"^\[([ xX])\][ \t]*")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # An image would be fetched from wherever it points (a tracking pixel): shown as text.
    md.disable("image")
    md.add_render_rule("list_item_open", _list_item_open)
    md.add_render_rule("link_open", _link_open)
    return md


def _list_item_open(
    self: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    token = tokens[index]
    line = token.meta.get("task_line")
    if line is None:
        return str(self.renderToken(tokens, index, options, env))
    done = bool(token.meta.get("done"))
    text = env["lines"][line]
    label = "Open again" if done else "Tick as done"
    form = (
        f'<form method="post" action="{escape(env["action"])}" class="tick">'
        f'<input type="hidden" name="token" value="{escape(env["token"])}">'
        f'<input type="hidden" name="tag" value="{escape(env["tag"])}">'
        f'<input type="hidden" name="line" value="{line}">'
        f'<input type="hidden" name="text" value="{escape(text)}">'
        f'<input type="hidden" name="done" value="{"0" if done else "1"}">'
        f'<button type="submit" name="press" value="1" class="box{" done" if done else ""}" '
        f'title="{label}" aria-label="{label}">{"✓" if done else ""}</button></form>'
    )
    return f'<li class="task{" done" if done else ""}">{form}'


def _link_open(
    self: Any, tokens: Sequence[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    tokens[index].attrSet("rel", "noopener noreferrer nofollow")
    return str(self.renderToken(tokens, index, options, env))


_MD = _parser()


def _mark_tasks(tokens: list[Token], lines: Sequence[str]) -> None:
    """Mark the list items that are action items with their line, and take the
    ``[ ]`` off their text (the form's button shows it instead)."""
    for index, token in enumerate(tokens):
        if token.type != "list_item_open" or not token.map:
            continue
        first = token.map[0]
        state = task_state(lines[first]) if first < len(lines) else None
        if state is None:
            continue
        inline = next((t for t in tokens[index + 1 :] if t.type == "inline"), None)
        if inline is None or not inline.children:
            continue
        lead = inline.children[0]
        if lead.type != "text" or not _CHECKBOX.match(lead.content):
            continue
        lead.content = _CHECKBOX.sub("", lead.content, count=1)
        token.meta = {**(token.meta or {}), "task_line": first, "done": state}


def agenda_html(document: str, *, action: str, token: str, tag: str) -> Markup:
    """Given an agenda, where its tick forms post, their form token and the
    document's tag, return it as HTML."""
    lines = [line.removesuffix("\r") for line in document.split("\n")]
    env: dict[str, Any] = {"lines": lines, "action": action, "token": token, "tag": tag}
    tokens = _MD.parse(document, env)
    _mark_tasks(tokens, lines)
    return Markup(_MD.renderer.render(tokens, _MD.options, env))  # noqa: S704 - escaped above
