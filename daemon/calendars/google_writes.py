"""Writing to the owner's Google Calendar: series, moved instances, agenda links, free/busy.

Every write sends ``sendUpdates=all`` (the person gets Google's own invitation
or update) and ``supportsAttachments=true``. Events cadence creates carry
``extendedProperties.private.cadencePerson`` and an id chosen from what they
are for, so a create retried after a crash meets Google's 409 "duplicate" and
counts as done. Many writes of one cycle go out as batches.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.calendars import Availability, EventSpec
from cadence.daemon.calendars.google import MARKER, ConnectedCalendar
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.messages import agenda_line
from cadence.daemon.core.model import Interval
from cadence.daemon.core.series import end_rule
from cadence.daemon.google.api import GoogleApiError, call, call_batch

log = logging.getLogger(__name__)

DOC_MIME = "application/vnd.google-apps.document"
AGENDA_TITLE = "1:1 agenda"
# freebusy.query refuses long ranges (the limit is undocumented) and more than
# 50 calendars per query.
FREEBUSY_SPAN = timedelta(days=60)
FREEBUSY_CALENDARS = 50
# How many derived ids a create tries when deleted events hold the ones before.
_ID_ROUNDS = 5


def _time(moment: datetime, zone: str) -> dict[str, str]:
    return {"dateTime": moment.astimezone(ZoneInfo(zone)).isoformat(), "timeZone": zone}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _made_for(event: dict[str, Any], spec: EventSpec) -> bool:
    """Whether a live event is the one cadence makes for the spec (its marker says so)."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return event.get("status") != "cancelled" and private.get(MARKER) == spec.person


def _chunks(window: Interval, span: timedelta) -> list[Interval]:
    out: list[Interval] = []
    start = window.start.astimezone(UTC)
    end = window.end.astimezone(UTC)
    while start < end:
        out.append(Interval(start, min(start + span, end)))
        start += span
    return out


