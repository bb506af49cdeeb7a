"""click parameter types for cadence's values: bad input fails with exit 2, naming the option."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import click
from cadence.daemon.core.model import Cadence
from cadence.daemon.core.values import (
    parse_clock,
    parse_date,
    parse_email,
    parse_feed,
    parse_kind,
    parse_meeting_length,
    parse_name,
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


CADENCE = ValueType("CADENCE", Cadence.parse)
NAME = ValueType("NAME", parse_name)
DAY = ValueType("DAY", parse_weekday)
CLOCK = ValueType("HH:MM", parse_clock)
DURATION = ValueType("DURATION", parse_meeting_length)
EMAIL = ValueType("EMAIL", parse_email)
ZONE = ValueType("TZ", parse_zone)
DATE = ValueType("DATE", parse_date)
KIND = ValueType("KIND", parse_kind)
FEED = ValueType("URL", parse_feed)
