"""A stop that arrives while Python runs a finalizer.

A SIGTERM raises Stopping in the main thread between two bytecodes of whatever
runs there. When that is a ``__del__`` (an HTTP client or a socket collected
mid-cycle), Python cannot raise it and prints "Exception ignored in ...
Traceback" to stderr, which is the daemon's log. The stop must stay asked for,
and the log must stay free of tracebacks.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.paths import ROOT

PROGRAM = textwrap.dedent(
    """
    import gc, os, signal, sys
    from cadence.daemon import interrupts

    interrupts.reset()
    signal.signal(signal.SIGTERM, lambda *_: interrupts.request_stop())
    if sys.argv[1] == "quiet":
        interrupts.install_unraisable_hook()

    class Collected:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between these bytecodes
                pass

    Collected()
    gc.collect()
    print("stop asked for:", interrupts.stop_requested(), flush=True)
    """
)


def run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    )


def test_a_stop_inside_a_finalizer_prints_no_traceback_and_stays_asked_for() -> None:
    done = run("quiet")
    assert "stop asked for: True" in done.stdout
    assert "Traceback" not in done.stderr and "Stopping" not in done.stderr, done.stderr


def test_without_the_hook_python_prints_the_traceback() -> None:
    # What the hook is for: the same program without it writes to the log.
    done = run("plain")
    assert "stop asked for: True" in done.stdout
    assert "Exception ignored in" in done.stderr and "Stopping" in done.stderr


def test_other_unraisable_errors_are_still_reported() -> None:
    program = textwrap.dedent(
        """
        from cadence.daemon import interrupts
        interrupts.install_unraisable_hook()

        class Broken:
            def __del__(self):
                raise ValueError("a finalizer's own bug")

        Broken()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert "ValueError: a finalizer's own bug" in done.stderr
