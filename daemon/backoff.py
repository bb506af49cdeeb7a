"""Capped exponential backoff with jitter, for anything that may heal by itself."""

from __future__ import annotations

import random
from datetime import timedelta


def backoff(
    failures: int, first: timedelta, cap: timedelta, rng: random.Random | None = None
) -> timedelta:
    """Return how long to wait after ``failures`` failures in a row.

    ``first`` doubles with each failure up to ``cap``; the wait is then drawn from
    the upper half of that ceiling, so many clients (or many queued emails) that
    failed together do not come back to a recovering server in step.
    """
    doublings = min(max(failures - 1, 0), 30)
    ceiling = min(first * (1 << doublings), cap)
    return ceiling * (0.5 + 0.5 * (rng or random).random())
