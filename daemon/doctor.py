"""``cadence doctor``: check that everything a cycle needs is there and answers.

Given an :class:`~cadence.daemon.engine.Engine`, :func:`run_checks` yields one
:class:`Check` per thing it verified (the state database, the calendar feed,
each person's busy feed, the mail transport, the agenda directory), each as soon
as it is known, so slow network checks show progress. A check that fails says
what is wrong and what to do; none of them raises for a known error.

Doctor changes nothing a user can see: it runs no cycle, sends no mail, writes
no agenda section and leaves the sources' health records alone. Its probes
(a row written and deleted in the state database, a temporary file in the
agenda directory) leave no trace.

The checks live by family: the state database and the calendars here, mail
(the transport, the inbox, the outbox) in doctor_mail, the agendas and the web
app in doctor_agendas. Adding a check means writing a function
``Engine -> Outcome`` (doctor_outcomes) and naming it in :func:`planned_checks`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from cadence.daemon.calendars import Calendar
from cadence.daemon.core.errors import CadenceError, ConfigError, SourceError, StoreError
from cadence.daemon.core.model import Person
from cadence.daemon.doctor_agendas import check_agenda_link, check_agendas, check_web
from cadence.daemon.doctor_mail import check_inbox, check_mail, check_outbox
from cadence.daemon.doctor_outcomes import Outcome, config_file, failed, passed, writable_fix
from cadence.daemon.engine import Engine
from cadence.daemon.wiring import window_for

__all__ = ["Check", "Outcome", "config_failures", "planned_checks", "run_checks"]

log = logging.getLogger(__name__)

# The meta key the state probe writes and deletes again in one transaction.
_PROBE_KEY = "doctor-probe"


@dataclass(frozen=True)
class Check:
    """What one check found: ``detail`` says what was verified (or what is wrong),
    ``fix`` what to do about a failure (None when it passed)."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    # Passed, but something works less well than it could: said with its fix.
    warning: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "fix": self.fix,
            "warning": self.warning,
        }


Probe = Callable[[Engine], Outcome]


def run_checks(engine: Engine) -> Iterator[Check]:
    """Given an engine over a loaded config, yield each check's result in turn.

    An unexpected error in one check becomes that check's failure (its traceback
    goes to the debug log) so that the others still run.
    """
    yield Check("config", True, config_file(engine))
    for name, probe in planned_checks(engine):
        try:
            outcome = probe(engine)
        except Exception as exc:
            log.debug("doctor: check %s failed unexpectedly", name, exc_info=True)
            # Only the type: an unknown exception's text may quote a secret address.
            outcome = failed(
                f"unexpected error ({type(exc).__name__})",
                "rerun with --verbose for details, and report it",
            )
        yield Check(name, outcome.ok, outcome.detail, outcome.fix, outcome.warning)


def planned_checks(engine: Engine) -> Iterator[tuple[str, Probe]]:
    """Yield the checks to run, in order, each with its name.

    Lazy on purpose: who has a busy feed is read from the state database only
    after the state check has run.
    """
    yield "state", check_state
    yield "calendar", check_calendar
    for person in _people_with_busy_feeds(engine):
        yield f"busy feed {person.email}", partial(check_busy_feed, person=person)
    yield engine.config.email.transport, check_mail
    if engine.config.email.inbox.enabled:
        yield "inbox", check_inbox
    yield "outbox", check_outbox
    yield "agendas", check_agendas
    if engine.config.web.enabled:
        yield "web", check_web
    yield "agenda link", check_agenda_link


def config_failures(error: ConfigError, path: Path) -> list[Check]:
    """Given the error that stopped the config at ``path`` from loading, return one
    failed ``config`` check per problem, each naming its key and what to do."""
    return [
        Check("config", False, str(problem), _config_fix(problem.where, path))
        for problem in error.problems
    ]


def _config_fix(where: str, path: Path) -> str:
    shown = path.absolute()
    if where == str(path):  # the file itself: missing, unreadable, not TOML
        return (
            f"create or fix {shown}: `cadence init` writes a starter config; "
            "--config or $CADENCE_CONFIG choose another file"
        )
    if where.isupper():  # an environment variable, such as CADENCE_NOW
        return f"correct or unset ${where}"
    return f"fix {where} in {shown}"


# -- the state database -------------------------------------------------------


def check_state(engine: Engine) -> Outcome:
    """Open (creating or migrating) the state database and prove it takes writes."""
    path = engine.config.state_path.absolute()
    try:
        store = engine.store
        # A row written and deleted in one committed transaction: SQLite only
        # finds out a file is read-only when it has pages to write.
        with store.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_PROBE_KEY, "1"))
            conn.execute("DELETE FROM meta WHERE key = ?", (_PROBE_KEY,))
    except StoreError as exc:
        return failed(str(exc), _state_fix(str(exc), engine))
    except sqlite3.Error as exc:
        return failed(f"{path}: cannot write: {exc}", _state_fix(str(exc), engine))
    return passed(f"{path} (writable)")


def _state_fix(message: str, engine: Engine) -> str:
    # StoreError says in words what kind of trouble it is; two of them are not
    # about permissions and have their own remedy.
    if "database is busy" in message:
        return "another cadence process holds the state database; run `cadence doctor` again soon"
    if "newer cadence" in message:
        return "upgrade cadence, or point state.path at a database of this version"
    path = engine.config.state_path.absolute()
    return writable_fix(path.parent, "state.path", engine, f" (and {path.name} in it)")


def _people_with_busy_feeds(engine: Engine) -> list[Person]:
    try:
        return [p for p in engine.people() if p.busy_feed]
    except (CadenceError, sqlite3.Error):
        # The state check has already failed and said why; without the people
        # there are no busy feeds to check.
        return []


# -- calendars ----------------------------------------------------------------


def check_calendar(engine: Engine) -> Outcome:
    """Fetch and parse the owner's feed over the window a cycle reads."""
    where = f"calendar.ics.url in {config_file(engine)}"
    if engine.config.calendar_backend == "google":
        where = (
            f"[calendar.google] in {config_file(engine)}, and run `cadence auth google` "
            "if Google refused the authorization"
        )
    try:
        calendar = engine.calendar
    except ConfigError as exc:
        return failed(str(exc), _backend_fix(engine))
    return _read_feed(engine, calendar, where)


def _backend_fix(engine: Engine) -> str:
    return f"edit calendar.backend and its section in {config_file(engine)}"


def check_busy_feed(engine: Engine, person: Person) -> Outcome:
    """Fetch and parse a person's free/busy feed."""
    calendar = engine.busy_feed(person)
    where = (
        f"it with `cadence person show {person.email}`; "
        f"change it with `cadence person set {person.email} --busy-feed URL`"
    )
    return _read_feed(engine, calendar, where)


def _read_feed(engine: Engine, calendar: Calendar, where: str) -> Outcome:
    """Given a feed and what to check when it fails (``where``), read it over the
    cycle's window from scratch (with no validators, since a 304 would prove
    nothing) and report how many occurrences it parsed. The result is not stored:
    the source's health record is the cycle's to keep."""
    window = window_for(engine.config, engine.clock())
    try:
        result = calendar.read(window, {})
    except SourceError as exc:
        # "will retry" marks failures that heal by themselves (a 500, a timeout).
        later = (
            "try again later; if it persists, check " if "will retry" in exc.reason else "check "
        )
        return failed(str(exc), later + where)
    count = len(result.occurrences)
    return passed(f"{calendar.name}: {count} event{'' if count == 1 else 's'}")
