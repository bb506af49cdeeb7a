"""What every page handler shares: the backend, the rate limits, forms, sessions.

A handler of a link page (a proposal's, a person's agenda, a sign-in link) runs
through :meth:`Site.lookup`, which answers 429 to a client over its limits and
counts the lookups that failed. Owner pages ask :meth:`Site.session` who is
signed in.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from cadence.daemon.core import web_links
from cadence.daemon.web import guard, pages
from cadence.daemon.web.backend import Backend
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

log = logging.getLogger(__name__)

MAX_FIELDS = 40


class Site:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.limits = guard.RateLimits()

    # -- answers ----------------------------------------------------------------

    def page(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        return pages.page(template, root=self.backend.root, status=status, **context)

    def message(
        self,
        title: str,
        text: str,
        *,
        status: int = 200,
        links: tuple[tuple[str, str], ...] = (),
    ) -> HTMLResponse:
        return pages.message(title, text, root=self.backend.root, status=status, links=links)

    def not_valid(self) -> HTMLResponse:
        return self.message(
            "This link is not valid",
            "cadence did not make this link, or it was changed on the way (a line break "
            "in a copied address cuts it short). Open it again from the email, or copy "
            "it whole. Nothing was done.",
            status=404,
        )

    def redirect(self, path: str) -> RedirectResponse:
        """303 to a page of the app (after a POST that acted: a reload acts no more)."""
        return RedirectResponse(self.backend.root + path, status_code=303)

    # -- link lookups -----------------------------------------------------------

    async def lookup(
        self, request: Request, handle: Callable[[], Awaitable[tuple[Response, bool]]]
    ) -> Response:
        """Serve a link page within the client's limits; ``handle`` returns the answer
        and whether the lookup found what the link names."""
        client = guard.client_of(request)
        if not self.limits.allow(client):
            return self.message(
                "Too many tries",
                "Too many links were tried from here in the last minute. Wait a minute, "
                "then open the link from the email again.",
                status=429,
            )
        response, found = await handle()
        if not found:
            self.limits.failed(client)
        return response

    # -- forms ------------------------------------------------------------------

    def token(self, binding: str) -> str:
        """A token for a form served now on the page bound to ``binding``."""
        return web_links.form_token(self.backend.key, binding, self.backend.now())

    async def form(self, request: Request) -> dict[str, str] | None:
        """The fields of a URL-encoded form (the first value of each), or None when the
        body is no such form."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return None
        try:
            body = (await request.body()).decode("utf-8")
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return None
        fields: dict[str, str] = {}
        for name, value in pairs:
            fields.setdefault(name, value)
        return fields

    def refusal(
        self, request: Request, form: dict[str, str] | None, binding: str, *, dwell: int = 0
    ) -> str | None:
        """Why the form must not act (see :func:`guard.refusal`), or None."""
        if form is None:
            return "This was not a form of this page; nothing was done."
        return guard.refusal(
            request,
            form,
            key=self.backend.key,
            binding=binding,
            now=self.backend.now(),
            dwell=dwell,
        )

    # -- the owner's session ----------------------------------------------------

    @property
    def cookie(self) -> str:
        # __Host- makes browsers refuse the cookie unless it is Secure, for the whole
        # host, and set by this host: nothing on a sibling domain can plant one.
        return "__Host-cadence" if self.backend.secure and not self.backend.root else "cadence"

    async def session(self, request: Request) -> str | None:
        """The owner's session when the request carries a live one, else None."""
        value = request.cookies.get(self.cookie)
        if not value or len(value) > 200:
            return None
        valid = await self.backend.run(lambda e: e.store.web.session_valid(value, e.clock()))
        if not valid:
            self.limits.failed(guard.client_of(request))
        return value if valid else None

    @staticmethod
    def session_binding(session: str) -> str:
        return "session:" + hashlib.sha256(session.encode()).hexdigest()[:32]
