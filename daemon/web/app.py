"""The web app assembled: its routes, its stylesheet, a health check, and the
answers to everything that went wrong.

A request that fails unexpectedly gets a plain 500 page, one line in the log
(the traceback only with --verbose), and the server goes on: one request never
takes the daemon down.
"""

from __future__ import annotations

import logging
from importlib import resources

from cadence.daemon.steps import unexpected
from cadence.daemon.web import agenda_pages, owner_pages, people_pages, proposal_pages, signing_in
from cadence.daemon.web.backend import Backend
from cadence.daemon.web.guard import Guard
from cadence.daemon.web.site import Site
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# Answered by /healthz, which `cadence doctor` asks for.
HEALTH = "cadence web ok"


def build_app(backend: Backend) -> ASGIApp:
    """Given the backend (started), return the ASGI app to serve."""
    site = Site(backend)
    stylesheet = resources.files("cadence.daemon.web").joinpath("static/app.css").read_bytes()

    async def css(request: Request) -> Response:
        return Response(stylesheet, media_type="text/css")

    async def health(request: Request) -> Response:
        return PlainTextResponse(HEALTH)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return site.message(
                "Not here", "This address does not take that kind of request.", status=405
            )
        return site.message("Not found", "There is no page at this address.", status=404)

    routes = [
        Route("/static/app.css", css, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        *proposal_pages.routes(site),
        *signing_in.routes(site),
        *owner_pages.routes(site),
        *people_pages.routes(site),
        *agenda_pages.routes(site),
    ]
    failed = site.message(
        "Something went wrong",
        "cadence could not answer this request; the log says why. Try again in a while.",
        status=500,
    )
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error},
        # Inside Starlette's own error handler, which would answer a bare 500 first.
        middleware=[Middleware(_Failsafe, failed=failed)],
    )
    return Guard(app, https=backend.secure)


class _Failsafe:
    """Turn an exception that escaped a page into a 500 page and one log line."""

    def __init__(self, app: ASGIApp, failed: Response) -> None:
        self.app = app
        self.failed = failed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            log.error(
                "web request %s %s failed: %s", scope.get("method"), _route(scope), unexpected(exc)
            )
            log.debug("the request's failure", exc_info=exc)
            if not started and scope["type"] == "http":
                await self.failed(scope, receive, send)


def _route(scope: Scope) -> str:
    # The path may hold a signed link: log only its first part.
    parts = str(scope.get("path", "")).split("/")
    return "/".join(parts[:2]) + ("/…" if len(parts) > 2 else "")
