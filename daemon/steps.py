"""The steps of a cycle, each one fenced: a bug in one step is that step failing.

A known error (a :class:`CadenceError`) is handled where it arises and says
what to do. Anything else is a bug or an input nobody foresaw (a feed that
makes a library raise TypeError): it must not take the rest of the cycle with
it, nor leave the cycle unrecorded. :func:`step` turns it into the step's
failure: one line in the log (the traceback at debug level, shown with
``--verbose``), an entry in the cycle's errors naming the step, and the cycle
goes on with its next step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from cadence.daemon.core.errors import CadenceError

log = logging.getLogger(__name__)

# Longest text of an unexpected error kept in the cycle's record.
_LONGEST = 200


def unexpected(error: BaseException, *, detail: bool = True) -> str:
    """Return the words for an unexpected error: its type, and (with ``detail``) its
    text, shortened. Without ``detail`` for what reads a feed, whose text may
    quote a secret address."""
    name = type(error).__name__
    text = " ".join(str(error).split())
    if not detail or not text:
        return f"unexpected error ({name})"
    if len(text) > _LONGEST:
        text = text[: _LONGEST - 1] + "…"
    return f"unexpected error ({name}: {text})"


@contextmanager
def step(errors: list[dict[str, str]], name: str, source: str | None = None) -> Iterator[None]:
    """Run the block as the cycle step ``name``; an unexpected exception in it is
    logged and added to ``errors`` (as ``source``, else the step's name), and
    does not propagate. Known errors and stop requests do propagate."""
    try:
        yield
    except CadenceError:
        raise
    except Exception as exc:
        message = unexpected(exc)
        log.error("%s failed: %s", name, message)
        log.debug("the failure in %s", name, exc_info=True)
        errors.append({"source": source or name, "step": name, "message": message})