class GoogleWriter:
    """The writing side of the Google calendar ``calendar`` reads. It works through the
    reader's client: one authorization and one token per process, and a reader that
    reconnects after a refused authorization brings the writer along.
    ``attach_files`` says whether the agenda link may go in as an attachment (a Drive
    file; Google refuses other URLs)."""

    def __init__(self, calendar: ConnectedCalendar, *, attach_files: bool) -> None:
        self.calendar = calendar
        self.calendar_id = calendar.calendar_id
        self.attach_files = attach_files

    @property
    def client(self) -> Any:
        return self.calendar.client

    @property
    def name(self) -> str:
        return self.calendar.name

    @property
    def owner_calendar(self) -> str:
        return self.calendar.owner_calendar

    def _attachment(self, url: str) -> dict[str, str]:
        return {"fileUrl": url, "title": AGENDA_TITLE, "mimeType": DOC_MIME}

    def _body(self, spec: EventSpec, event_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": event_id or spec.event_id,
            "summary": spec.summary,
            "description": spec.description,
            "start": _time(spec.start, spec.zone),
            "end": _time(spec.end, spec.zone),
            "attendees": [{"email": spec.person}],
            "extendedProperties": {"private": {MARKER: spec.person}},
        }
        if spec.recurrence:
            body["recurrence"] = list(spec.recurrence)
        if spec.agenda_url and self.attach_files:
            body["attachments"] = [self._attachment(spec.agenda_url)]
        return body

    # -- series and single events ------------------------------------------------

    def create(self, specs: Sequence[EventSpec]) -> list[Exception | str]:
        """Insert the events under their chosen ids; return each one's id as made, or
        its failure.

        Google answers 409 for an id it holds, which may be cadence's own event from
        an earlier try cut short (done, then), or an event deleted since: deleted
        events keep their ids. Those are read back to tell which, and a deleted
        one's spec is written again under the next id derived from it
        (``<id>v1``, ``<id>v2``...), the same on every try, so a retry after a
        crash meets its own event again.
        """
        events = self.client.events()
        ids = [spec.event_id for spec in specs]
        results: list[Exception | str] = [
            CadenceError(f"no free id for event {spec.event_id}") for spec in specs
        ]
        pending = list(range(len(specs)))
        for round_ in range(_ID_ROUNDS):
            inserts = [
                (
                    "calendar events.insert",
                    events.insert(
                        calendarId=self.calendar_id,
                        body=self._body(specs[i], ids[i]),
                        sendUpdates="all",
                        supportsAttachments=True,
                    ),
                )
                for i in pending
            ]
            taken: list[int] = []
            for i, result in zip(pending, call_batch(self.client, inserts), strict=True):
                if isinstance(result, GoogleApiError) and result.status == 409:
                    taken.append(i)
                else:
                    results[i] = result if isinstance(result, GoogleApiError) else ids[i]
            if not taken:
                break
            gets = [
                ("calendar events.get", events.get(calendarId=self.calendar_id, eventId=ids[i]))
                for i in taken
            ]
            pending = []
            for i, found in zip(taken, call_batch(self.client, gets), strict=True):
                if isinstance(found, GoogleApiError) and found.status not in (404, 410):
                    results[i] = found
                elif not isinstance(found, GoogleApiError) and _made_for(found, specs[i]):
                    # An earlier try got through before a crash or a lost answer.
                    log.info("%s: event %s exists already", self.name, ids[i])
                    results[i] = ids[i]
                else:
                    fresh = f"{specs[i].event_id}v{round_ + 1}"
                    log.info(
                        "%s: event id %s is held by a deleted event; writing %s",
                        self.name,
                        ids[i],
                        fresh,
                    )
                    ids[i] = fresh
                    pending.append(i)
        return results

    def end_series(self, event_id: str, before: datetime) -> None:
        events = self.client.events()
        try:
            master = call(
                events.get(calendarId=self.calendar_id, eventId=event_id), "calendar events.get"
            )
        except GoogleApiError as exc:
            if exc.status in (404, 410):
                return  # gone already: nothing left to end
            raise
        if master.get("status") == "cancelled":
            return
        first = _instant(master["start"]["dateTime"]) if "dateTime" in master["start"] else None
        if first is not None and first >= before:
            # Not one meeting of it would be left: remove it rather than leave an
            # empty rule behind.
            call(
                events.delete(calendarId=self.calendar_id, eventId=event_id, sendUpdates="all"),
                "calendar events.delete",
            )
            return
        recurrence = end_rule(master.get("recurrence") or [], before)
        if recurrence == master.get("recurrence"):
            return
        call(
            events.patch(
                calendarId=self.calendar_id,
                eventId=event_id,
                body={"recurrence": recurrence},
                sendUpdates="all",
            ),
            "calendar events.patch",
        )

    def identity(self, event_id: str, original_start: datetime | None) -> tuple[str, int]:
        events = self.client.events()
        found: dict[str, Any] = call(
            events.get(calendarId=self.calendar_id, eventId=event_id), "calendar events.get"
        )
        if original_start is not None:
            instance = next(iter(self._instances(event_id, original_start)), {})
            found = {**found, "sequence": instance.get("sequence", found.get("sequence", 0))}
        return str(found.get("iCalUID") or f"{event_id}@google.com"), int(found.get("sequence", 0))

    def _instances(self, series_id: str, original_start: datetime) -> list[dict[str, Any]]:
        """The series' instance first planned at ``original_start`` (cancelled ones
        too), as Google lists it: one, or none."""
        page = call(
            self.client.events().instances(
                calendarId=self.calendar_id,
                eventId=series_id,
                originalStart=original_start.astimezone(UTC).isoformat(),
                showDeleted=True,
            ),
            "calendar events.instances",
        )
        items: list[dict[str, Any]] = page.get("items") or []
        return items

    def move(self, series_id: str, original_start: datetime, spec: EventSpec) -> bool:
        events = self.client.events()
        items = self._instances(series_id, original_start)
        if not items:
            return False
        organizer = items[0].get("organizer") or {"self": True}  # a cancelled one says less
        if not organizer.get("self"):
            # Patching an attendee's copy would move nothing for the organizer.
            raise CadenceError(
                f"the 1:1 of {original_start:%Y-%m-%d %H:%M} is organized by "
                f"{organizer.get('email')}: only they can move it"
            )
        body: dict[str, Any] = {
            "status": "confirmed",
            "start": _time(spec.start, spec.zone),
            "end": _time(spec.end, spec.zone),
            "description": spec.description,
        }
        if spec.agenda_url and self.attach_files:
            body["attachments"] = [self._attachment(spec.agenda_url)]
        call(
            events.patch(
                calendarId=self.calendar_id,
                eventId=items[0]["id"],
                body=body,
                sendUpdates="all",
                supportsAttachments=True,
            ),
            "calendar events.patch",
        )
        return True

    # -- agenda links ------------------------------------------------------------

    def attach(self, event_ids: Sequence[str], url: str) -> dict[str, Exception]:
        events = self.client.events()
        failures: dict[str, Exception] = {}
        gets = [
            ("calendar events.get", events.get(calendarId=self.calendar_id, eventId=e))
            for e in event_ids
        ]
        patches: list[tuple[str, Any]] = []
        patched: list[str] = []
        for event_id, event in zip(event_ids, call_batch(self.client, gets), strict=True):
            if isinstance(event, Exception):
                failures[event_id] = event
                continue
            body = self._linked(event, url)
            if body is None:
                continue
            patches.append(
                (
                    "calendar events.patch",
                    events.patch(
                        calendarId=self.calendar_id,
                        eventId=event_id,
                        body=body,
                        sendUpdates="all",
                        supportsAttachments=True,
                    ),
                )
            )
            patched.append(event_id)
        for event_id, result in zip(patched, call_batch(self.client, patches), strict=True):
            if isinstance(result, Exception):
                failures[event_id] = result
        return failures

    def _linked(self, event: dict[str, Any], url: str) -> dict[str, Any] | None:
        """Return the patch that adds the agenda link to the event (keeping what is
        there: Google replaces a sent array whole), or None when it has it already."""
        body: dict[str, Any] = {}
        description = event.get("description") or ""
        if url not in description:
            line = agenda_line(url)
            body["description"] = f"{description.rstrip()}\n\n{line}" if description else line
        attachments = list(event.get("attachments") or [])
        if self.attach_files and all(a.get("fileUrl") != url for a in attachments):
            # Google keeps at most 25 attachments; the agenda matters more than the last.
            body["attachments"] = [*attachments[:24], self._attachment(url)]
        return body or None

    # -- free/busy ---------------------------------------------------------------

    def availability(self, calendars: Sequence[str], window: Interval) -> Availability:
        busy: dict[str, list[Interval]] = {c: [] for c in calendars}
        hidden: set[str] = set()
        unique = list(dict.fromkeys(calendars))
        # A secondary calendar holds the 1:1s, but the owner is busy in their primary
        # calendar too: its busy time counts as the owner's.
        primary = self.calendar_id != "primary" and self.owner_calendar in unique
        if primary:
            unique.append("primary")
        for span in _chunks(window, FREEBUSY_SPAN):
            for first in range(0, len(unique), FREEBUSY_CALENDARS):
                group = unique[first : first + FREEBUSY_CALENDARS]
                answer = call(
                    self.client.freebusy().query(
                        body={
                            "timeMin": span.start.isoformat(),
                            "timeMax": span.end.isoformat(),
                            "items": [{"id": c} for c in group],
                        }
                    ),
                    "calendar freebusy.query",
                )
                for calendar_id, found in (answer.get("calendars") or {}).items():
                    if found.get("errors"):
                        hidden.add(calendar_id)
                        continue
                    busy.setdefault(calendar_id, []).extend(
                        Interval(_instant(b["start"]), _instant(b["end"]))
                        for b in found.get("busy", ())
                    )
        if primary:
            busy[self.owner_calendar] = sorted(busy[self.owner_calendar] + busy.pop("primary", []))
            hidden.discard("primary")
        return Availability(busy, frozenset(hidden))
