"""The ICS calendar adapter: a feed (secret iCal address or file) read as occurrences."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from cadence.daemon.calendars import CalendarRead
from cadence.daemon.calendars.feed_fetch import fetch_feed, source_name
from cadence.daemon.calendars.ics_parse import parse_calendar
from cadence.daemon.core.model import Interval

__all__ = ["IcsCalendar"]

log = logging.getLogger(__name__)

# How many of the unreadable events to name in the log line; the count says the rest.
_PROBLEMS_LOGGED = 5


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
    ) -> None:
        self.location = location
        self.default_zone = default_zone
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.base_dir = base_dir
        self.setting = setting

    @property
    def name(self) -> str:
        """Names the feed in logs and errors, without credentials or secret tokens."""
        return source_name(self.location)

    def read(self, window: Interval, state: Mapping[str, str]) -> CalendarRead:
        """Given the window of interest and the state of the previous read, return every
        occurrence overlapping the window, or ``changed=False`` when the feed is the one
        already read for this window; raise SourceError when it cannot be fetched or
        parsed (the caller then keeps its previous state)."""
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
        parsed = parse_calendar(
            fetched.body, window, source=self.name, default_zone=self.default_zone
        )
        if parsed.skipped:
            log.warning(
                "%s: skipped %d unreadable event(s): %s",
                self.name,
                parsed.skipped,
                "; ".join(parsed.problems[:_PROBLEMS_LOGGED]),
            )
        elif parsed.problems:
            log.warning("%s: %s", self.name, "; ".join(parsed.problems[:_PROBLEMS_LOGGED]))
        return CalendarRead(
            changed=True,
            state=new_state,
            occurrences=tuple(parsed.occurrences),
            unreadable=parsed.skipped,
        )
