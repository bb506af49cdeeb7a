"""Run a process under libfaketime, with a wall clock the test sets and jumps.

    clock = FakeClock(tmp_path / "faketime", datetime(2027, 3, 28, 0, 58, tzinfo=UTC))
    DaemonProcess(config, env=clock.env).start()   # its wall clock starts there
    clock.set(datetime(2027, 4, 2, 12, 0, tzinfo=UTC))   # and jumps, like `date -s`

Only the wall clock is faked (``FAKETIME_DONT_FAKE_MONOTONIC``): as with a real
clock change, CLOCK_MONOTONIC keeps running undisturbed. The timestamp file is
read again at every clock read (``FAKETIME_NO_CACHE``); when its content has
changed, the process's clock restarts at the written moment and runs on in real
time from there. A process napping when the file is rewritten picks the new
time up at its next clock read, so its clock may trail :meth:`FakeClock.now` by
the length of that nap.

Known limitation of that mode: ``time.sleep`` fails with EINVAL in the faked
process (``threading.Event.wait``, socket timeouts, asyncio and SQLite's busy
wait are fine).

The library comes with Debian's ``faketime`` package; tests needing it are
skipped (:data:`requires_faketime`) where it is not installed.
"""

from __future__ import annotations

import glob
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_SEARCHED = (
    "/usr/lib/*/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
    "/usr/local/lib/faketime/libfaketimeMT.so.1",
    "/usr/lib64/faketime/libfaketimeMT.so.1",
)


def find_library() -> Path | None:
    """Return the multi-threaded libfaketime (``$FAKETIME_LIBRARY`` first), or None."""
    chosen = os.environ.get("FAKETIME_LIBRARY")
    if chosen:
        return Path(chosen) if Path(chosen).is_file() else None
    for pattern in _SEARCHED:
        for found in sorted(glob.glob(pattern)):
            return Path(found)
    return None


requires_faketime = pytest.mark.skipif(
    find_library() is None,
    reason="libfaketime not found: install Debian's faketime package",
)


class FakeClock:
    """A libfaketime timestamp file and the environment that makes a process use it."""

    def __init__(self, directory: Path, start: datetime) -> None:
        library = find_library()
        if library is None:
            pytest.skip("libfaketime not found: install Debian's faketime package")
        self.library = library
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "faketime.rc"
        self._written = start
        self._written_at = time.monotonic()
        self.set(start)

    @property
    def env(self) -> dict[str, str]:
        """Variables for a process whose wall clock this file drives (times in UTC)."""
        return {
            "LD_PRELOAD": str(self.library),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "UTC",
        }

    def set(self, moment: datetime) -> None:
        """Set the faked wall clock to the aware ``moment`` (second precision)."""
        if moment.tzinfo is None:
            raise ValueError("the fake time needs a timezone")
        moment = moment.astimezone(UTC).replace(microsecond=0)
        temporary = self.path.with_name(self.path.name + ".tmp")
        # Replaced in one step: a process reading a half-written file would jump
        # to some other time.
        temporary.write_text(f"@{moment:%Y-%m-%d %H:%M:%S}\n", encoding="ascii")
        temporary.replace(self.path)
        self._written, self._written_at = moment, time.monotonic()

    def jump(self, by: timedelta) -> datetime:
        """Move the faked wall clock by ``by`` from where it is now; return the new time."""
        moment = self.now() + by
        self.set(moment)
        return moment.replace(microsecond=0)

    def now(self) -> datetime:
        """Return the faked time now (as of the last :meth:`set`, run on in real time)."""
        return self._written + timedelta(seconds=time.monotonic() - self._written_at)


__all__ = ["FakeClock", "find_library", "requires_faketime"]
