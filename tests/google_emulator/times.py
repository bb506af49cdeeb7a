"""RFC 3339 timestamps and Calendar's EventDateTime, read and written as Google does.

An event end is either a day (``{"date": "2027-03-29"}``, all-day) or an instant
(``{"dateTime": "2027-03-29T10:00:00+02:00", "timeZone": "Europe/Berlin"}``).
Google keeps the zone it was given and writes ``dateTime`` in the zone the
response asks for (the ``timeZone`` parameter, else the calendar's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ApiError, invalid


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_instant(text: str, name: str) -> datetime:
    """Given an RFC 3339 timestamp with a mandatory offset, return it; raise 400 otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"Invalid value for: {name}", location=name) from None
    if value.tzinfo is None:
        raise invalid(f"Invalid value for: {name}", location=name)
    return value


def utc_millis(value: datetime) -> str:
    """``2027-03-29T08:00:00.000Z``: how Google writes created, updated and query bounds."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def local_text(value: datetime, tz: tzinfo) -> str:
    """``2027-03-29T10:00:00+02:00`` in ``tz`` (``...Z`` when ``tz`` is UTC itself)."""
    local = value.astimezone(tz)
    if str(tz) == "UTC":
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


@dataclass(frozen=True)
class EventTime:
    """One end of an event: a day, or an instant plus the zone it was written in."""

    day: date | None = None
    instant: datetime | None = None
    tz: str | None = None

    @classmethod
    def parse(cls, raw: Any, which: str) -> EventTime:
        """Read an EventDateTime body; raise Google's 400 for what Google rejects."""
        if not isinstance(raw, dict) or not (raw.get("date") or raw.get("dateTime")):
            raise ApiError(400, "required", f"Missing {which} time.")
        tz_name = raw.get("timeZone") or None
        if tz_name is not None and zone(tz_name) is None:
            raise invalid(f"Invalid time zone definition for {which} time.")
        if raw.get("date"):
            try:
                return cls(day=date.fromisoformat(raw["date"]), tz=tz_name)
            except (TypeError, ValueError):
                raise invalid(f"Invalid {which} time.") from None
        try:
            value = datetime.fromisoformat(raw["dateTime"])
        except (TypeError, ValueError):
            raise invalid(f"Invalid {which} time.") from None
        if value.tzinfo is None:
            zone_info = zone(tz_name) if tz_name else None
            if zone_info is None:
                raise invalid(f"Missing time zone definition for {which} time.")
            value = value.replace(tzinfo=zone_info)
        return cls(instant=value.astimezone(UTC), tz=tz_name)

    @property
    def all_day(self) -> bool:
        return self.day is not None

    def start_instant(self, calendar_tz: tzinfo) -> datetime:
        """The instant this end stands for; a day starts at midnight in the calendar's zone."""
        if self.instant is not None:
            return self.instant
        assert self.day is not None
        return datetime.combine(self.day, time(), calendar_tz).astimezone(UTC)

    def to_json(self, out_tz: tzinfo) -> dict[str, str]:
        """The EventDateTime body, with ``dateTime`` written in ``out_tz``."""
        if self.day is not None:
            return {"date": self.day.isoformat()}
        assert self.instant is not None
        body = {"dateTime": local_text(self.instant, out_tz)}
        if self.tz:
            body["timeZone"] = self.tz
        return body

    def stamp(self) -> str:
        """The suffix Google gives instance ids: ``20270329T080000Z`` (UTC) or ``20270329``."""
        if self.day is not None:
            return self.day.strftime("%Y%m%d")
        assert self.instant is not None
        return self.instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
