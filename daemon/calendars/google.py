"""The owner's Google Calendar, read with incremental sync.

The first read (and any read for another window) is a full sync: events.list
over the window with ``singleEvents=true`` (recurring events come as their
instances) and ``showDeleted=true``, every page, the ``nextSyncToken`` from
the last one. Later reads pass that token and get only what changed since:
an idle calendar costs one call and reports ``changed=False``. Google may
refuse an old token (410 ``fullSyncRequired``); then the read starts over with
a full sync, which reports everything again, so nothing is missed and nothing
is invented.

What Google sends becomes :class:`Occurrence` values as the ICS adapter makes
them: the instance's series id as ``uid``, its ``originalStartTime`` as
``recurrence_id``, attendees with their response, cadence's own
``extendedProperties.private.cadencePerson`` marker as ``person``. Google
reports a cancelled instance of a live series with little more than its
original start (or, as Google guarantees no more, its id alone, which names
the series and the original start), and a deleted single event with only its
id: those come back as :attr:`CalendarRead.cancelled` and
:attr:`CalendarRead.removed`, for the store to apply to what it knows. The
owner's own entries (``self: true``) are read as the owner's address, and an
event's ``eventType`` is kept (only a meeting can be a 1:1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.calendars import CalendarRead, CancelledInstance
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import (
    Attendee,
    Cutype,
    EventType,
    Interval,
    Occurrence,
    Partstat,
    Status,
)
from cadence.daemon.google.api import Connection, GoogleApiError, call
from cadence.daemon.google.auth import GoogleAuthError

log = logging.getLogger(__name__)

PAGE_SIZE = 2500  # Google's maximum: an ordinary calendar fits in one page
MARKER = "cadencePerson"
_PARTSTATS = {
    "needsAction": Partstat.NEEDS_ACTION,
    "accepted": Partstat.ACCEPTED,
    "declined": Partstat.DECLINED,
    "tentative": Partstat.TENTATIVE,
}
_STATUSES = {"tentative": Status.TENTATIVE, "cancelled": Status.CANCELLED}
_EVENT_TYPES = {
    "default": EventType.MEETING,
    "outOfOffice": EventType.OUT_OF_OFFICE,
    "focusTime": EventType.FOCUS_TIME,
    "workingLocation": EventType.WORKING_LOCATION,
    "birthday": EventType.BIRTHDAY,
    "fromGmail": EventType.FROM_GMAIL,
}


def _moment(value: Mapping[str, str], zone: ZoneInfo) -> tuple[datetime, bool]:
    """Given an event time ({dateTime} or {date}), return it aware, and whether it
    is a whole day (taken as midnight in the calendar's zone, as for ICS)."""
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or zone.key))
        return moment, False
    return datetime.combine(date.fromisoformat(value["date"]), time(0), tzinfo=zone), True


def _who(entry: Mapping[str, Any], owner: str | None) -> str:
    """An organizer's or attendee's address, the owner's own entry (``self``: an alias,
    a secondary calendar) written as the owner's configured address."""
    if entry.get("self") and owner:
        return owner
    return str(entry.get("email", ""))


def occurrence_of(item: Mapping[str, Any], zone: ZoneInfo, owner: str | None = None) -> Occurrence:
    """Given a full event (or instance) resource, return the occurrence it describes.

    Google marks the owner's entries ``self: true``, whatever address they carry (an
    alias, or a secondary calendar as organizer): those become ``owner``, so that
    the owner is recognised in a 1:1 and in a decline. A booked room or other
    resource (``resource: true``) is an attendee that is no person.
    """
    start, all_day = _moment(item["start"], zone)
    end, _ = _moment(item.get("end") or item["start"], zone)
    original = item.get("originalStartTime")
    private = (item.get("extendedProperties") or {}).get("private") or {}
    organizer = item.get("organizer") or {}
    return Occurrence(
        uid=item.get("recurringEventId") or item["id"],
        start=start,
        end=max(end, start),
        summary=item.get("summary", ""),
        recurrence_id=_moment(original, zone)[0] if original else None,
        status=_STATUSES.get(item.get("status", ""), Status.CONFIRMED),
        organizer=_who(organizer, owner) if organizer.get("email") else None,
        attendees=tuple(
            Attendee(
                _who(a, owner),
                _PARTSTATS.get(a.get("responseStatus", ""), Partstat.NEEDS_ACTION),
                Cutype.RESOURCE if a.get("resource") else Cutype.INDIVIDUAL,
            )
            for a in item.get("attendees", ())
            if a.get("email")
        ),
        person=private.get(MARKER),
        all_day=all_day,
        transparent=item.get("transparency") == "transparent",
        event_type=_EVENT_TYPES.get(item.get("eventType", "default"), EventType.MEETING),
    )


