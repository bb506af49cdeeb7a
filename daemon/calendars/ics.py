"""The ICS calendar adapter: a feed (secret iCal address or file) read as occurrences."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from cadence.daemon.calendars import CalendarRead
from cadence.daemon.calendars.feed_fetch import fetch_feed, source_name
from cadence.daemon.calendars.ics_components import short
from cadence.daemon.calendars.ics_parse import ReadLimits, parse_calendar
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval

__all__ = ["IcsCalendar"]

log = logging.getLogger(__name__)

# How many of the unreadable events to name in the log line; the count says the rest.
_PROBLEMS_LOGGED = 5


def _nothing() -> None:
    pass


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:_PROBLEMS_LOGGED])
    more = len(items) - _PROBLEMS_LOGGED
    return f"{shown}; and {more} more" if more > 0 else shown


class IcsCalendar:
    """A read-only calendar behind an iCalendar feed.

    The state it hands back holds the feed's validators and content hash plus the
    window and zone the occurrences were read for: an unchanged feed read for
    another window or zone must be parsed again, since the caller's stored
    occurrences would not cover it.
    """

    def __init__(
        self,
        location: str,
        *,
        default_zone: ZoneInfo,
        timeout: float = 20.0,
        max_bytes: int = 20_000_000,
        base_dir: Path | None = None,
        setting: str = "calendar.ics.url",
        limits: ReadLimits | None = None,
    ) -> None:
        self.location = location
        self.limits = limits or ReadLimits()
        # What was last said about the feed's faults: a feed re-exported at every
        # fetch (Google stamps each event with the time of export) is read at every
        # cycle, and the same warning each time would bury a new one.
        self._told: frozenset[str] = frozenset()
        self.default_zone = default_zone
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.base_dir = base_dir
        self.setting = setting

    @property
    def name(self) -> str:
        """Names the feed in logs and errors, without credentials or secret tokens."""
        return source_name(self.location)

    def read(
        self,
        window: Interval,
        state: Mapping[str, str],
        progress: Callable[[], None] = _nothing,
    ) -> CalendarRead:
        """Given the window of interest and the state of the previous read, return every
        occurrence overlapping the window, or ``changed=False`` when the feed is the one
        already read for this window; raise SourceError when it cannot be fetched or
        read, whatever is wrong with it (the caller then keeps its previous state).
        ``progress`` is called while a long read makes progress."""
        read_for = {
            "window": f"{window.start.isoformat()}/{window.end.isoformat()}",
            "zone": self.default_zone.key,
        }
        same_reading = all(state.get(key) == value for key, value in read_for.items())
        fetched = fetch_feed(
            self.location,
            state if same_reading else {},
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            base_dir=self.base_dir,
            setting=self.setting,
        )
        new_state = {**fetched.state, **read_for}
        if fetched.body is None:
            return CalendarRead(changed=False, state=new_state)
        try:
            parsed = parse_calendar(
                fetched.body,
                window,
                source=self.name,
                default_zone=self.default_zone,
                progress=progress,
                limits=self.limits,
            )
        except SourceError:
            raise
        except Exception as error:
            # The feed is outside input: whatever it does to the parser is this
            # source failing, never the cycle. The traceback is for debugging only.
            log.debug("%s: reading failed", self.name, exc_info=True)
            reason = f"cannot read the feed ({type(error).__name__}: {short(error)})"
            raise SourceError(self.name, reason) from error
        told = []
        if parsed.skipped:
            told.append(
                f"{self.name}: skipped {parsed.skipped} unreadable event(s): "
                f"{_listed(parsed.problems)}"
            )
        if parsed.notes:
            told.append(
                f"{self.name}: read, ignoring what it could not use: {_listed(parsed.notes)}"
            )
        for message in told:
            log.log(logging.DEBUG if message in self._told else logging.WARNING, "%s", message)
        self._told = frozenset(told)
        return CalendarRead(
            changed=True,
            state=new_state,
            occurrences=tuple(parsed.occurrences),
            unreadable=parsed.skipped,
        )
