"""Where "now" comes from.

The core never reads the clock; the engine asks a :data:`Clock`. The real one
is the system's UTC time. ``$CADENCE_NOW`` (an ISO instant with an offset)
sets the clock for demos, dry runs and tests: one-shot commands see exactly
that moment, and the daemon, whose clock must move for retries and periods to
come due, starts there and runs forward at the real pace.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cadence.daemon.core.errors import ConfigError, Problem

Clock = Callable[[], datetime]


def _fixed_moment(env: dict[str, str]) -> datetime | None:
    text = env.get("CADENCE_NOW")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            [Problem("CADENCE_NOW", f"{text!r} is not an ISO 8601 date and time")]
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(
            [Problem("CADENCE_NOW", "needs a UTC offset, e.g. 2026-11-23T09:00:00+01:00")]
        )
    return moment


def system_clock(env: dict[str, str] | None = None, *, running: bool = False) -> Clock:
    """Return the real clock, or the one $CADENCE_NOW sets: fixed, or starting there
    and moving with the monotonic clock when ``running``."""
    env = dict(os.environ) if env is None else env
    moment = _fixed_moment(env)
    if moment is None:
        return lambda: datetime.now(UTC)
    if not running:
        return lambda: moment
    origin = time.monotonic()
    return lambda: moment + timedelta(seconds=time.monotonic() - origin)
