"""Stopping the daemon between steps, and the steps that must not be cut short.

On SIGTERM the service calls :func:`request_stop`, which raises :class:`Stopping`
in the main thread right away: every step of a cycle either commits in one
SQLite transaction (which an exception rolls back) or is a read whose result
has not been used yet, so cutting it short loses nothing. The one exception is
handing an email to the mail server: cut off mid-conversation, nobody could
tell whether it went out. Such a step runs :func:`shielded`: a stop asked for
meanwhile is raised when the block ends, after its outcome is recorded.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Stopping(BaseException):
    """Raised to end the current step because a stop was asked for.

    A BaseException, like KeyboardInterrupt, so that ``except Exception``
    clauses in libraries do not swallow it.
    """


class _State:
    depth = 0
    pending = False


_state = _State()


def request_stop() -> None:
    """Ask the main thread to stop: raise Stopping now, or when the shielded step ends.

    Called from a signal handler, which runs in the main thread between two
    bytecodes of whatever it was doing.
    """
    _state.pending = True
    if _state.depth == 0:
        raise Stopping


def stop_requested() -> bool:
    return _state.pending


def install_unraisable_hook() -> None:
    """Keep a stop that arrives inside a finalizer out of the log.

    A signal handler may run while Python runs a ``__del__`` or a weakref callback
    (an HTTP client collected mid-cycle), where Stopping cannot propagate: Python
    would print "Exception ignored ... Traceback" to stderr. The stop stays asked
    for (``stop_requested``), and the service's loop honours it between steps.
    Every other unraisable error is printed by Python's own hook, as before.
    """
    sys.unraisablehook = _quiet_stops


def _quiet_stops(unraisable: sys.UnraisableHookArgs) -> None:
    if not isinstance(unraisable.exc_value, Stopping):
        sys.__unraisablehook__(unraisable)


def reset() -> None:
    """Forget a previous stop request (a new service run in the same process)."""
    _state.depth = 0
    _state.pending = False


@contextmanager
def shielded() -> Iterator[None]:
    """Run the block to its end even if a stop is asked for; then honour the stop.

    Only the main thread is ever interrupted (signal handlers run there), so in
    any other thread (the web app's) the block simply runs: a stop must neither
    wait for it nor be raised there.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
    if _state.depth == 0 and _state.pending:
        raise Stopping


def pause(seconds: float) -> None:
    """Sleep for ``seconds`` (for retries inside a step).

    Waits on an Event rather than time.sleep: the wait is measured on the
    monotonic clock, so a wall-clock jump can neither stretch nor skip it.
    """
    threading.Event().wait(max(seconds, 0.0))
