"""Load and validate the TOML configuration into typed values.

Given a file, :func:`load_config` returns a :class:`Config` or raises one
:class:`ConfigError` listing every problem with its key path, so a user fixes
them all in one go. Relative paths are resolved against the config file's
directory.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from cadence.daemon.config_schema import REQUIRED, SCHEMA
from cadence.daemon.core.errors import ConfigError, Problem
from cadence.daemon.core.model import Owner, WorkingHours
from cadence.daemon.core.urls import feed_url_problem
from cadence.daemon.core.values import parse_email
from cadence.daemon.google.settings import GoogleConfig

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


@dataclass(frozen=True)
class ScheduleConfig:
    hours: WorkingHours
    buffer: timedelta
    max_per_day: int
    min_notice: timedelta
    lookahead: timedelta


@dataclass(frozen=True)
class IcsConfig:
    url: str
    timeout: timedelta
    max_bytes: int


@dataclass(frozen=True)
class AgendaConfig:
    backend: str
    directory: Path
    base_url: str | None
    prepare_ahead: timedelta


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str | None
    password_file: Path | None
    timeout: timedelta


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: str
    username: str
    password_file: Path | None
    # No password of its own given: the SMTP password is the IMAP one too.
    shares_smtp_password: bool
    folder: str
    timeout: timedelta


@dataclass(frozen=True)
class InboxConfig:
    transport: str = "none"  # imap | maildir | none
    after: str = "mark"  # mark | move
    move_to: str = "cadence"
    imap: ImapConfig | None = None
    maildir: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.transport != "none"


@dataclass(frozen=True)
class EmailConfig:
    to: tuple[str, ...]
    sender: str
    transport: str
    smtp: SmtpConfig
    maildir: Path | None
    retry_first: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(hours=1)
    inbox: InboxConfig = InboxConfig()
    # Where replies to proposals go; None: nobody reads them (no inbox).
    reply_to: str | None = None


@dataclass(frozen=True)
class DigestConfig:
    enabled: bool
    day: int
    time: time


@dataclass(frozen=True)
class WebConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8470
    # The address people reach the web app at; None: no links can be made.
    base_url: str | None = None

    @property
    def links(self) -> bool:
        """Whether emails and agendas link to the web app: it is on and has an address."""
        return self.enabled and self.base_url is not None

    @property
    def listen(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Config:
    path: Path
    owner: Owner
    schedule: ScheduleConfig
    state_path: Path
    calendar_backend: str
    ics: IcsConfig | None
    google: GoogleConfig
    agenda: AgendaConfig
    email: EmailConfig
    interval: timedelta
    digest: DigestConfig
    web: WebConfig = WebConfig()

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def default_config_path(env: dict[str, str] | None = None) -> Path:
    """Return $CADENCE_CONFIG, else $XDG_CONFIG_HOME/cadence/config.toml."""
    env = dict(os.environ) if env is None else env
    if env.get("CADENCE_CONFIG"):
        return Path(env["CADENCE_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cadence" / "config.toml"


def _xdg(env: dict[str, str], var: str, fallback: str, *parts: str) -> Path:
    base = env.get(var) or str(Path.home() / fallback)
    return Path(base).joinpath(*parts)


def _state_dir(env: dict[str, str], var: str, fallback: str, name: str) -> Path:
    """Return where ``name`` lives by default: under systemd's $STATE_DIRECTORY when
    the service manager set one (``StateDirectory=``), else under the XDG directory."""
    service_dir = env.get("STATE_DIRECTORY", "").split(":")[0]
    if service_dir:
        return Path(service_dir) / name
    return _xdg(env, var, fallback, "cadence", name)


def _validate(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Given the parsed TOML, return every option's value by dotted key, and the problems."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    known_sections = {s.path for s in SCHEMA}

    def walk(table: dict[str, Any], prefix: str) -> None:
        sec = next((s for s in SCHEMA if s.path == prefix), None)
        keys = {o.key for o in sec.options} if sec else set()
        for key, value in table.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and path in known_sections:
                walk(value, path)
            elif key not in keys:
                kind = "section" if isinstance(value, dict) else "key"
                problems.append(Problem(path, f"unknown {kind} (check the spelling)"))

    walk(data, "")
    for sec in SCHEMA:
        table: Any = data
        for part in sec.path.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else {}
        for opt in sec.options:
            path = f"{sec.path}.{opt.key}"
            if isinstance(table, dict) and opt.key in table and opt.is_example(table[opt.key]):
                problems.append(Problem(path, str(opt.placeholder)))
            elif isinstance(table, dict) and opt.key in table:
                try:
                    values[path] = opt.parse(table[opt.key])
                except ValueError as exc:
                    problems.append(Problem(path, str(exc)))
            elif opt.default is REQUIRED:
                problems.append(Problem(path, "missing; this key is required"))
            else:
                values[path] = opt.default
    return values, problems


def load_config(path: Path, env: dict[str, str] | None = None) -> Config:
    """Given a config file path, return the validated Config; raise ConfigError."""
    env = dict(os.environ) if env is None else env
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), "no such file; run `cadence init` to write a starter config")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(str(path), f"not valid TOML: {exc}")]) from None
    return build_config(data, path, env)


def build_config(data: dict[str, Any], path: Path, env: dict[str, str]) -> Config:
    """Given parsed TOML, return the Config; raise ConfigError listing every problem."""
    v, problems = _validate(data)
    base = path.parent

    def resolve(value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    start, end = v.get("schedule.day_start"), v.get("schedule.day_end")
    if start is not None and end is not None and start >= end:
        problems.append(Problem("schedule.day_end", "must be later than schedule.day_start"))
    backend = v.get("calendar.backend")
    refused = {p.where for p in problems}
    if backend == "ics" and not v.get("calendar.ics.url") and "calendar.ics.url" not in refused:
        problems.append(Problem("calendar.ics.url", "missing; the ics backend needs a feed"))
    if v.get("calendar.ics.url"):
        # Said in words that never quote the address: it may be a secret one.
        problem = feed_url_problem(v["calendar.ics.url"])
        if problem:
            problems.append(Problem("calendar.ics.url", problem))
    if backend == "google" and not (
        v.get("calendar.google.token") or v.get("calendar.google.service_account")
    ):
        problems.append(
            Problem("calendar.google.token", "missing; set token (or service_account + subject)")
        )
    transport = v.get("email.transport")
    if transport == "maildir" and not v.get("email.maildir.path"):
        problems.append(Problem("email.maildir.path", "missing; the maildir transport needs it"))
    inbox = v.get("email.inbox.transport")
    if inbox == "maildir" and not v.get("email.inbox.maildir.path"):
        problems.append(Problem("email.inbox.maildir.path", "missing; the maildir inbox needs it"))
    if inbox == "imap" and not v.get("email.inbox.imap.host"):
        problems.append(Problem("email.inbox.imap.host", "missing; the imap inbox needs it"))
    if inbox == "imap" and not (v.get("email.inbox.imap.username") or v.get("email.smtp.username")):
        problems.append(
            Problem(
                "email.inbox.imap.username",
                "missing; set it (or email.smtp.username, which it defaults to)",
            )
        )
    interval = v.get("daemon.interval")
    if interval is not None and interval < timedelta(seconds=1):
        problems.append(Problem("daemon.interval", "must be at least 1s"))
    if v.get("email.retry_first") == timedelta(0):
        problems.append(Problem("email.retry_first", "must be at least 1s"))
    first, longest = v.get("email.retry_first"), v.get("email.retry_max")
    if first is not None and longest is not None and first > longest:
        problems.append(Problem("email.retry_max", "must not be shorter than email.retry_first"))
    if problems:
        raise ConfigError(problems, source=str(path))

    owner = Owner(v["owner.name"], v["owner.email"], v["owner.timezone"])
    state = resolve(v["state.path"]) or _state_dir(
        env, "XDG_STATE_HOME", ".local/state", "cadence.db"
    )
    agenda_dir = resolve(v["agenda.directory"]) or _state_dir(
        env, "XDG_DATA_HOME", ".local/share", "agendas"
    )
    security = v["email.smtp.security"]
    ics = None
    if v["calendar.ics.url"]:
        url = v["calendar.ics.url"]
        if "://" not in url:  # a file path: make it independent of the working directory
            url = str(resolve(url))
        ics = IcsConfig(url, v["calendar.ics.timeout"], v["calendar.ics.max_size"] * 1_000_000)
    return Config(
        path=path,
        owner=owner,
        schedule=ScheduleConfig(
            hours=WorkingHours(
                v["schedule.workdays"], v["schedule.day_start"], v["schedule.day_end"]
            ),
            buffer=v["schedule.buffer"],
            max_per_day=v["schedule.max_per_day"],
            min_notice=v["schedule.min_notice"],
            lookahead=v["schedule.lookahead"],
        ),
        state_path=state,
        calendar_backend=str(backend),
        ics=ics,
        google=GoogleConfig(
            v["calendar.google.calendar_id"],
            resolve(v["calendar.google.client_secrets"]),
            resolve(v["calendar.google.token"]),
            resolve(v["calendar.google.service_account"]),
            v["calendar.google.subject"],
        ),
        agenda=AgendaConfig(
            v["agenda.backend"], agenda_dir, v["agenda.base_url"], v["agenda.prepare_ahead"]
        ),
        email=EmailConfig(
            to=v["email.to"] or (owner.email,),
            sender=v["email.from"] or owner.email,
            transport=str(transport),
            smtp=SmtpConfig(
                host=v["email.smtp.host"],
                port=v["email.smtp.port"] or DEFAULT_PORTS[security],
                security=security,
                username=v["email.smtp.username"],
                password_file=resolve(v["email.smtp.password_file"]),
                timeout=v["email.smtp.timeout"],
            ),
            maildir=resolve(v["email.maildir.path"]),
            retry_first=v["email.retry_first"],
            retry_max=v["email.retry_max"],
            inbox=_inbox(v, resolve),
            reply_to=_reply_to(v, owner),
        ),
        interval=v["daemon.interval"],
        digest=DigestConfig(v["digest.enabled"], v["digest.day"], v["digest.time"]),
        web=WebConfig(
            enabled=v["web.enabled"],
            host=v["web.listen"][0],
            port=v["web.listen"][1],
            base_url=v["web.base_url"],
        ),
    )


def _inbox(v: dict[str, Any], resolve: Callable[[str | None], Path | None]) -> InboxConfig:
    """Given the validated values, return the [email.inbox] settings."""
    transport = str(v["email.inbox.transport"])
    imap = None
    if transport == "imap":
        own = v["email.inbox.imap.username"]
        username = own or v["email.smtp.username"]
        password_file = resolve(v["email.inbox.imap.password_file"])
        security = v["email.inbox.imap.security"]
        imap = ImapConfig(
            host=v["email.inbox.imap.host"],
            port=v["email.inbox.imap.port"] or IMAP_PORTS[security],
            security=security,
            username=str(username),
            password_file=password_file,
            shares_smtp_password=password_file is None,
            folder=v["email.inbox.imap.folder"],
            timeout=v["email.inbox.imap.timeout"],
        )
    return InboxConfig(
        transport=transport,
        after=str(v["email.inbox.after"]),
        move_to=str(v["email.inbox.move_to"]),
        imap=imap,
        maildir=resolve(v["email.inbox.maildir.path"]) if transport == "maildir" else None,
    )


def _reply_to(v: dict[str, Any], owner: Owner) -> str | None:
    """Where replies to proposals go: only an inbox cadence reads makes them worth
    asking for. Default: the IMAP login when it is an address, else the sender."""
    if v["email.inbox.transport"] == "none":
        return None
    if v["email.reply_to"]:
        return str(v["email.reply_to"])
    login = v["email.inbox.imap.username"] or v["email.smtp.username"]
    if v["email.inbox.transport"] == "imap" and login and "@" in login:
        try:
            return parse_email(str(login))
        except ValueError:
            pass
    return str(v["email.from"] or owner.email)
