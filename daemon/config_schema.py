"""Every configuration option in one place: its type, default and help.

The same schema validates a config file, fills in defaults, and writes
``config.example.toml`` and the starter config of ``cadence init``, so the
documentation cannot drift from what the loader accepts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cadence.daemon.core.values import (
    parse_base_url,
    parse_clock,
    parse_duration,
    parse_email,
    parse_listen,
    parse_weekday,
    parse_zone,
)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _optional_string(value: Any) -> str | None:
    if value == "":
        return None
    return _string(value)


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return parse


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(repr(c) for c in choices)}, not {value!r}")
        return str(value)

    return parse


def _text(parser: Callable[[str], Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {value!r}")
        return parser(value)

    return parse


def _weekdays(value: Any) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise ValueError('must be a list of weekdays like ["mon", "tue", "wed", "thu", "fri"]')
    return frozenset(_text(parse_weekday)(v) for v in value)


def _emails(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("must name at least one address")
    return tuple(_text(parse_email)(v) for v in items)


@dataclass(frozen=True)
class Option:
    """One key: how to parse it, its default (or REQUIRED), and its documentation.

    ``example`` is the TOML text shown in the example config, commented out
    when ``commented`` (optional keys whose default is usually right). A
    ``placeholder`` example is one nobody can mean: the loader refuses it,
    saying ``placeholder`` (what to put there instead).
    """

    key: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    example: str
    commented: bool = False
    placeholder: str | None = None

    def is_example(self, value: Any) -> bool:
        """Return whether ``value`` is still this option's placeholder example."""
        return self.placeholder is not None and value == tomllib.loads(f"v = {self.example}")["v"]


@dataclass(frozen=True)
class Section:
    path: str
    help: str
    options: tuple[Option, ...]


duration = _text(parse_duration)
clock = _text(parse_clock)

