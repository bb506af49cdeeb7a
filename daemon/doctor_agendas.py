"""Doctor's checks of the agendas: that their files can be created, whether their
link can go to other people, and that the web app answers and can make links."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import httpx
from cadence.daemon.agendas.markdown import MarkdownAgendas
from cadence.daemon.agendas.none import NoAgendas
from cadence.daemon.core.errors import ConfigError
from cadence.daemon.doctor_outcomes import (
    Outcome,
    config_file,
    failed,
    passed,
    warned,
    writable_fix,
)
from cadence.daemon.engine import Engine
from cadence.daemon.sharing import is_web_address


def check_agendas(engine: Engine) -> Outcome:
    """Prove agenda files can be created where the backend keeps them."""
    try:
        agendas = engine.agendas
    except ConfigError as exc:
        return failed(str(exc), f"edit agenda.backend in {config_file(engine)}")
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
            writable_fix(directory, "agenda.directory", engine),
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
        f"and set agenda.base_url in {config_file(engine)} to its address",
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
            f"`cadence web`; if the address is taken, change web.listen in {config_file(engine)}",
        )
    if web.base_url is None:
        return failed(
            f"answers on {web.listen}, but web.base_url is not set: emails cannot link to it",
            f"set web.base_url in {config_file(engine)} to the address people reach it at "
            "(your reverse proxy's https address)",
        )
    plain = (
        " (not https: put it behind a reverse proxy with TLS)"
        if web.base_url.startswith("http://")
        else ""
    )
    return passed(f"answers on {web.listen}; links use {web.base_url}{plain}")
