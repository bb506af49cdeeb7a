"""benchmarks/ics_cycle.py keeps working as the code under it changes.

It reaches into the cycle's steps by name to time them, so a rename would
break it silently until someone next measured. Run small, it must finish
without a failed check and print every row README quotes. Its figures are not
judged here (machines are noisy); README has them from a full run.
"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support.paths import ROOT

ROWS = (
    "(a) parse, Calendar.from_ical",
    "(b) full cycle, fresh state",
    "of which icalendar, per event",
    "(c) cycle, unchanged feed",
    "(d) pre-filter alone",
    "(e) cycle, one event added",
    "of which the suspect-read check",
)


def test_the_benchmark_runs_small_and_prints_every_row() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "ics_cycle.py"),
            *("--sizes", "300", "--runs", "1", "--idle-cycles", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CHECK FAILED" not in done.stdout
    for row in ROWS:
        line = next((x for x in done.stdout.splitlines() if row in x), None)
        assert line is not None, f"no row {row!r} in:\n{done.stdout}"
        assert re.search(r"\d+\.\d{3} s", line), line
    # The added event is read as a good read and planned: the cycle did real work.
    assert re.search(r"full cycle: \d+ gaps, [1-9]\d* proposals", done.stdout)