def cancelled_instance(item: Mapping[str, Any], zone: ZoneInfo) -> CancelledInstance | None:
    """Given a cancelled item, return the instance of a series it cancels, or None for
    a whole event. Google guarantees a deleted item only its id: when the series and
    original start are missing, the instance id names them
    (``<seriesId>_<YYYYMMDDTHHMMSSZ>``, or ``_<YYYYMMDD>`` for a whole-day series)."""
    original = item.get("originalStartTime")
    if item.get("recurringEventId") and original:
        return CancelledInstance(item["recurringEventId"], _moment(original, zone)[0])
    series, _, stamp = str(item.get("id", "")).rpartition("_")
    if not series:
        return None
    try:
        if len(stamp) == 16:
            moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return CancelledInstance(series, moment)
        if len(stamp) == 8:
            day = datetime.strptime(stamp, "%Y%m%d").date()
            return CancelledInstance(series, datetime.combine(day, time(0), tzinfo=zone))
    except ValueError:
        return None
    return None


class ConnectedCalendar:
    """One Google calendar (``calendar_id``, e.g. "primary") of ``owner`` through a
    Calendar v3 client.

    ``connect`` returns the client; it is called at first use, so that an
    authorization Google refuses is this calendar's failure (reported, retried at
    each cycle) rather than the whole cycle's.
    """

    def __init__(self, connect: Callable[[], Any], calendar_id: str, owner: str) -> None:
        self._connection = Connection(connect)
        self.calendar_id = calendar_id
        self.owner = owner

    @property
    def client(self) -> Any:
        return self._connection.get()

    @property
    def name(self) -> str:
        return f"google:{self.owner_calendar}"

    @property
    def owner_calendar(self) -> str:
        """The calendar's id as others name it (the owner's address for "primary")."""
        return self.owner if self.calendar_id == "primary" else self.calendar_id


class GoogleCalendar(ConnectedCalendar):
    """The owner's calendar as a source of occurrences (incremental reads)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        calendar_id: str,
        zone: ZoneInfo,
        owner: str,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(connect, calendar_id, owner)
        self.zone = zone
        self.page_size = page_size

    def read(
        self,
        window: Interval,
        state: Mapping[str, str],
        progress: Callable[[], None] = lambda: None,  # each page is bounded by its timeout
    ) -> CalendarRead:
        span = f"{window.start.isoformat()}/{window.end.isoformat()}"
        token = state.get("sync_token") if state.get("window") == span else None
        try:
            if token:
                try:
                    return self._changes(token, span)
                except GoogleApiError as exc:
                    if exc.status != 410:
                        raise
                    log.info("%s: Google asks for a full sync (%s)", self.name, exc.reason)
            return self._everything(window, span)
        except GoogleAuthError as exc:
            self._connection.forget()
            raise SourceError(self.name, str(exc), needs_owner=True) from None
        except GoogleApiError as exc:
            raise SourceError(self.name, str(exc)) from None

    def _pages(self, **query: Any) -> Iterator[dict[str, Any]]:
        events = self.client.events()
        page_token = None
        while True:
            request = events.list(
                calendarId=self.calendar_id,
                singleEvents=True,
                showDeleted=True,
                maxResults=self.page_size,
                pageToken=page_token,
                **query,
            )
            page: dict[str, Any] = call(request, "calendar events.list")
            yield page
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def _everything(self, window: Interval, span: str) -> CalendarRead:
        return self._collect(
            self._pages(
                timeMin=window.start.astimezone(UTC).isoformat(),
                timeMax=window.end.astimezone(UTC).isoformat(),
            ),
            span,
            complete=True,
        )

    def _changes(self, token: str, span: str) -> CalendarRead:
        return self._collect(self._pages(syncToken=token), span, complete=False)

    def _collect(
        self, pages: Iterator[dict[str, Any]], span: str, *, complete: bool
    ) -> CalendarRead:
        occurrences: list[Occurrence] = []
        cancelled: list[CancelledInstance] = []
        removed: list[str] = []
        sync_token = ""
        for page in pages:
            sync_token = page.get("nextSyncToken", sync_token)
            for item in page.get("items", ()):
                if item.get("status") == "cancelled" and "start" not in item:
                    instance = cancelled_instance(item, self.zone)
                    if instance is not None:
                        cancelled.append(instance)
                    if instance is None or not item.get("recurringEventId"):
                        # An id alone may also be a single event's that merely looks
                        # like an instance's: removing an unknown one changes nothing.
                        removed.append(item["id"])
                    continue
                occurrences.append(occurrence_of(item, self.zone, self.owner))
        state = {"sync_token": sync_token, "window": span}
        changed = complete or bool(occurrences or cancelled or removed)
        return CalendarRead(
            changed=changed,
            state=state,
            occurrences=tuple(occurrences),
            complete=complete,
            cancelled=tuple(cancelled),
            removed=tuple(removed),
        )
