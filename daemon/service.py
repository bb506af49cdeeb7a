"""The long-running loop behind ``cadence daemon``.

One thread. A cycle runs right away, then every ``daemon.interval`` give or
take 10 % (so that many installations started together drift apart instead of
reaching a feed server in step); after a cycle with errors, sooner, with
capped exponential backoff. Between cycles the loop waits on the monotonic
clock and wakes for the next cycle, for a queued email coming due, to ping the
systemd watchdog, and for signals.

Waits are measured on the monotonic clock, "now" is read from the wall clock:
when the two disagree (the clock was set, or the machine slept), the loop says
so and runs a cycle at once instead of trusting plans made in the old time.

Signals: SIGTERM and SIGINT stop the loop (see :mod:`cadence.daemon.interrupts`
for why the current step can be cut short safely), SIGHUP reloads the config
and keeps the running one if the new one is broken.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from cadence.daemon import interrupts
from cadence.daemon.backoff import backoff
from cadence.daemon.clock import system_clock
from cadence.daemon.config import load_config
from cadence.daemon.core.errors import CadenceError, ConfigError
from cadence.daemon.core.messages import clean
from cadence.daemon.core.values import format_duration
from cadence.daemon.cycle import CycleReport
from cadence.daemon.engine import Engine
from cadence.daemon.interrupts import Stopping
from cadence.daemon.notify import Notifier
from cadence.daemon.steps import unexpected
from cadence.daemon.web.server import WebServer

log = logging.getLogger(__name__)

JITTER = 0.1
# After a failed cycle: 30 s, then doubling, up to the configured interval.
RETRY_FIRST = timedelta(seconds=30)
# Wall and monotonic clocks may disagree by this much before it counts as a jump.
CLOCK_JUMP = 90.0
# Longest wait between two looks at the clocks, so a jump is noticed soon.
LONGEST_NAP = 60.0
# systemd's stop timeout is longer; past this the process exits on its own.
STOP_GRACE = 9.0

Handler = Callable[[int, FrameType | None], Any] | int | None


def _one_line(text: str, limit: int = 240) -> str:
    flat = clean(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Service:
    """Run cycles until stopped; report to systemd on the way."""

    def __init__(
        self,
        config_path: Path,
        *,
        env: dict[str, str] | None = None,
        notifier: Notifier | None = None,
        rng: random.Random | None = None,
    ) -> None:
        env = dict(os.environ) if env is None else env
        self.config_path = config_path
        self.clock = system_clock(env, running=True)
        self.notifier = notifier or Notifier(env)
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._engine: Engine | None = None
        self._wake = threading.Event()
        self._reload_requested = False
        self._stop_signal: str | None = None
        self._grace: threading.Timer | None = None
        self._next_cycle = 0.0
        self._failures = 0
        self._last_ping = float("-inf")
        self._reference = (0.0, 0.0)  # (wall, monotonic) seconds, to notice clock jumps
        self._last_result = "starting"
        self._web: WebServer | None = None

    @property
    def engine(self) -> Engine:
        assert self._engine is not None, "the service is not running"
        return self._engine

    # -- the run as a whole ---------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; return the exit code (0).

        Raise ConfigError when the config cannot be loaded at start, and
        StoreError when the state database cannot be opened: nothing can run then.
        """
        interrupts.reset()
        config = load_config(self.config_path)
        self._engine = Engine(config, self.clock)
        self.engine.store  # noqa: B018 - open (and migrate) the database before READY
        previous = self._install_signal_handlers()
        try:
            self._start_web()
            log.info(
                "cadence daemon started: config %s, state %s, a cycle every %s",
                self.config_path,
                config.state_path,
                format_duration(config.interval),
            )
            self.notifier.ready("started; first cycle running")
            self._loop()
        except Stopping:
            log.info("%s received; stopping", self._stop_signal or "stop request")
        finally:
            self._stop_signal = self._stop_signal or "exit"  # later signals change nothing
            self.notifier.stopping()
            if self._web is not None:
                self._web.stop()
            self.engine.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if self._grace is not None:
                self._grace.cancel()
        log.info("cadence daemon stopped")
        return 0

    def _start_web(self) -> None:
        """Serve the web app alongside the loop when the config asks for it; a web app
        that cannot start is logged, and the cycles go on without it."""
        if not self.engine.config.web.enabled:
            return
        web = WebServer(lambda: self.engine.config, self.clock)
        try:
            web.start()
        except CadenceError as exc:
            log.error("web app not started: %s", exc)
            web.backend.close()
            return
        self._web = web

    def _install_signal_handlers(self) -> dict[int, Handler]:
        interrupts.install_unraisable_hook()
        previous: dict[int, Handler] = {}
        for signum, handler in (
            (signal.SIGTERM, self._on_stop),
            (signal.SIGINT, self._on_stop),
            (signal.SIGHUP, self._on_reload),
        ):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handler)
        return previous

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is not None:
            return
        self._stop_signal = signal.Signals(signum).name
        self._wake.set()
        self._grace = threading.Timer(STOP_GRACE, self._give_up)
        self._grace.daemon = True
        self._grace.start()
        interrupts.request_stop()

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self._reload_requested = True
        self._wake.set()

    def _give_up(self) -> None:
        # Only reached when one step (an email being handed over) outlasts the
        # grace time. Exiting is then what a crash would be, which is safe by
        # design: the step is redone or settled at the next start.
        log.error("could not stop within %.0f s; exiting now", STOP_GRACE)
        self.notifier.stopping()
        os._exit(0)

    # -- the loop -------------------------------------------------------------

    def _loop(self) -> None:
        self._next_cycle = time.monotonic()
        self._reference = (self.clock().timestamp(), time.monotonic())
        while True:
            if interrupts.stop_requested():
                # Normally raised where the stop arrived; this catches a step that
                # turned the Stopping into an error of its own on the way out.
                raise Stopping
            if self._reload_requested:
                self._reload()
            self._notice_clock_jump()
            if time.monotonic() >= self._next_cycle:
                self._cycle()
            else:
                # Sends only what the outbox says is due (a retry planned before the
                # clock was set back counts as due): usually nothing, one query.
                self._deliver()
            self._nap()

    def _notice_clock_jump(self) -> None:
        wall, mono = self.clock().timestamp(), time.monotonic()
        expected = self._reference[0] + (mono - self._reference[1])
        self._reference = (wall, mono)
        jump = wall - expected
        if abs(jump) > CLOCK_JUMP:
            log.warning(
                "the wall clock jumped %s by %s (set, or the machine slept); running a cycle now",
                "forward" if jump > 0 else "back",
                timedelta(seconds=round(abs(jump))),
            )
            self._next_cycle = mono

    def _nap(self) -> None:
        """Wait until the next cycle or email is due, pinging the watchdog meanwhile;
        return early on a signal."""
        self._wake.clear()
        deadline = min(self._next_cycle, self._mail_deadline())
        # A SIGHUP that came just before the clear above still counts.
        while not self._wake.is_set() and not self._reload_requested:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            step = min(remaining, LONGEST_NAP, self.notifier.watchdog_interval or LONGEST_NAP)
            self._wake.wait(step)
            self._heartbeat()
            if abs(self.clock().timestamp() - self._expected_wall()) > CLOCK_JUMP:
                return

    def _expected_wall(self) -> float:
        return self._reference[0] + (time.monotonic() - self._reference[1])

    def _heartbeat(self) -> None:
        """Ping the watchdog: called only from the loop and between the steps of a
        cycle, so a loop stuck anywhere stops the pings and systemd restarts it."""
        interval = self.notifier.watchdog_interval
        if interval is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= interval / 2:
            self._last_ping = now
            self.notifier.watchdog()

    # -- what the loop does ---------------------------------------------------

    def _cycle(self) -> None:
        started = time.monotonic()
        report: CycleReport | None = None
        error: str | None = None
        try:
            report = self.engine.sync(heartbeat=self._heartbeat)
        except CadenceError as exc:
            error = _one_line(str(exc))
            log.error("cycle failed: %s", error)
        except Exception as exc:
            # One line; the traceback only at debug level (--verbose). The cycle is
            # recorded as failed (see Engine.sync) and the loop goes on.
            error = _one_line(unexpected(exc))
            log.error("cycle failed: %s", error)
            log.debug("the cycle's failure", exc_info=True)
        seconds = time.monotonic() - started
        if report is not None:
            log.info(
                "cycle done in %.1f s: %d gap(s), %d proposal(s) created, %d email(s) sent, "
                "%d agenda section(s) added%s",
                seconds,
                report.gaps,
                report.proposals_created,
                report.emails_sent,
                report.agenda_sections,
                f", {len(report.errors)} error(s)" if report.errors else "",
            )
            if report.errors:
                first = report.errors[0]
                error = _one_line(f"{first['source']}: {first['message']}")
        self._failures = 0 if error is None else self._failures + 1
        self._schedule_next()
        self._last_result = "ok" if error is None else f"error: {error}"
        self.notifier.status(self._status_line())

    def _schedule_next(self) -> None:
        interval = self.engine.config.interval
        if self._failures:
            delay = backoff(self._failures, RETRY_FIRST, interval, self.rng)
        else:
            delay = interval * self.rng.uniform(1 - JITTER, 1 + JITTER)
        self._next_cycle = time.monotonic() + delay.total_seconds()
        next_run = self.clock() + delay
        try:
            self.engine.store.set_meta("next_run", next_run.isoformat())
        except CadenceError as exc:
            log.warning("could not record the next run: %s", exc)
        log.debug("next cycle at %s", next_run.isoformat(timespec="seconds"))

    def _status_line(self) -> str:
        when = self.clock().astimezone(self.engine.config.owner.zone)
        try:
            status = self.engine.status()
            counts = f"{status['people']} people, {status['open_proposals']} open proposal(s)"
            backlog = status["outbox_pending"]
            if backlog:
                counts += f", {backlog} email(s) waiting"
        except CadenceError:
            counts = "state database busy"
        except Exception:
            # The status line must never be what stops the daemon.
            log.debug("status line: cannot count", exc_info=True)
            counts = "state unreadable"
        return _one_line(f"{counts}; last cycle {when:%H:%M}: {self._last_result}")

    def _mail_deadline(self) -> float:
        """Return the monotonic time the next queued email is due (inf when none)."""
        try:
            due = self.engine.next_mail_at()
        except CadenceError:
            return float("inf")
        if due is None:
            return float("inf")
        return time.monotonic() + max((due - self.clock()).total_seconds(), 0.0)

    def _deliver(self) -> None:
        try:
            delivery = self.engine.deliver_mail(heartbeat=self._heartbeat)
        except CadenceError as exc:
            log.error("email delivery failed: %s", _one_line(str(exc)))
            return
        if delivery.sent or delivery.failed or delivery.unconfirmed:
            self._last_result = (
                "ok" if not delivery.errors else f"error: {_one_line(delivery.errors[0])}"
            )
            self.notifier.status(self._status_line())

    def _reload(self) -> None:
        self._reload_requested = False
        self.notifier.reloading()
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            problems = "; ".join(str(p) for p in exc.problems)
            log.error(
                "config %s not reloaded, the running one is kept: %s", self.config_path, problems
            )
        else:
            old, self._engine = self._engine, Engine(config, self.clock)
            if old is not None:
                old.close()
            log.info("config reloaded from %s", self.config_path)
            if old is not None and (old.config.web.enabled, old.config.web.listen) != (
                config.web.enabled,
                config.web.listen,
            ):
                log.warning("web.enabled and web.listen take effect when the daemon restarts")
            self._next_cycle = time.monotonic()
        self.notifier.ready(self._status_line())
