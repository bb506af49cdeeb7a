"""A cycle that fails in any way still records itself, naming the source or step.

The engine runs over a file feed with Alice's cancelled instance and a maildir.
Faults come from stand-in adapters that raise what a buggy library would (the
cycle's own code runs unchanged), or from a state row nobody can read.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from cadence.daemon.calendars import CalendarRead
from cadence.daemon.config import load_config
from cadence.daemon.core.model import Cadence, Interval, Person
from cadence.daemon.engine import Engine

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series


class BrokenReader:
    """A calendar whose reading library fails with an error nobody foresaw."""

    name = "https://calendar.example.com/…/basic.ics"

    def read(self, window: Interval, state: Mapping[str, str]) -> CalendarRead:
        raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")


class BrokenAgendas:
    """An agenda backend that fails unexpectedly when it writes a section."""

    def __init__(self, real: object) -> None:
        self.real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def prepare(self, person: Person, owner: object, start: datetime) -> bool:
        raise RuntimeError("disk went away")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    (tmp_path / "calendar.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    config = write_config(
        tmp_path, {"calendar": {"ics": {"url": "calendar.ics"}}, "agenda": {"directory": "a"}}
    )
    engine = Engine(load_config(config, env={}), clock=lambda: NOW)
    engine.add_person(Person(ALICE, "Alice Example", Cadence.parse("weekly")))
    return engine


def test_an_unexpected_error_reading_a_source_is_that_source_failing(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    engine.__dict__["calendar"] = BrokenReader()
    with caplog.at_level(logging.DEBUG):
        report = engine.sync()
    (error,) = report.errors
    assert error == {
        "source": BrokenReader.name,
        "step": "read",
        "message": "unexpected error (TypeError)",  # its text could quote a secret address
    }
    status = engine.status()
    assert status["last_cycle"]["result"] == "errors"
    assert status["last_cycle"]["summary"]["errors"] == [error]
    (source,) = status["sources"]
    assert not source.healthy and source.last_error == "unexpected error (TypeError)"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None  # one line
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.DEBUG)
    # Never read: nothing is planned, so no one gets a proposal for a series they have.
    assert engine.proposals() == [] and report.gaps == 0


def test_an_unexpected_error_in_one_step_is_recorded_and_the_rest_goes_on(
    engine: Engine,
) -> None:
    engine.__dict__["agendas"] = BrokenAgendas(engine.agendas)
    report = engine.sync()
    (error,) = report.errors
    assert error["step"] == f"prepare-agenda for {ALICE}"
    assert error["message"] == "unexpected error (RuntimeError: disk went away)"
    # The steps after it ran: the proposal was made and its email sent.
    assert report.proposals_created == 1 and report.emails_sent == 1
    assert engine.status()["last_cycle"]["result"] == "errors"


def test_a_cycle_that_cannot_go_on_is_recorded_as_failed(engine: Engine) -> None:
    with closing(sqlite3.connect(engine.config.state_path)) as conn, conn:
        conn.execute("UPDATE people SET every = 'daily'")  # written by nobody's cadence
    with pytest.raises(ValueError, match="daily"):
        engine.sync()
    last = engine.store.last_cycle()
    assert last is not None
    assert last["result"] == "failed"
    (error,) = last["summary"]["errors"]
    assert error["step"] == "cycle" and "unknown cadence 'daily'" in error["message"]
