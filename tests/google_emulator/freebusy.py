"""calendar.freebusy.query: busy intervals per calendar, as Google computes them.

Busy time is every non-cancelled, non-transparent event (recurring ones expanded)
on the calendar, plus events on other calendars that list the calendar's owner
as an attendee, unless the owner declined. Intervals are clipped to the query
and merged. A calendar Google cannot show (unknown, or hidden with
``hide_calendar``) gets ``errors: [{"domain": "global", "reason": "notFound"}]``
and no busy time; the other calendars are still answered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .api import Ctx, Reply
from .errors import ApiError, invalid, required
from .state import State
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
    wanted = {
        (ctx.user if i.get("id") == "primary" else str(i.get("id", ""))).lower()
        for i in items
        if isinstance(i, dict)
    }
    found = {} if too_many else busy_of(ctx.state, wanted, lo, hi)
    for item in items:
        calendar_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        if too_many:
            # Documented as a per-calendar reason; the emulator marks every calendar with it.
            calendars[calendar_id] = _error("tooManyCalendarsRequested")
            continue
        owner = ctx.user if calendar_id == "primary" else calendar_id
        calendar = ctx.state.calendars.get(owner.lower())
        if calendar is None or calendar.hidden:
            calendars[calendar_id] = _error("notFound")
            continue
        periods = found.get(owner.lower(), [])
        calendars[calendar_id] = {
            "busy": [
                {"start": local_text(s, out_tz), "end": local_text(e, out_tz)} for s, e in periods
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


def busy_of(
    state: State, owners: set[str], lo: datetime, hi: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """The merged busy intervals within ``[lo, hi)`` of each owner (lower-cased email):
    the events of their own calendar and those of others they attend (not declined).

    Only calendars that are one of theirs or hold an event naming one of them as
    attendee are expanded, so a query costs what it touches, not the whole state.
    """
    periods: dict[str, list[tuple[datetime, datetime]]] = {o: [] for o in owners}
    for source in state.calendars.values():
        own = source.owner.lower()
        if own not in owners and not any(
            str(a.get("email", "")).lower() in owners
            for event in source.events.values()
            for a in event.data.get("attendees") or []
        ):
            continue
        for event in source.items(single_events=True, lo=lo, hi=hi, horizon=hi):
            if event.cancelled or event.data.get("transparency") == "transparent":
                continue
            responses = {
                str(a["email"]).lower(): a.get("responseStatus")
                for a in event.data.get("attendees") or []
            }
            holders = {o for o in owners if o in responses or o == own}
            if not holders:
                continue
            begin, end = source.span(event)
            for holder in holders:
                if responses.get(holder) != "declined":
                    periods[holder].append((max(begin, lo), min(end, hi)))
    return {owner: _merged(spans) for owner, spans in periods.items()}


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
