"""How much reading one feed may cost: time, occurrences, and signs of progress.

A feed is outside input: one ``FREQ=SECONDLY`` rule asks for millions of
instances, and a rule that can never match (``BYMONTH=2;BYMONTHDAY=30``) sends
the recurrence library searching until the year 9999. So a read runs on a
budget. Each group of events (a single event, or a series with its overrides)
is read under an alarm; a group that takes too long is skipped and logged, a
read that takes too long altogether fails as the source failing, and so does a
feed that expands to more occurrences than any calendar holds.

Between groups the budget calls ``progress``: the daemon's sign of life for the
watchdog, given only while events are actually being read.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

from cadence.daemon.core.errors import SourceError

__all__ = ["Budget", "GroupTimeout", "ReadLimits"]


@dataclass(frozen=True)
class ReadLimits:
    """The bounds of one read of one feed."""

    # The whole read (parse and expansion), and any one group of events in it.
    seconds: float = 60.0
    group_seconds: float = 10.0
    # Occurrences in the read window, all series and events together.
    occurrences: int = 100_000
    # Instances a series may run through before the window starts.
    steps_before_window: int = 100_000
    # A series repeating more often than this on average is read as busy over its
    # whole span rather than instance by instance.
    dense: timedelta = timedelta(minutes=15)


class GroupTimeout(BaseException):
    """A group of events took longer than its share of the read.

    A BaseException, like KeyboardInterrupt: the libraries it interrupts must not
    catch it on the way out as one of their own errors.
    """


def _nothing() -> None:
    pass


class Budget:
    """Counts what a read has spent and stops it when it spends too much."""

    def __init__(
        self, limits: ReadLimits, source: str, progress: Callable[[], None] = _nothing
    ) -> None:
        self.limits = limits
        self.source = source
        self.progress = progress
        self.deadline = time.monotonic() + limits.seconds
        self.occurrences = 0

    def tick(self) -> None:
        """Mark progress; raise SourceError once the read is over its time."""
        if time.monotonic() > self.deadline:
            raise SourceError(
                self.source,
                f"reading the feed took longer than {self.limits.seconds:g} s "
                "(too many events or repetitions); the previous reading is kept",
            )
        self.progress()

    def count(self, occurrences: int) -> None:
        """Add occurrences to the read's total; raise SourceError past the limit."""
        self.occurrences += occurrences
        if self.occurrences > self.limits.occurrences:
            raise SourceError(
                self.source,
                f"the feed holds more than {self.limits.occurrences:,} occurrences in the "
                "months cadence reads; the previous reading is kept",
            )

    @contextmanager
    def group(self) -> Iterator[None]:
        """Run a block under an alarm: raise GroupTimeout inside it when it overruns
        its share (the group limit, or what is left of the read).

        The alarm is SIGALRM, so it works in the main thread only; elsewhere the
        block runs unguarded and only :meth:`tick` bounds the read.
        """
        seconds = min(self.limits.group_seconds, self.deadline - time.monotonic())
        if seconds <= 0:
            self.tick()  # raises
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        armed = True

        def expire(signum: int, frame: FrameType | None) -> None:
            if armed:
                raise GroupTimeout

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
        try:
            yield
        finally:
            armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
