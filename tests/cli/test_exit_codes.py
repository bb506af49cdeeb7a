"""Exit codes follow the README for every command, and a closed pipe ends quietly.

A file feed holds Alice's weekly 1:1 with next week's instance cancelled, so
one sync makes proposal #1; mail goes into a maildir.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series

NOBODY = "nobody@example.com"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "calendar.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    path = write_config(
        tmp_path,
        {"calendar": {"ics": {"url": "calendar.ics"}}, "agenda": {"directory": "agendas"}},
    )
    added = run(path, "person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    assert added.exit_code == 0, added.output
    return path


def run(config: Path, *args: str) -> Result:
    env = {"CADENCE_CONFIG": str(config), "CADENCE_NOW": NOW.isoformat()}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize(
    "args",
    [
        ["person", "show", NOBODY],
        ["person", "show", NOBODY, "--json"],
        ["person", "set", NOBODY, "--every", "monthly"],
        ["person", "pause", NOBODY],
        ["person", "resume", NOBODY],
        ["person", "remove", NOBODY, "--yes"],
        ["agenda", "url", NOBODY],
        ["agenda", "show", NOBODY],
        ["report", "--person", NOBODY],
        ["proposals", "accept", "42"],
        ["proposals", "accept", "42", "--slot", "2"],
        ["proposals", "dismiss", "42"],
    ],
)
def test_an_unknown_person_or_proposal_is_a_usage_error(config: Path, args: list[str]) -> None:
    result = run(config, *args)
    assert result.exit_code == 2, result.output
    named = NOBODY if NOBODY in args else "42"
    assert named in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["proposals", "accept", "1"], ["proposals", "dismiss", "1"]])
def test_a_closed_proposal_is_a_usage_error(config: Path, args: list[str]) -> None:
    assert run(config, "sync").exit_code == 0
    assert run(config, "proposals", "dismiss", "1").exit_code == 0
    result = run(config, *args)
    assert result.exit_code == 2, result.output
    assert "dismissed" in result.output


def test_a_slot_number_the_proposal_lacks_is_a_usage_error(config: Path) -> None:
    assert run(config, "sync").exit_code == 0
    result = run(config, "proposals", "accept", "1", "--slot", "4")
    assert result.exit_code == 2 and "slot" in result.output


def test_a_runtime_failure_is_1(config: Path, tmp_path: Path) -> None:
    (tmp_path / "calendar.ics").unlink()
    result = run(config, "sync")
    assert result.exit_code == 1 and "no such file" in result.output


def _cadence_into_a_closed_pipe(config: Path, *args: str) -> tuple[int, str]:
    """Run cadence with stdout a pipe whose reader is gone before cadence writes."""
    env = {**os.environ, "CADENCE_CONFIG": str(config), "CADENCE_NOW": NOW.isoformat()}
    read, write = os.pipe()
    os.close(read)  # as `head` does once it has its lines
    try:
        process = subprocess.run(
            [sys.executable, "-m", "cadence.cli", *args],
            env=env,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    return process.returncode, process.stderr


@pytest.mark.parametrize(
    "args", [["person", "list"], ["person", "list", "--json"], ["report"], ["status"]]
)
def test_output_into_a_closed_pipe_ends_quietly_as_sigpipe(config: Path, args: list[str]) -> None:
    assert run(config, "sync").exit_code == 0
    code, err = _cadence_into_a_closed_pipe(config, *args)
    assert err == ""
    assert code == -signal.SIGPIPE  # what git does: the shell shows 141


def test_piped_into_head_the_first_lines_arrive_and_nothing_else_is_said(config: Path) -> None:
    for n in range(60):
        run(config, "person", "add", f"p{n}@example.com", "--name", f"Person {n}", "--every", "3w")
    assert run(config, "sync").exit_code == 0
    env = {**os.environ, "CADENCE_CONFIG": str(config), "CADENCE_NOW": NOW.isoformat()}
    command = f"{sys.executable} -m cadence.cli report --weeks 520 | head -n 2"
    done = subprocess.run(
        ["sh", "-c", command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("1:1s over the last 520 weeks")
    assert len(done.stdout.splitlines()) == 2
    assert "Error" not in done.stderr and "Traceback" not in done.stderr
