"""click parameter types for cadence's values: bad input fails with exit 2, naming the option."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import click
from cadence.daemon.core.model import Cadence, Kind
from cadence.daemon.core.urls import feed_url_problem
from cadence.daemon.core.values import (
    parse_clock,
    parse_date,
    parse_duration,
    parse_email,
    parse_weekday,
    parse_zone,
)

T = TypeVar("T")


# click's ParamType is generic only in recent releases; stay compatible with 8.1.
class ValueType(click.ParamType, Generic[T]):  # type: ignore[type-arg]
    """A click type around one of the value parsers; their ValueError becomes a usage error."""

    def __init__(self, name: str, parse: Callable[[str], T]) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> T:
        if not isinstance(value, str):
            return value  # type: ignore[no-any-return]  # already converted (a default)
        try:
            return self._parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _kind(text: str) -> Kind:
    try:
        return Kind(text.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise ValueError(f"{text!r} is not a kind; use one of {kinds}") from None


def _positive_duration(text: str) -> Any:
    value = parse_duration(text)
    if value.total_seconds() < 300 or value.total_seconds() % 60:
        raise ValueError(f"{text!r} is too short or not whole minutes; use e.g. 30m or 45m")
    return value


def _feed(text: str) -> str:
    problem = feed_url_problem(text)
    if problem:
        # Never quoted back: the address may be a secret one.
        raise ValueError(problem)
    return text.strip()


def _name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise ValueError(
            "the name may not be empty; give the person's name as it appears in emails"
        )
    return name


CADENCE = ValueType("CADENCE", Cadence.parse)
NAME = ValueType("NAME", _name)
DAY = ValueType("DAY", parse_weekday)
CLOCK = ValueType("HH:MM", parse_clock)
DURATION = ValueType("DURATION", _positive_duration)
EMAIL = ValueType("EMAIL", parse_email)
ZONE = ValueType("TZ", parse_zone)
DATE = ValueType("DATE", parse_date)
KIND = ValueType("KIND", _kind)
FEED = ValueType("URL", _feed)
