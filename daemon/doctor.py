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

Adding a check means writing a function ``Engine -> Outcome`` and naming it in
:func:`planned_checks`.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
from cadence.daemon.agendas.markdown import MarkdownAgendas
from cadence.daemon.agendas.none import NoAgendas
from cadence.daemon.calendars import Calendar
from cadence.daemon.core.errors import (
    CadenceError,
    ConfigError,
    MailError,
    SourceError,
    StoreError,
)
from cadence.daemon.core.model import Person
from cadence.daemon.engine import Engine
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.mail_words import EXAMPLE_HOST, mail_problem
from cadence.daemon.sharing import is_web_address
from cadence.daemon.wiring import window_for

__all__ = ["Check", "Outcome", "config_failures", "planned_checks", "run_checks"]

log = logging.getLogger(__name__)

# The meta key the state probe writes and deletes again in one transaction.
_PROBE_KEY = "doctor-probe"
_SECURITY = {"starttls": "STARTTLS", "ssl": "TLS", "none": "no TLS"}


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


@dataclass(frozen=True)
class Outcome:
    """A check's verdict before the runner gives it the check's name."""

    ok: bool
    detail: str
    fix: str | None = None
    warning: bool = False


def passed(detail: str) -> Outcome:
    return Outcome(True, detail)


def warned(detail: str, fix: str) -> Outcome:
    return Outcome(True, detail, fix, warning=True)


def failed(detail: str, fix: str) -> Outcome:
    return Outcome(False, detail, fix)


Probe = Callable[[Engine], Outcome]


def run_checks(engine: Engine) -> Iterator[Check]:
    """Given an engine over a loaded config, yield each check's result in turn.

    An unexpected error in one check becomes that check's failure (its traceback
    goes to the debug log) so that the others still run.
    """
    yield Check("config", True, _config_file(engine))
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


def _config_file(engine: Engine) -> str:
    # Absolute: doctor is run from anywhere, and its advice names files to edit.
    return str(engine.config.path.absolute())


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
    return _writable_fix(path.parent, "state.path", engine, f" (and {path.name} in it)")


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
    where = f"calendar.ics.url in {_config_file(engine)}"
    if engine.config.calendar_backend == "google":
        where = (
            f"[calendar.google] in {_config_file(engine)}, and run `cadence auth google` "
            "if Google refused the authorization"
        )
    try:
        calendar = engine.calendar
    except ConfigError as exc:
        return failed(str(exc), _backend_fix(engine))
    return _read_feed(engine, calendar, where)


def _backend_fix(engine: Engine) -> str:
    return f"edit calendar.backend and its section in {_config_file(engine)}"


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


# -- mail ---------------------------------------------------------------------


def check_mail(engine: Engine) -> Outcome:
    """Connect to the mail transport as a delivery would, without sending anything."""
    email = engine.config.email
    if email.transport == "smtp" and email.smtp.host == EXAMPLE_HOST:
        return failed(
            f"{EXAMPLE_HOST} in email.smtp.host: this is the example address",
            f"put your mail server into email.smtp.host in {_config_file(engine)} "
            '(or send into a Maildir: email.transport = "maildir")',
        )
    try:
        transport = engine.transport
        transport.check()
    except CadenceError as exc:
        if email.transport == "maildir":
            return failed(str(exc), _writable_fix(email.maildir, "email.maildir.path", engine))
        if isinstance(exc, MailError):
            said = mail_problem(exc, transport.name, email.smtp)
            return failed(said, _smtp_fix(said, engine))
        return failed(str(exc), _smtp_fix(str(exc), engine))
    if isinstance(transport, MaildirTransport):
        return passed(f"{transport.path.absolute()} (writable)")
    smtp = email.smtp
    security = _SECURITY.get(smtp.security, smtp.security)
    login = f"logged in as {smtp.username}" if smtp.username else "no login"
    return passed(f"{smtp.host}:{smtp.port} ({security}, {login})")


def _smtp_fix(message: str, engine: Engine) -> str:
    config = _config_file(engine)
    if "password_file" in message:  # the password file is missing or readable by others
        return f"fix email.smtp.password_file in {config}, or set $CADENCE_SMTP_PASSWORD"
    # The transport's words for a refused login, or a server with no AUTH at all.
    if "login as " in message or "cannot log in" in message:
        return (
            f"check email.smtp.username in {config} and the password "
            "(email.smtp.password_file, $CADENCE_SMTP_PASSWORD or the smtp-password credential)"
        )
    later = "try again later; if it persists, " if "will retry" in message else ""
    return (
        f"{later}check email.smtp.host, port and security in {config}, and that the mail "
        "server is up"
    )


def check_inbox(engine: Engine) -> Outcome:
    """Connect to the inbox, log in and open its folder; read and mark nothing."""
    try:
        inbox = engine.inbox
        detail = inbox.check()
    except ConfigError as exc:  # the password file is missing or readable by others
        return failed(str(exc), _inbox_fix(str(exc), engine))
    except SourceError as exc:
        return failed(str(exc), _inbox_fix(exc.reason, engine))
    imap = engine.config.email.inbox.imap
    if imap is not None:
        security = _SECURITY.get(imap.security, imap.security)
        return passed(f"{inbox.name} ({security}, logged in as {imap.username}): {detail}")
    return passed(detail)


def _inbox_fix(message: str, engine: Engine) -> str:
    config = _config_file(engine)
    if engine.config.email.inbox.transport == "maildir":
        return f"check email.inbox.maildir.path in {config}: it must be a Maildir cadence can write"
    if "password_file" in message:
        return f"fix the password file named in {config}, or set $CADENCE_IMAP_PASSWORD"
    if "login as " in message or "refuses logins" in message:
        return (
            f"check email.inbox.imap.username in {config} and the password "
            "(email.inbox.imap.password_file, $CADENCE_IMAP_PASSWORD or the imap-password "
            "credential; without one, the SMTP password is used)"
        )
    if "folder" in message:
        return f"check email.inbox.imap.folder in {config}: that folder must exist"
    return (
        f"check email.inbox.imap.host, port and security in {config}, "
        "and that the mail server is up"
    )


