"""What the commands print: one date style (``Tue 01 Dec``), the cancelled meeting's
own date in the plan, periods shown with their last day."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.file_world import FileWorld
from tests.support.people import ALICE, NEXT_WEEK, alice_series

# Dates as cadence prints them, and the styles it must not mix in.
_DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
ONE_STYLE = re.compile(rf"\b{_DAY} \d\d {_MONTH}\b")
OTHER_STYLES = re.compile(rf"\b20\d\d-\d\d-\d\d\b|\b{_DAY} \d {_MONTH}\b")


@pytest.fixture
def world(tmp_path: Path) -> FileWorld:
    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    return world


def test_the_plan_line_shows_the_cancelled_meetings_own_date(world: FileWorld) -> None:
    plan = world.run("sync", "--dry-run").output
    (line,) = [line for line in plan.splitlines() if line.strip().startswith("propose")]
    assert "cancelled Tue 01 Dec 10:00: " in line  # not the period's start, Mon 30 Nov
    assert "2026-11-30" not in plan
    assert not OTHER_STYLES.search(plan)
    assert len(ONE_STYLE.findall(line)) == 4  # the meeting and three new times


def test_proposals_show_their_period_with_its_last_day(world: FileWorld) -> None:
    world.run("sync")
    listed = world.run("proposals", "list").output
    assert "period 30 Nov–06 Dec" in listed and "07 Dec" not in listed
    assert "cancelled, was Tue 01 Dec 10:00" in listed
    assert not OTHER_STYLES.search(listed)


def test_status_speaks_the_same_dates(world: FileWorld) -> None:
    world.run("sync")
    shown = world.run("status").output
    assert "Last cycle:  Mon 23 Nov 09:00 (ok); next due Mon 23 Nov 09:15" in shown
    assert not OTHER_STYLES.search(shown)