SCHEMA: tuple[Section, ...] = (
    Section(
        "owner",
        "Who runs cadence: the lead whose calendar is watched.",
        (
            Option(
                "name",
                _string,
                REQUIRED,
                "Your name, as it appears in emails and agendas.",
                '"Your Name"',
                placeholder="still the example; put your name here",
            ),
            Option(
                "email",
                _text(parse_email),
                REQUIRED,
                "Your address: it identifies you among a meeting's attendees.",
                '"you@example.com"',
                placeholder="still the example; put your own address here",
            ),
            Option(
                "timezone",
                _text(parse_zone),
                REQUIRED,
                "IANA timezone; periods, working hours and usual times are in it.",
                '"Area/City"',
                placeholder="still the example; put your timezone here, like Europe/Berlin "
                "or America/New_York",
            ),
        ),
    ),
    Section(
        "schedule",
        "When 1:1s may be proposed.",
        (
            Option(
                "workdays",
                _weekdays,
                frozenset({0, 1, 2, 3, 4}),
                "Days 1:1s may happen on.",
                '["mon", "tue", "wed", "thu", "fri"]',
            ),
            Option(
                "day_start",
                clock,
                parse_clock("09:00"),
                "Start of the working day (HH:MM).",
                '"09:00"',
            ),
            Option(
                "day_end", clock, parse_clock("17:00"), "End of the working day (HH:MM).", '"17:00"'
            ),
            Option(
                "buffer",
                duration,
                parse_duration("10m"),
                "Clear time kept before and after every busy event.",
                '"10m"',
            ),
            Option(
                "max_per_day",
                _integer(1, 24),
                4,
                "At most this many 1:1s on one day (existing ones included).",
                "4",
            ),
            Option(
                "min_notice",
                duration,
                parse_duration("2h"),
                "Never propose a time sooner than this from now.",
                '"2h"',
            ),
            Option(
                "lookahead",
                duration,
                parse_duration("8w"),
                "How far ahead periods are checked for gaps.",
                '"8w"',
            ),
        ),
    ),
    Section(
        "state",
        "Where cadence keeps its state.",
        (
            Option(
                "path",
                _string,
                None,
                "SQLite database; default $STATE_DIRECTORY/cadence.db under systemd, "
                "else $XDG_STATE_HOME/cadence/cadence.db.",
                '"/var/lib/cadence/cadence.db"',
                commented=True,
            ),
        ),
    ),
    Section(
        "calendar",
        "The owner's calendar.",
        (
            Option(
                "backend",
                _choice("ics", "google"),
                "ics",
                '"ics" (any iCalendar feed, read-only) or "google" (Google Calendar API).',
                '"ics"',
            ),
        ),
    ),
    Section(
        "calendar.ics",
        "An iCalendar feed: a secret iCal address or a file.",
        (
            Option(
                "url",
                _string,
                None,
                "https://, http:// or webcal:// address, or a file path (relative to this file).",
                '"https://calendar.google.com/calendar/ical/.../basic.ics"',
                placeholder="this is the example address; put your calendar's secret iCal "
                "address here (README: Getting started)",
            ),
            Option(
                "timeout",
                duration,
                parse_duration("20s"),
                "Give up on a feed that has not answered in full after this long.",
                '"20s"',
            ),
            Option(
                "max_size", _integer(1, 1000), 20, "Refuse feeds larger than this many MB.", "20"
            ),
        ),
    ),
    Section(
        "calendar.google",
        "Google Calendar (see README: Google).",
        (
            Option("calendar_id", _string, "primary", "Calendar to watch.", '"primary"'),
            Option(
                "client_secrets",
                _string,
                None,
                "OAuth client file from the Cloud console.",
                '"client_secret.json"',
            ),
            Option(
                "token",
                _string,
                None,
                "Where `cadence auth google` keeps the token (0600).",
                '"google-token.json"',
            ),
            Option(
                "service_account",
                _string,
                None,
                "Service account key file (Workspace domain-wide delegation).",
                '"service-account.json"',
                commented=True,
            ),
            Option(
                "subject",
                _optional_string,
                None,
                "The user the service account acts for.",
                '"olivia@example.com"',
                commented=True,
            ),
        ),
    ),
    Section(
        "agenda",
        "The living agenda document of each person.",
        (
            Option(
                "backend",
                _choice("markdown", "google-docs", "none"),
                "markdown",
                '"markdown" (files), "google-docs" or "none".',
                '"markdown"',
            ),
            Option(
                "directory",
                _string,
                None,
                "Where Markdown agendas live; default $STATE_DIRECTORY/agendas under "
                "systemd, else $XDG_DATA_HOME/cadence/agendas.",
                '"agendas"',
                commented=True,
            ),
            Option(
                "base_url",
                _optional_string,
                None,
                "Web address the directory is published at (a wiki, a share); without it, "
                "nothing sent to others links the agenda.",
                '"https://wiki.example.com/1on1/"',
                commented=True,
            ),
            Option(
                "prepare_ahead",
                duration,
                parse_duration("3d"),
                "Add the meeting's section this long before it.",
                '"3d"',
            ),
        ),
    ),
    Section(
        "email",
        "Where proposals are sent.",
        (
            Option(
                "to",
                _emails,
                None,
                "Recipient(s) of proposals; default owner.email.",
                '["olivia@example.com"]',
                commented=True,
            ),
            Option(
                "from",
                _text(parse_email),
                None,
                "Sender address; default owner.email.",
                '"cadence@example.com"',
                commented=True,
            ),
            Option(
                "transport", _choice("smtp", "maildir"), "smtp", '"smtp" or "maildir".', '"smtp"'
            ),
            Option(
                "retry_first",
                duration,
                parse_duration("1m"),
                "Wait before retrying an email the server did not take; doubles each time.",
                '"1m"',
            ),
            Option(
                "retry_max",
                duration,
                parse_duration("1h"),
                "Longest wait between retries of one email.",
                '"1h"',
            ),
            Option(
                "reply_to",
                _text(parse_email),
                None,
                "Where replies go (the inbox cadence reads; the organizer of invitations); "
                "default: the IMAP username when it is an address, else from.",
                '"cadence@example.com"',
                commented=True,
            ),
        ),
    ),
    Section(
        "email.smtp",
        "An SMTP server (submission).",
        (
            Option("host", _string, "localhost", "Server name.", '"smtp.example.com"'),
            Option(
                "port",
                _integer(1, 65535),
                None,
                "Port; default 587 (starttls), 465 (ssl) or 25 (none).",
                "587",
                commented=True,
            ),
            Option(
                "security",
                _choice("starttls", "ssl", "none"),
                "starttls",
                '"starttls", "ssl" or "none".',
                '"starttls"',
            ),
            Option(
                "username",
                _optional_string,
                None,
                "Login name, if the server wants one.",
                '"olivia@example.com"',
                commented=True,
            ),
            Option(
                "password_file",
                _string,
                None,
                "File (mode 0600) holding the password; or set $CADENCE_SMTP_PASSWORD.",
                '"smtp-password"',
                commented=True,
            ),
            Option("timeout", duration, parse_duration("30s"), "Network timeout.", '"30s"'),
        ),
    ),
    Section(
        "email.maildir",
        "A Maildir folder instead of SMTP (local mail, tests, demos).",
        (Option("path", _string, None, "The Maildir (created if missing).", '"mail"'),),
    ),
    Section(
        "email.inbox",
        "The inbox cadence reads for replies: yours to proposals, people's to invitations.",
        (
            Option(
                "transport",
                _choice("none", "imap", "maildir"),
                "none",
                '"imap", "maildir", or "none" (replies are not read).',
                '"none"',
            ),
            Option(
                "after",
                _choice("mark", "move"),
                "mark",
                'What to do with a message cadence handled: "mark" it read, or "move" it '
                "to move_to. Other messages are never touched.",
                '"mark"',
            ),
            Option(
                "move_to",
                _string,
                "cadence",
                "The folder handled messages move to (created when missing).",
                '"cadence"',
                commented=True,
            ),
        ),
    ),
    Section(
        "email.inbox.imap",
        "An IMAP mailbox (the login defaults to [email.smtp]'s).",
        (
            Option("host", _string, None, "Server name.", '"imap.example.com"'),
            Option(
                "port",
                _integer(1, 65535),
                None,
                "Port; default 993 (ssl) or 143 (starttls, none).",
                "993",
                commented=True,
            ),
            Option(
                "security",
                _choice("ssl", "starttls", "none"),
                "ssl",
                '"ssl", "starttls" or "none".',
                '"ssl"',
            ),
            Option(
                "username",
                _optional_string,
                None,
                "Login name; default email.smtp.username.",
                '"cadence@example.com"',
                commented=True,
            ),
            Option(
                "password_file",
                _string,
                None,
                "File (mode 0600) holding the password; or set $CADENCE_IMAP_PASSWORD; "
                "default: the SMTP password.",
                '"imap-password"',
                commented=True,
            ),
            Option("folder", _string, "INBOX", "The folder replies arrive in.", '"INBOX"'),
            Option("timeout", duration, parse_duration("30s"), "Network timeout.", '"30s"'),
        ),
    ),
    Section(
        "email.inbox.maildir",
        "A Maildir on this machine as the inbox.",
        (Option("path", _string, None, "The Maildir replies are delivered to.", '"inbox"'),),
    ),
    Section(
        "web",
        "The optional web app: one-click booking, your pages, shared agendas (README).",
        (
            Option(
                "enabled",
                _boolean,
                False,
                "Serve it from `cadence daemon` (`cadence web` serves it on its own).",
                "false",
            ),
            Option(
                "listen",
                _text(parse_listen),
                parse_listen("127.0.0.1:8470"),
                "HOST:PORT it listens on; keep it on loopback behind an https reverse proxy.",
                '"127.0.0.1:8470"',
            ),
            Option(
                "base_url",
                _text(parse_base_url),
                None,
                "The address people reach it at (through the proxy); needed for links.",
                '"https://cadence.example.com"',
                commented=True,
            ),
        ),
    ),
    Section(
        "daemon",
        "The long-running service.",
        (Option("interval", duration, parse_duration("15m"), "Time between cycles.", '"15m"'),),
    ),
    Section(
        "digest",
        "The weekly summary email.",
        (
            Option("enabled", _boolean, False, "Send it.", "false"),
            Option("day", _text(parse_weekday), 0, "Weekday to send it on.", '"mon"'),
            Option(
                "time",
                clock,
                parse_clock("08:00"),
                "Time to send it at (owner's timezone).",
                '"08:00"',
            ),
        ),
    ),
)