def check_outbox(engine: Engine) -> Outcome:
    """Say which emails need the owner's word: unconfirmed ones (they may or may
    not have arrived) and failed ones (refused, or tried too often)."""
    try:
        found = engine.outbox()
    except (CadenceError, sqlite3.Error) as exc:
        return failed(f"cannot read the outbox: {exc}", "see the state check above")
    unsure = [e for e in found if e.status == "unconfirmed"]
    refused = [e for e in found if e.status == "failed"]
    waiting = len(found) - len(unsure) - len(refused)
    if not unsure and not refused:
        return passed(f"{waiting} email{'' if waiting == 1 else 's'} waiting; none unconfirmed")
    details, fixes = [], []
    if unsure:
        details.append(
            f"{len(unsure)} may or may not have arrived: " + "; ".join(e.describe() for e in unsure)
        )
        fixes.append(
            "check with the recipients; "
            + ", ".join(f"`{e.resend_command}`" for e in unsure)
            + " sends it again; "
            + ", ".join(f"`{e.confirm_command}`" for e in unsure)
            + " records it arrived"
        )
    if refused:
        details.append(
            f"{len(refused)} not delivered: "
            + "; ".join(f"{e.describe()} ({e.last_error})" for e in refused)
        )
        fixes.append("fix the cause, then " + ", ".join(f"`{e.resend_command}`" for e in refused))
    return failed("; ".join(details), "; ".join(fixes))


# -- agendas ------------------------------------------------------------------


def check_agendas(engine: Engine) -> Outcome:
    """Prove agenda files can be created where the backend keeps them."""
    try:
        agendas = engine.agendas
    except ConfigError as exc:
        return failed(str(exc), f"edit agenda.backend in {_config_file(engine)}")
    if isinstance(agendas, NoAgendas):
        return passed("agendas turned off (agenda.backend = none)")
    if not isinstance(agendas, MarkdownAgendas):
        return passed(f"{engine.config.agenda.backend} (nothing to check here)")
    directory = agendas.directory.absolute()
    try:
        detail = _probe_directory(directory)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.filename and exc.filename != str(directory):  # an ancestor is the trouble
            reason += f": {exc.filename}"
        return failed(
            f"{directory}: cannot create files there ({reason})",
            _writable_fix(directory, "agenda.directory", engine),
        )
    return passed(detail)


def check_agenda_link(engine: Engine) -> Outcome:
    """Say whether the agenda link can go to other people (DESIGN rule 13): only a web
    address can; a file:// link points at the owner's disk."""
    agenda = engine.config.agenda
    if agenda.backend == "none":
        return passed("agendas turned off: invitations carry no agenda link")
    if agenda.backend == "google-docs":
        return passed("Google Docs, shared with each person: invitations link them")
    if agenda.base_url and is_web_address(agenda.base_url):
        return passed(f"invitations link the agendas under {agenda.base_url}")
    return warned(
        "the agendas have no web address: invitations and emails to other people carry no "
        "agenda link (a file:// link would point at your disk and open nothing for them)",
        "publish the agenda directory (a wiki, a web server, a shared folder's https link) "
        f"and set agenda.base_url in {_config_file(engine)} to its address",
    )


def _probe_directory(directory: Path) -> str:
    """Given a directory, prove a file can be created and removed in it; when it does
    not exist yet, prove so for its nearest existing ancestor instead (cadence creates
    the rest on first use, and doctor leaves no directory behind). Return what was
    proved; raise OSError."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
    descriptor, name = tempfile.mkstemp(dir=existing, prefix=".cadence-doctor-")
    os.close(descriptor)
    Path(name).unlink()
    if existing == directory:
        return f"{directory} (writable)"
    return f"{directory} (not there yet; can be created in {existing})"


def _writable_fix(path: Path | None, key: str, engine: Engine, also: str = "") -> str:
    return (
        f"make {path} a directory the user cadence runs as can write to{also}, "
        f"or change {key} in {_config_file(engine)}"
    )


# -- the web app ----------------------------------------------------------------


def check_web(engine: Engine) -> Outcome:
    """Ask the web app on its listening address whether it answers, and check that
    links can be made (``web.base_url``)."""
    web = engine.config.web
    host = f"[{web.host}]" if ":" in web.host else web.host
    if web.host in ("0.0.0.0", "::"):  # noqa: S104 - only read, to reach it on loopback
        host = "127.0.0.1" if web.host == "0.0.0.0" else "[::1]"  # noqa: S104
    try:
        answer = httpx.get(f"http://{host}:{web.port}/healthz", timeout=5)
        answered = answer.status_code == 200 and answer.text.startswith("cadence web")
    except httpx.HTTPError:
        answered = False
    if not answered:
        return failed(
            f"nothing (or something else) answers on {web.listen}",
            "start `cadence daemon` (it serves the web app with [web] enabled = true) or "
            f"`cadence web`; if the address is taken, change web.listen in {_config_file(engine)}",
        )
    if web.base_url is None:
        return failed(
            f"answers on {web.listen}, but web.base_url is not set: emails cannot link to it",
            f"set web.base_url in {_config_file(engine)} to the address people reach it at "
            "(your reverse proxy's https address)",
        )
    plain = (
        " (not https: put it behind a reverse proxy with TLS)"
        if web.base_url.startswith("http://")
        else ""
    )
    return passed(f"answers on {web.listen}; links use {web.base_url}{plain}")
