"""Where the web app's requests do their work: engines in worker threads.

The engine is synchronous (SQLite, HTTP to feeds, SMTP), and one engine's state
database connection is not shared between threads. So each of a few worker
threads keeps an engine of its own, and a request hands its work to them
(:meth:`Backend.run`) while the event loop goes on serving others. When the
daemon reloads its config, each worker makes a new engine on its next job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlsplit

from cadence.daemon.clock import Clock
from cadence.daemon.config import Config
from cadence.daemon.core import web_links
from cadence.daemon.core.identity import derive
from cadence.daemon.engine import Engine
from cadence.daemon.web_addresses import key_path, load_key

log = logging.getLogger(__name__)

T = TypeVar("T")
WORKERS = 4


class Backend:
    """The engines the web app works through, and what every page needs to know."""

    def __init__(self, config: Callable[[], Config], clock: Clock, workers: int = WORKERS) -> None:
        self._config = config
        self.clock = clock
        self._local = threading.local()
        self._engines: list[Engine] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="cadence-web")
        self.key = b""

    @property
    def config(self) -> Config:
        return self._config()

    def start(self) -> None:
        """Open the state and the key (made on first start); raise CadenceError."""
        engine = self._engine()
        secret = engine.store.identity.secret()
        self.key = web_links.link_key(load_key(key_path(engine.config)), secret)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for engine in self._engines:
                with contextlib.suppress(Exception):
                    engine.close()
            self._engines.clear()

    def _engine(self) -> Engine:
        config = self._config()
        engine: Engine | None = getattr(self._local, "engine", None)
        if engine is None or engine.config is not config:
            if engine is not None:
                engine.close()
            engine = Engine(config, self.clock)
            self._local.engine = engine
            with self._lock:
                self._engines.append(engine)
        return engine

    async def run(self, job: Callable[[Engine], T]) -> T:
        """Run ``job`` with a worker's engine; return what it returns."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: job(self._engine()))

    # -- what pages need to know ------------------------------------------------

    @property
    def root(self) -> str:
        """The path the proxy serves the app under ("" at the top of its host)."""
        base = self.config.web.base_url
        return urlsplit(base).path.rstrip("/") if base else ""

    @property
    def secure(self) -> bool:
        """Whether people reach the app over https (cookies are then Secure)."""
        base = self.config.web.base_url
        return base is not None and base.startswith("https://")

    def person_ref(self, email: str) -> str:
        """A short, stable name for a person in the owner's addresses (not their email,
        which would end up in proxy logs)."""
        return derive(self.key, f"person|{email.lower()}", 12)

    def now(self) -> int:
        return int(self.clock().timestamp())
