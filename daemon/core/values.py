"""Parsing of the small values users write: durations, clock times, weekdays, emails, zones.

Each parser raises ValueError with a sentence that says what is accepted, so
the config loader and the CLI can prefix it with where the value came from.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cadence.daemon.core.model import WEEKDAYS, Kind
from cadence.daemon.core.urls import feed_url_problem

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Deliberately simple: one @, no spaces or angle brackets, a dot in the domain.
# Deliverability is the mail server's business; this catches typos.
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")


def parse_duration(text: str) -> timedelta:
    """Given ``90s``, ``30m``, ``2h``, ``10d`` or ``8w``, return the timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; write it like 90s, 30m, 2h, 10d or 8w")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """Return the shortest exact spelling of ``value`` in the duration syntax."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def parse_clock(text: str) -> time:
    """Given ``HH:MM`` (24-hour), return the time of day."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day; write it as HH:MM, e.g. 09:30")
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekday(text: str) -> int:
    """Given ``mon`` .. ``sun`` (or the full English name), return 0 for Monday .. 6."""
    word = text.strip().lower()[:3]
    if len(text.strip()) >= 3 and word in WEEKDAYS:
        full = text.strip().lower()
        names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        if full == word or full == names[WEEKDAYS.index(word)]:
            return WEEKDAYS.index(word)
    raise ValueError(f"{text!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")


def parse_email(text: str) -> str:
    """Given an email address, return it trimmed and lower-cased."""
    value = text.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"{text!r} is not an email address")
    return value.lower()


def parse_zone(text: str) -> str:
    """Given an IANA timezone name, return it; raise ValueError for unknown names."""
    name = text.strip()
    try:
        if name in available_timezones() or name == "UTC":
            ZoneInfo(name)
            return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise ValueError(
        f"{text!r} is not a known IANA timezone; use a name like Europe/Berlin or America/New_York"
    )


def parse_date(text: str) -> date:
    """Given ``YYYY-MM-DD``, return the date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def parse_name(text: str) -> str:
    """Given a person's name, return it with its spaces tidied; refuse an empty one."""
    name = " ".join(text.split())
    if not name:
        raise ValueError(
            "the name may not be empty; give the person's name as it appears in emails"
        )
    return name


def parse_meeting_length(text: str) -> timedelta:
    """Given a 1:1's length (``30m``, ``1h``), return it: whole minutes, at least 5."""
    value = parse_duration(text)
    if value.total_seconds() < 300 or value.total_seconds() % 60:
        raise ValueError(f"{text!r} is too short or not whole minutes; use e.g. 30m or 45m")
    return value


def parse_listen(text: str) -> tuple[str, int]:
    """Given ``HOST:PORT`` (``127.0.0.1:8470``, ``[::1]:8470``, ``localhost:8470``),
    return the host and the port."""
    value = text.strip()
    host, colon, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT; write it like 127.0.0.1:8470 or [::1]:8470")
    if any(c.isspace() or c in "/[]@" for c in host):
        raise ValueError(f"{text!r}: {host!r} is not a host name or address")
    return host, int(port)


def parse_base_url(text: str) -> str:
    """Given the address people reach the web app at (``https://cadence.example.com``,
    perhaps with a path), return it without a trailing slash."""
    value = text.strip()
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        raise ValueError(f"{text!r} has a port that is not a number from 1 to 65535") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(
            f"{text!r} is not a web address; write it like https://cadence.example.com"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{text!r}: a query, fragment or login has no place here")
    if any(c.isspace() for c in value):
        raise ValueError(f"{text!r}: spaces have no place in a web address")
    return value.rstrip("/")


def parse_kind(text: str) -> Kind:
    """Given ``report``, ``manager``, ``peer``, ``cross-functional`` or ``skip-level``,
    return the kind."""
    try:
        return Kind(text.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise ValueError(f"{text!r} is not a kind; use one of {kinds}") from None


def parse_feed(text: str) -> str:
    """Given a busy feed's address or path, return it trimmed; the error never quotes
    it back (the address may be a secret one)."""
    problem = feed_url_problem(text)
    if problem:
        raise ValueError(problem)
    return text.strip()
