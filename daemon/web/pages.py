"""Pages: Jinja2 templates (autoescape on), rendered into answers.

Every page extends ``base.html``: a viewport for phones, the one stylesheet,
no script. ``message.html`` says one thing (a link that is not valid, a
proposal already booked) with a status code that fits it.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from cadence.daemon.core.dates import day, day_time
from starlette.responses import HTMLResponse

_TASK_MARK = re.compile(r"^\s*[-*+]\s+\[[ xX]\]\s*")
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("cadence.daemon.web", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["day"] = day
# An action item as the agenda writes it, without its list mark and checkbox.
_ENV.filters["item"] = lambda line: _TASK_MARK.sub("", str(line), count=1)
_ENV.filters["day_time"] = day_time


def page(template: str, *, root: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context`` (and ``root``, the path prefix of every link)."""
    context.setdefault("signed_in", False)
    context.setdefault("nav", None)
    body = _ENV.get_template(template).render(root=root, **context)
    return HTMLResponse(body, status_code=status)


def message(
    title: str, text: str, *, root: str, status: int = 200, links: tuple[tuple[str, str], ...] = ()
) -> HTMLResponse:
    """A page that says one thing: ``title``, a sentence or two, and perhaps links
    onward (``(label, href)``; an href starting with "/" is within the app)."""
    return page("message.html", root=root, status=status, title=title, text=text, links=links)
