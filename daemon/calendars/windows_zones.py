"""Time zones as iCalendar feeds name them, resolved to IANA zones.

Outlook and Exchange write Windows zone names (``W. Europe Standard Time``)
as TZIDs. icalendar already maps them through CLDR's windowsZones table
(``WINDOWS_TO_OLSON``), so cadence keeps no copy of that table: it only makes
sure every time of an event ends up in a zone it can compare and expand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Component
from icalendar.prop import vDDDLists, vDDDTypes
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

__all__ = ["WINDOWS_TO_OLSON", "UnknownZoneError", "place_times", "place_value", "zone_named"]


class UnknownZoneError(ValueError):
    """A time names a zone that neither IANA, Windows nor a VTIMEZONE of the feed defines."""

    def __init__(self, tzid: str, where: str = "") -> None:
        self.tzid = tzid
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}unknown time zone {tzid!r} (and no VTIMEZONE for it)")


def zone_named(name: str) -> ZoneInfo | None:
    """Given an IANA or Windows zone name, return the IANA zone, or None if unknown."""
    name = name.strip().strip("/")
    for candidate in (name, WINDOWS_TO_OLSON.get(name)):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                # OSError: a name such as "Pacific" (Lotus Notes) is a directory
                # of the zone database, not a zone.
                continue
    return None


def place_times(component: Component, names: Iterable[str], floating_zone: ZoneInfo) -> None:
    """Given a VEVENT, bring the times of its properties ``names`` into usable zones, in
    place (see :func:`place_value`); raise UnknownZoneError naming the property.

    Floating times next to a DTSTART that has a zone take that zone (a DTEND
    written without TZID means the start's zone, as every exporter intends).
    """
    anchor: tzinfo | None = None
    for name in sorted(names, key=lambda n: n != "DTSTART"):  # DTSTART first
        value = component.get(name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        try:
            placed = [place_value(v, anchor or floating_zone) for v in values]
        except UnknownZoneError as error:
            raise UnknownZoneError(error.tzid, name) from None
        if any(new is not old for new, old in zip(placed, values, strict=True)):
            component[name] = placed if isinstance(value, list) else placed[0]
        if name == "DTSTART":
            start = getattr(component.get(name), "dt", None)
            if isinstance(start, datetime) and start.tzinfo is not None:
                anchor = start.tzinfo


def place_value(value: Any, floating_zone: tzinfo) -> Any:
    """Given a parsed date-time property (DTSTART, EXDATE, ...), return it, or a copy
    whose times carry a usable zone: floating times in ``floating_zone``, Windows
    TZIDs as their IANA zone; raise UnknownZoneError for a TZID nobody defines."""
    if isinstance(value, vDDDLists):
        tzid = value.params.get("TZID")
        moments = [_place(v.dt, v.params.get("TZID", tzid), floating_zone) for v in value.dts]
        if all(new is old.dt for new, old in zip(moments, value.dts, strict=True)):
            return value
        return vDDDLists(moments)
    if isinstance(value, vDDDTypes):
        moment = _place(value.dt, value.params.get("TZID"), floating_zone)
        return value if moment is value.dt else vDDDTypes(moment)
    return value


def _place(value: Any, tzid: str | None, floating_zone: tzinfo) -> Any:
    if not isinstance(value, datetime):
        return value  # dates and RDATE periods stay as written
    if value.tzinfo is None:
        if tzid:
            # icalendar leaves the time naive when it knows no zone of that name;
            # reading it as floating would silently shift the event.
            raise UnknownZoneError(tzid)
        return value.replace(tzinfo=floating_zone)
    if tzid and not isinstance(value.tzinfo, ZoneInfo):
        # A feed's VTIMEZONE for a Windows zone holds only the current rule; the
        # IANA zone it stands for knows every year's offsets.
        zone = zone_named(tzid)
        if zone is not None:
            return value.replace(tzinfo=zone)
    return value