def section(path: str) -> Section:
    return next(s for s in SCHEMA if s.path == path)


def render_example(backend: str = "ics") -> str:
    """Return a commented TOML config documenting every option of the schema."""
    lines = [
        "# cadence configuration. Every key is shown; commented keys take their default.",
        "# Durations: 90s, 30m, 2h, 10d, 8w. Times: HH:MM. Paths are relative to this file.",
        "# Put yourself into [owner] and your calendar's address below: cadence refuses",
        "# to run while they are still the examples.",
    ]
    for sec in SCHEMA:
        if (backend == "ics" and sec.path == "calendar.google") or (
            backend == "google" and sec.path == "calendar.ics"
        ):
            commented = True
        else:
            commented = sec.path in ("email.maildir", "email.inbox.imap", "email.inbox.maildir")
        lines += ["", f"# {sec.help}", f"{'# ' if commented else ''}[{sec.path}]"]
        for opt in sec.options:
            lines.append(f"# {opt.help}" + (" (required)" if opt.default is REQUIRED else ""))
            value = opt.example
            if sec.path == "calendar" and opt.key == "backend":
                value = f'"{backend}"'
            lines.append(f"{'# ' if commented or opt.commented else ''}{opt.key} = {value}")
    return "\n".join(lines) + "\n"
