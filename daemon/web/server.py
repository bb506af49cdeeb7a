"""Serving the web app: in a thread of the daemon, or in the foreground.

uvicorn (h11, no extras) runs the app on its own event loop. The listening
socket is bound before anything else, so an address in use is one clear
error at start rather than a thread that quietly died. In the daemon the
server runs in a thread: the daemon's loop, its signals and its cycles are
untouched, and :meth:`WebServer.stop` lets requests under way finish for at
most :data:`GRACE` seconds. ``cadence web`` runs it in the foreground, where
uvicorn itself stops on SIGTERM or SIGINT.

No access log: addresses carry signed links, which are secrets.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn
from cadence.daemon.clock import Clock
from cadence.daemon.config import Config
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.web.app import build_app
from cadence.daemon.web.backend import Backend

log = logging.getLogger(__name__)

GRACE = 3
# A proxy on this machine may say who the client is (X-Forwarded-For).
TRUSTED_PROXIES = "127.0.0.1,::1"


def bind(host: str, port: int) -> socket.socket:
    """Return a listening socket on host:port; raise CadenceError naming
    ``web.listen`` when that address cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CadenceError(
            f"the web app cannot listen on {host}:{port} ({reason}); change web.listen "
            "or stop what uses that address"
        ) from None
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, but a stop by SIGTERM or SIGINT is a normal end (exit 0,
    like the daemon's), not the signal raised again once the server has closed."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def _server(backend: Backend) -> uvicorn.Server:
    settings = uvicorn.Config(
        build_app(backend),
        log_config=None,
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        proxy_headers=True,
        forwarded_allow_ips=TRUSTED_PROXIES,
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=GRACE,
        limit_concurrency=64,
        h11_max_incomplete_event_size=16 * 1024,
    )
    return _Server(settings)


class WebServer:
    """The web app served from a thread of the running daemon."""

    def __init__(self, config: Callable[[], Config], clock: Clock) -> None:
        self._config = config
        self.backend = Backend(config, clock)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind the address and start serving; raise CadenceError when it cannot."""
        web = self._config().web
        sock = bind(web.host, web.port)
        try:
            self.backend.start()
            self._server = _server(self.backend)
        except BaseException:
            sock.close()
            raise
        server = self._server

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except Exception:
                log.exception("the web app stopped")
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name="cadence-web", daemon=True)
        self._thread.start()
        log.info("web app listening on %s", web.listen)

    def stop(self) -> None:
        """Stop serving; wait for requests under way at most GRACE seconds (and a
        second more for the thread)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=GRACE + 1)
        self.backend.close()


def serve_forever(config: Config, clock: Clock) -> None:
    """Serve the web app in the foreground until SIGTERM or SIGINT (``cadence web``).
    Raise CadenceError when it cannot start."""
    sock = bind(config.web.host, config.web.port)
    backend = Backend(lambda: config, clock)
    try:
        backend.start()
        log.info("web app listening on %s", config.web.listen)
        _server(backend).run(sockets=[sock])
    finally:
        sock.close()
        backend.close()
