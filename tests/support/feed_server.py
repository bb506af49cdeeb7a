"""A real HTTP server serving one calendar feed, with the failures real servers have.

It answers conditional requests with 304 like a well-behaved server, and can be
switched to fail: an HTTP status, a slow answer, a trickled body, an HTML login
page, an oversized body, a redirect chain. Every request is recorded.

    with FeedServer(body) as server:
        fetch_feed(server.url, {})
        server.fail_with(503)

or, in a test, the ``feed_server`` fixture (import it into the test module).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

import pytest

FEED_PATH = "/calendar/ical/lea%40example.com/private-5e3c7a9b1d2f4e6a8c0b/basic.ics"
SECRET = "private-5e3c7a9b1d2f4e6a8c0b"
LOGIN_PAGE = (
    Path(__file__).parent.parent / "fixtures" / "not_icalendar_login_page.html"
).read_bytes()
MINIMAL_FEED = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cadence tests//EN\r\nEND:VCALENDAR\r\n"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class _Behaviour:
    mode: str = "ok"  # ok | status | slow | trickle | html | oversized | redirect
    status: int = 200
    delay: float = 0.0
    oversize: int = 0
    redirects: int = 0
    validators: bool = True


class FeedServer:
    """Serves ``body`` at ``url`` on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self, body: bytes = MINIMAL_FEED) -> None:
        self.requests: list[RecordedRequest] = []
        self.behaviour = _Behaviour()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.set_body(body)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- the feed -------------------------------------------------------------

    def set_body(self, body: bytes) -> None:
        """Serve a new body; its ETag and Last-Modified change with it."""
        with self._lock:
            self.body = body
            self.etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            self.last_modified = formatdate(time.time(), usegmt=True)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """The feed's secret address (its path holds ``SECRET``)."""
        return self.base + FEED_PATH

    @property
    def request_count(self) -> int:
        return len(self.requests)

    # -- failures -------------------------------------------------------------

    def reset(self) -> None:
        """Serve the feed normally again."""
        self.behaviour = _Behaviour(validators=self.behaviour.validators)

    def fail_with(self, status: int) -> None:
        self.behaviour = _Behaviour(mode="status", status=status)

    def answer_slowly(self, delay: float) -> None:
        """Wait ``delay`` seconds before answering at all."""
        self.behaviour = _Behaviour(mode="slow", delay=delay)

    def trickle(self, delay: float) -> None:
        """Send headers at once, then the body one byte every ``delay`` seconds."""
        self.behaviour = _Behaviour(mode="trickle", delay=delay)

    def serve_html(self) -> None:
        self.behaviour = _Behaviour(mode="html")

    def serve_oversized(self, size: int) -> None:
        """Send a calendar-looking body of ``size`` bytes without a Content-Length."""
        self.behaviour = _Behaviour(mode="oversized", oversize=size)

    def redirect(self, hops: int = 1) -> None:
        """Redirect ``hops`` times before serving the feed."""
        self.behaviour = _Behaviour(mode="redirect", redirects=hops)

    def without_validators(self) -> None:
        """Send neither ETag nor Last-Modified, and ignore conditional requests."""
        self.behaviour = _Behaviour(validators=False)

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in slow modes
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; return whether it is stopping."""
        return self._stopping.wait(seconds)


def _handler_for(feed: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            feed.requests.append(
                RecordedRequest("GET", self.path, {k: v for k, v in self.headers.items()})
            )
            behaviour = feed.behaviour
            if behaviour.mode == "status":
                self._send(behaviour.status, b"error\n", "text/plain")
            elif behaviour.mode == "slow":
                if not feed._sleep(behaviour.delay):
                    self._send_feed(behaviour)
            elif behaviour.mode == "trickle":
                self._trickle(behaviour.delay)
            elif behaviour.mode == "html":
                self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")
            elif behaviour.mode == "oversized":
                self._oversized(behaviour.oversize)
            elif behaviour.mode == "redirect" and self._hop() < behaviour.redirects:
                self.send_response(302)
                self.send_header("Location", f"{FEED_PATH}?hop={self._hop() + 1}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send_feed(behaviour)

        def _hop(self) -> int:
            _, _, query = self.path.partition("?hop=")
            return int(query) if query.isdigit() else 0

        def _send_feed(self, behaviour: _Behaviour) -> None:
            with feed._lock:
                body, etag, modified = feed.body, feed.etag, feed.last_modified
            # As RFC 9110 says: If-None-Match, when sent, decides alone.
            match, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            unchanged = match == etag if match is not None else since == modified
            if behaviour.validators and unchanged:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            extra = {"ETag": etag, "Last-Modified": modified} if behaviour.validators else {}
            self._send(200, body, "text/calendar; charset=utf-8", extra)

        def _send(
            self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self, delay: float) -> None:
            body = feed.body
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for index in range(len(body)):
                try:
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
                except OSError:
                    return  # the client gave up, as it should
                if feed._sleep(delay):
                    return

        def _oversized(self, size: int) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            chunk = b"BEGIN:VCALENDAR\r\n" + b"X-PADDING:" + b"x" * 8000 + b"\r\n"
            sent = 0
            try:
                while sent < size:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                return

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started FeedServer serving a minimal calendar; stopped after the test."""
    with FeedServer() as server:
        yield server


__all__ = ["FEED_PATH", "SECRET", "FeedServer", "RecordedRequest", "feed_server"]
