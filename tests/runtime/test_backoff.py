"""Backoff: grows exponentially from the first wait, never passes the cap, always jittered."""

from __future__ import annotations

import random
from datetime import timedelta

from cadence.daemon.backoff import backoff
from hypothesis import given
from hypothesis import strategies as st

FIRST = timedelta(minutes=1)
CAP = timedelta(hours=1)


@given(failures=st.integers(0, 10_000), seed=st.integers(0, 2**32))
def test_wait_lies_in_the_upper_half_of_the_capped_ceiling(failures: int, seed: int) -> None:
    wait = backoff(failures, FIRST, CAP, random.Random(seed))
    ceiling = min(FIRST * 2 ** max(min(failures - 1, 30), 0), CAP)
    assert ceiling / 2 <= wait <= ceiling


def test_waits_double_until_the_cap() -> None:
    class Top(random.Random):
        def random(self) -> float:
            return 1.0

    waits = [backoff(n, FIRST, CAP, Top()) for n in range(1, 9)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_jitter_spreads_clients_that_failed_together() -> None:
    rng = random.Random(7)
    waits = {backoff(3, FIRST, CAP, rng) for _ in range(50)}
    assert len(waits) > 40
