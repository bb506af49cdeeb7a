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
original start, and a deleted single event with only its id: those come back
as :attr:`CalendarRead.cancelled` and :attr:`CalendarRead.removed`, for the
store to apply to what it knows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.calendars import CalendarRead, CancelledInstance
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Attendee, Interval, Occurrence, Partstat, Status
from cadence.daemon.google.api import GoogleApiError, call
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


def _moment(value: Mapping[str, str], zone: ZoneInfo) -> tuple[datetime, bool]:
    """Given an event time ({dateTime} or {date}), return it aware, and whether it
    is a whole day (taken as midnight in the calendar's zone, as for ICS)."""
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or zone.key))
        return moment, False
    return datetime.combine(date.fromisoformat(value["date"]), time(0), tzinfo=zone), True


def occurrence_of(item: Mapping[str, Any], zone: ZoneInfo) -> Occurrence:
    """Given a full event (or instance) resource, return the occurrence it describes."""
    start, all_day = _moment(item["start"], zone)
    end, _ = _moment(item.get("end") or item["start"], zone)
    original = item.get("originalStartTime")
    private = (item.get("extendedProperties") or {}).get("private") or {}
    return Occurrence(
        uid=item.get("recurringEventId") or item["id"],
        start=start,
        end=max(end, start),
        summary=item.get("summary", ""),
        recurrence_id=_moment(original, zone)[0] if original else None,
        status=_STATUSES.get(item.get("status", ""), Status.CONFIRMED),
        organizer=(item.get("organizer") or {}).get("email"),
        attendees=tuple(
            Attendee(a["email"], _PARTSTATS.get(a.get("responseStatus", ""), Partstat.NEEDS_ACTION))
            for a in item.get("attendees", ())
            if a.get("email")
        ),
        person=private.get(MARKER),
        all_day=all_day,
        transparent=item.get("transparency") == "transparent",
    )


class ConnectedCalendar:
    """One Google calendar (``calendar_id``, e.g. "primary") of ``owner`` through a
    Calendar v3 client.

    ``connect`` returns the client; it is called at first use, so that an
    authorization Google refuses is this calendar's failure (reported, retried at
    each cycle) rather than the whole cycle's.
    """

    def __init__(self, connect: Callable[[], Any], calendar_id: str, owner: str) -> None:
        self._connect = connect
        self._client: Any = None
        self.calendar_id = calendar_id
        self.owner = owner

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

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
            self._client = None  # try the saved authorization afresh next time
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
                    original = item.get("originalStartTime")
                    if item.get("recurringEventId") and original:
                        start = _moment(original, self.zone)[0]
                        cancelled.append(CancelledInstance(item["recurringEventId"], start))
                    else:
                        removed.append(item["id"])
                    continue
                occurrences.append(occurrence_of(item, self.zone))
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
