"""Sync tokens and page tokens for events.list, kept on the server as Google keeps them.

A full sync pages through the query's items; its last page carries
``nextSyncToken``. The emulator ties that token to a snapshot: the id and etag
of every item the query covered (cancelled ones too) and the query's
restrictions (time bounds, extended-property and text filters, singleEvents).
An incremental sync recomputes the same query and answers what differs from the
snapshot: new or changed items, and items that disappeared (an instance a new
UNTIL no longer generates) as cancelled. A token becomes 410 once the calendar's
sync epoch moves on (``invalidate_sync_tokens``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .calendars import Calendar, StoredEvent, render
from .clock import derived_etag
from .times import EventTime


@dataclass(frozen=True)
class Seen:
    """What a client was last told about one item."""

    etag: str
    recurring_event_id: str | None = None
    original_start: EventTime | None = None
    gone: bool = False

    @classmethod
    def of(cls, event: StoredEvent) -> Seen:
        return cls(event.etag, event.recurring_event_id, event.original_start)


@dataclass(frozen=True)
class Query:
    """The restrictions of a full sync that its sync token carries forward."""

    calendar_id: str
    single_events: bool
    lo: datetime
    hi: datetime | None
    filters: tuple[tuple[str, str], ...] = ()

    def matches(self, event: StoredEvent) -> bool:
        return all(_matches(event, name, value) for name, value in self.filters)

    def covered(self, calendar: Calendar, horizon: datetime) -> list[StoredEvent]:
        """Every item this query covers now, cancelled ones included."""
        items = calendar.items(
            single_events=self.single_events, lo=self.lo, hi=self.hi, horizon=horizon
        )
        return [e for e in items if self.matches(e)]


@dataclass
class SyncPoint:
    query: Query
    epoch: int
    seen: dict[str, Seen]


@dataclass
class Page:
    """The rest of a listing being paged through."""

    calendar_id: str
    items: list[dict[str, Any]]
    next_sync: SyncPoint | None = None


def snapshot(events: list[StoredEvent]) -> dict[str, Seen]:
    return {event.id: Seen.of(event) for event in events}


def changes_since(
    calendar: Calendar, point: SyncPoint, horizon: datetime, out_tz: ZoneInfo
) -> tuple[list[dict[str, Any]], dict[str, Seen]]:
    """The items that changed since ``point`` (rendered) and the snapshot after them."""
    query = point.query
    current = {e.id: e for e in query.covered(calendar, horizon)}
    for item_id, before in point.seen.items():
        if item_id not in current and not before.gone:
            found = calendar.find(item_id)
            # A master never shows in an expanded (singleEvents) listing.
            if found is not None and not (found.is_master and query.single_events):
                current[item_id] = found  # moved out of the window or filter: still news
    changed = [
        e
        for e in current.values()
        if e.id not in point.seen or point.seen[e.id].gone or point.seen[e.id].etag != e.etag
    ]
    changed.sort(key=lambda e: (e.changed, e.id))
    items = [render(e, calendar, out_tz, brief=True) for e in changed]
    after = snapshot(list(current.values()))
    for item_id, before in point.seen.items():
        if item_id in current:
            continue
        if not before.gone:
            before = replace(before, etag=derived_etag(before.etag, "gone"), gone=True)
            items.append(_tombstone(item_id, before, out_tz))
        after[item_id] = before
    return items, after


def _tombstone(item_id: str, seen: Seen, out_tz: ZoneInfo) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": seen.etag,
        "id": item_id,
        "status": "cancelled",
    }
    if seen.recurring_event_id is not None and seen.original_start is not None:
        body["recurringEventId"] = seen.recurring_event_id
        body["originalStartTime"] = seen.original_start.to_json(out_tz)
    return body


def _matches(event: StoredEvent, name: str, value: str) -> bool:
    if name == "privateExtendedProperty":
        key, _, wanted = value.partition("=")
        return event.private_properties().get(key) == wanted
    if name == "sharedExtendedProperty":
        key, _, wanted = value.partition("=")
        shared = (event.data.get("extendedProperties") or {}).get("shared") or {}
        return bool(shared.get(key) == wanted)
    if name == "iCalUID":
        return event.ical_uid == value
    if name == "q":
        return all(term in _searchable(event) for term in value.lower().split())
    return True


def _searchable(event: StoredEvent) -> str:
    data = event.data
    parts = [str(data.get(k, "")) for k in ("summary", "description", "location")]
    for attendee in data.get("attendees") or []:
        parts += [str(attendee.get("email", "")), str(attendee.get("displayName", ""))]
    parts.append(event.organizer)
    return " ".join(parts).lower()
