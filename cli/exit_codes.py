"""The exit codes of every cadence command, written down in this one place.

0  success.
1  a runtime failure: a feed, the calendar or the mail server failed, a slot
   was taken meanwhile, anything unexpected. Trying again later may work.
2  a usage or configuration error: the command cannot work as it was given
   (a bad value, an unknown person or proposal, a proposal already closed,
   a config file with mistakes). Trying again unchanged never works.

A command whose reader goes away (``cadence report | head``) ends silently,
killed by SIGPIPE as git and the classic Unix tools are (the shell shows 141).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from cadence.daemon.core.errors import CadenceError, ConfigError, NotFoundError, UsageError

OK = 0
FAILURE = 1
USAGE = 2

# Errors that say the command was given something that cannot work.
USAGE_ERRORS: tuple[type[CadenceError], ...] = (ConfigError, UsageError, NotFoundError)


def exit_code(error: CadenceError) -> int:
    """Given a known error, return the exit code it ends a command with."""
    return USAGE if isinstance(error, USAGE_ERRORS) else FAILURE


def end_for_closed_pipe() -> NoReturn:
    """End the process as SIGPIPE would have, printing nothing.

    Python ignores SIGPIPE and raises BrokenPipeError instead, which would
    print a traceback (or "Exception ignored" at exit). The signal stays
    ignored while a command runs, so that a mail server closing its socket is
    an error cadence handles, not the end of the process.
    """
    try:
        # Nothing more reaches the closed pipe, and no flush at exit complains.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(128 + signal.SIGPIPE)  # not reached: the signal ends the process
