"""calendar.freebusy.query: busy intervals per calendar, as Google computes them.

Busy time is every non-cancelled, non-transparent event (recurring ones expanded)
on that calendar alone, invitations included (their copies live there), unless
the calendar's owner declined. A user's primary calendar does not show the
events of their secondary calendars, nor the reverse; working locations and
birthdays are transparent, out-of-office and focus time are busy. Intervals
are clipped to the query and merged. A calendar Google cannot show (unknown, or hidden with
``hide_calendar``) gets ``errors: [{"domain": "global", "reason": "notFound"}]``
and no busy time; the other calendars are still answered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .api import Ctx, Reply
from .calendars import Calendar
from .errors import ApiError, invalid, required
from .times import local_text, parse_instant, utc_millis, zone


def freebusy_query(ctx: Ctx) -> Reply:
    body = ctx.json()
    lo = _bound(body, "timeMin")
    hi = _bound(body, "timeMax")
    settings = ctx.state.settings
    if hi <= lo:
        raise ApiError(400, "timeRangeEmpty", location="timeMax")
    if hi - lo > timedelta(days=settings.freebusy_max_days):
        raise ApiError(400, "timeRangeTooLong", location="timeMax")
    out_tz = zone(str(body.get("timeZone") or "UTC"))
    if out_tz is None:
        raise invalid("Invalid time zone definition.", location="timeZone")
    limit = body.get("calendarExpansionMax", settings.freebusy_max_calendars)
    if not isinstance(limit, int) or not 0 < limit <= settings.freebusy_max_calendars:
        # Google documents a maximum of 50 without saying how it refuses more.
        raise invalid("Invalid value for: calendarExpansionMax", location="calendarExpansionMax")
    items = body.get("items") or []
    too_many = len(items) > limit
    calendars: dict[str, Any] = {}
    for item in items:
        calendar_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        if too_many:
            # Documented as a per-calendar reason; the emulator marks every calendar with it.
            calendars[calendar_id] = _error("tooManyCalendarsRequested")
            continue
        wanted = ctx.user if calendar_id == "primary" else calendar_id
        user = ctx.state.user(wanted)
        calendar = ctx.state.calendars.get((user or wanted).lower())
        if calendar is None or calendar.hidden:
            calendars[calendar_id] = _error("notFound")
            continue
        calendars[calendar_id] = {
            "busy": [
                {"start": local_text(s, out_tz), "end": local_text(e, out_tz)}
                for s, e in busy_of(calendar, lo, hi)
            ]
        }
    return Reply(
        body={
            "kind": "calendar#freeBusy",
            "timeMin": utc_millis(lo),
            "timeMax": utc_millis(hi),
            "calendars": calendars,
        }
    )


def busy_of(calendar: Calendar, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The merged busy intervals of one calendar within ``[lo, hi)``."""
    periods: list[tuple[datetime, datetime]] = []
    for event in calendar.items(single_events=True, lo=lo, hi=hi, horizon=hi):
        if event.cancelled or event.data.get("transparency") == "transparent":
            continue
        declined = any(
            calendar.is_self(str(a["email"])) and a.get("responseStatus") == "declined"
            for a in event.data.get("attendees") or []
        )
        if declined:
            continue
        begin, end = calendar.span(event)
        periods.append((max(begin, lo), min(end, hi)))
    return _merged(periods)


def _merged(periods: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(periods):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _bound(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    if not isinstance(value, str):
        raise required("Required", location=name)
    return parse_instant(value, name)


def _error(reason: str) -> dict[str, Any]:
    return {"errors": [{"domain": "global", "reason": reason}], "busy": []}
