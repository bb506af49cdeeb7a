"""Log lines: the journal gets priorities and no timestamps; nothing leaks a feed URL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cadence.daemon import logs


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def journal_env(path: Path) -> dict[str, str]:
    info = os.stat(path)
    return {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}


def test_lines_for_the_journal_carry_priorities_not_times(tmp_path: Path) -> None:
    path = tmp_path / "stderr"
    with path.open("w") as stream:
        logs.configure(logging.INFO, timestamps=True, stream=stream, env=journal_env(path))
        logging.getLogger("cadence.test").warning("feed failed")
        logging.getLogger("cadence.test").debug("not shown at INFO")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("cadence.test").exception("cycle failed")
    lines = path.read_text().splitlines()
    assert lines[0] == "<4>WARNING cadence.test: feed failed"
    assert lines[1] == "<3>ERROR cadence.test: cycle failed"
    # Every line of a traceback keeps the priority of its record.
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines[1:])


def test_a_journal_stream_of_another_file_is_not_ours(tmp_path: Path) -> None:
    other = tmp_path / "journal"
    other.write_text("")
    path = tmp_path / "stderr"
    with path.open("w") as stream:
        logs.configure(logging.INFO, timestamps=True, stream=stream, env=journal_env(other))
        logging.getLogger("cadence.test").info("hello")
    (line,) = path.read_text().splitlines()
    assert line.endswith(" INFO cadence.test: hello") and line[:4].isdigit()


def test_http_client_request_lines_are_kept_quiet_even_when_verbose(tmp_path: Path) -> None:
    path = tmp_path / "stderr"
    with path.open("w") as stream:
        logs.configure(logging.DEBUG, timestamps=False, stream=stream, env={})
        # httpx logs every request with its full URL, secret path included.
        logging.getLogger("httpx").info("HTTP Request: GET https://example.com/SECRET/basic.ics")
        logging.getLogger("cadence.test").debug("details")
    assert path.read_text() == "DEBUG cadence.test: details\n"
