"""Parsing of the small values users write: durations, clock times, weekdays, emails, zones.

Each parser raises ValueError with a sentence that says what is accepted, so
the config loader and the CLI can prefix it with where the value came from.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cadence.daemon.core.model import WEEKDAYS

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
