"""What keeps the web app safe: headers, size limits, rate limits, form tokens.

**Headers.** Every answer forbids framing, sniffing, referrers (the addresses
are secrets) and caching, and carries a Content-Security-Policy that allows
nothing but the app's own stylesheet and forms: no script at all, no external
font, image or frame.

**Size.** A request body over :data:`MAX_BODY` bytes is refused (413) before
it is read whole; uvicorn caps the headers.

**Rate limits.** Per client: after :data:`FAILURES_PER_MINUTE` failed lookups
(a link whose signature does not hold, or that names nothing) in a minute,
every link lookup answers 429 until the minute has passed, so guessing is
hopeless; a client that only follows good links may make
:data:`LINKS_PER_MINUTE` lookups a minute. The client is the peer's address,
or, from a proxy on this machine, the address the proxy names
(``X-Forwarded-For``, as uvicorn reads it).

**Form tokens.** Every form carries a token bound to its page (the page's
path, or the owner's session) and to when the page was served
(:func:`cadence.daemon.core.web_links.form_token`); a POST without a good one
changes nothing.

**A person's press.** Mail scanners fetch every link of an email, and some
(Outlook's Safe Links) load the page in a browser and submit its forms. So a
form reached from an email acts only when a person pressed its button, which
the app tells by three things a scanner's blind submit lacks (see
:func:`refusal`): the pressed button's own name and value, which a script's
``form.submit()`` and a replay of the form's fields leave out; the browser's
``Sec-Fetch-User: ?1``, which it sends only for a navigation a person started
(a click or a key, not a script); and, for the forms that book or sign in, a
page that was open for at least :data:`DWELL` seconds, more than a scanner
waits and less than a person needs to read it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

from cadence.daemon.core import web_links
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024
FAILURES_PER_MINUTE = 20
LINKS_PER_MINUTE = 240
WINDOW = 60.0
MAX_CLIENTS = 10_000
DWELL = 1
# A page left open longer than this must be loaded again before its form acts.
FORM_LIFETIME = 12 * 3600

POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class Guard:
    """ASGI middleware: the headers on every answer, and the size limit on bodies."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if self.https:
                    headers["strict-transport-security"] = "max-age=31536000"
            await send(message)

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            await _too_large(send_with_headers)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send_with_headers)
        except _TooLarge:
            await _too_large(send_with_headers)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b"Request too large.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimits:
    """Per-client counts of link lookups and of failed ones over the last minute.

    Used from the event loop only (never from the worker threads), so it needs
    no lock. Old clients are forgotten, and at most MAX_CLIENTS are kept.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lookups: dict[str, deque[float]] = {}
        self._clock = clock

    def _recent(self, table: dict[str, deque[float]], client: str) -> deque[float]:
        now = self._clock()
        found = table.get(client)
        if found is None:
            if len(table) >= MAX_CLIENTS:
                self._forget_old(table, now)
            found = table.setdefault(client, deque())
        while found and found[0] <= now - WINDOW:
            found.popleft()
        return found

    @staticmethod
    def _forget_old(table: dict[str, deque[float]], now: float) -> None:
        for client in [c for c, times in table.items() if not times or times[-1] <= now - WINDOW]:
            del table[client]
        while len(table) >= MAX_CLIENTS:  # all recent: the oldest go first
            del table[next(iter(table))]

    def allow(self, client: str) -> bool:
        """Count one link lookup by ``client``; return whether it may be served."""
        if len(self._recent(self._failures, client)) >= FAILURES_PER_MINUTE:
            return False
        lookups = self._recent(self._lookups, client)
        if len(lookups) >= LINKS_PER_MINUTE:
            return False
        lookups.append(self._clock())
        return True

    def failed(self, client: str) -> None:
        """Count a failed lookup by ``client``."""
        self._recent(self._failures, client).append(self._clock())


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def refusal(
    request: Request,
    form: Mapping[str, str],
    *,
    key: bytes,
    binding: str,
    now: int,
    dwell: int = 0,
) -> str | None:
    """Given a POST and its form, return why it must not act (a sentence for the
    page), or None when a person pressed the button of a page served for ``binding``
    at least ``dwell`` seconds ago."""
    age = web_links.form_token_age(key, binding, form.get("token", ""), now)
    if age is None:
        return "This form did not come from this page. Open the page again and press its button."
    if age > FORM_LIFETIME:
        return "This page was open too long. It has been loaded again: press its button."
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return "This form was sent from another site; nothing was done."
    if form.get("press") != "1":
        return "The button was not pressed; nothing was done. Press it to go on."
    if request.headers.get("sec-fetch-mode") is not None and (
        request.headers.get("sec-fetch-user") != "?1"
    ):
        return "The form was sent without a press of its button; nothing was done. Press it."
    if age < dwell:
        return "That was quicker than anyone reads the page; nothing was done. Press it again."
    return None
