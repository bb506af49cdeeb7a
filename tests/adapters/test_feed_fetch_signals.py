"""A signal's exception raised while a feed is being fetched reaches the caller as
raised.

The daemon stops by raising from its SIGTERM handler. A feed is fetched by httpx
on anyio, which connects inside a task group; an exception that is no Exception
(a stop, Ctrl-C) raised there came back wrapped in a BaseExceptionGroup, slipped
past the daemon's handler for its stop, and ended the process with exit 1 and a
traceback. Seen once in the fault tests; reproduced here with a real signal in a
real anyio task group.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import anyio
import pytest
from cadence.daemon.calendars import feed_fetch


class Stop(BaseException):
    """What a signal handler raises to stop its program."""


@pytest.fixture
def stop_on_sigusr1() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise Stop

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGUSR1, previous)


async def signalled_inside_a_task_group() -> feed_fetch._Fetched:
    async def child() -> None:
        os.kill(os.getpid(), signal.SIGUSR1)
        await anyio.sleep(5)  # the handler runs before this wait ends

    async with anyio.create_task_group() as group:
        group.start_soon(child)
    raise AssertionError("the signal did not arrive")


@pytest.mark.usefixtures("stop_on_sigusr1")
def test_a_signal_inside_a_task_group_arrives_unwrapped() -> None:
    with pytest.raises(Stop):
        feed_fetch._run(signalled_inside_a_task_group())


async def failing_in_two_tasks() -> feed_fetch._Fetched:
    async def fails(message: str) -> None:
        raise OSError(message)

    async with anyio.create_task_group() as group:
        group.start_soon(fails, "one")
        group.start_soon(fails, "two")
    raise AssertionError("unreachable")


def test_ordinary_errors_in_a_group_stay_as_they_were() -> None:
    with pytest.raises(ExceptionGroup) as raised:
        feed_fetch._run(failing_in_two_tasks())
    assert sorted(str(e) for e in raised.value.exceptions) == ["one", "two"]
