"""The Google API emulator, driven through the real google-api-python-client and google-auth.

Every test talks HTTP on loopback to a running ``GoogleEmulator``; nothing is mocked.
The last tests validate every response the emulator gave against the discovery
documents' schemas, so the emulator cannot drift from what Google can send.
"""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from tests.google_emulator import ConsentingBrowser, GoogleEmulator
from tests.google_emulator.schemas import validate, validate_response

pytestmark = pytest.mark.slow

SCOPE = "https://www.googleapis.com/auth/"
BERLIN = ZoneInfo("Europe/Berlin")
LEA = "lea@example.com"  # the owner: a lead in Berlin
MAX = "max@example.com"  # a report
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
ALL_SCOPES = [SCOPE + "calendar", SCOPE + "drive.file"]
# The body Google documents for an expired sync token (HTTP 410).
FULL_SYNC_REQUIRED = {
    "errors": [
        {
            "domain": "calendar",
            "reason": "fullSyncRequired",
            "message": "Sync token is no longer valid, a full sync is required.",
            "locationType": "parameter",
            "location": "syncToken",
        }
    ],
    "code": 410,
    "message": "Sync token is no longer valid, a full sync is required.",
}


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    with GoogleEmulator() as emulator:
        emulator.now = NOW
        emulator.add_user(LEA, timezone="Europe/Berlin")
        emulator.add_user(MAX, timezone="Europe/Berlin")
        yield emulator


def calendar_for(google: GoogleEmulator, user: str = LEA, scopes: list[str] = ALL_SCOPES) -> Any:
    return google.service("calendar", "v3", google.user_credentials(user, scopes))


def weekly_one_on_one(google: GoogleEmulator, **extra: Any) -> dict[str, Any]:
    """A weekly 10:00 Berlin 1:1 from Monday 2027-03-22, created by Lea in the web UI."""
    body = {
        "summary": "1:1 Lea / Max",
        "start": {"dateTime": "2027-03-22T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2027-03-22T10:30:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
        "attendees": [{"email": LEA, "responseStatus": "accepted"}, {"email": MAX}],
        **extra,
    }
    return google.create_event(LEA, body)


def berlin(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=BERLIN)


def error_of(caught: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return dict(json.loads(caught.value.content)["error"])


def reason_of(caught: pytest.ExceptionInfo[HttpError]) -> str:
    return str(error_of(caught)["errors"][0]["reason"])


WINDOW = {"timeMin": "2027-03-15T00:00:00Z", "timeMax": "2027-04-19T00:00:00Z"}


def full_sync(calendar: Any, **query: Any) -> tuple[list[dict[str, Any]], str]:
    """Page through a full sync; return every item and the sync token of the last page."""
    items: list[dict[str, Any]] = []
    page_token = None
    while True:
        page = calendar.events().list(calendarId="primary", pageToken=page_token, **query).execute()
        items += page["items"]
        page_token = page.get("nextPageToken")
        if page_token is None:
            return items, page["nextSyncToken"]
        assert "nextSyncToken" not in page


def incremental(calendar: Any, token: str, **query: Any) -> tuple[dict[str, dict[str, Any]], str]:
    items, next_token = full_sync(calendar, syncToken=token, **query)
    return {item["id"]: item for item in items}, next_token


# -- Calendar: listing and sync ---------------------------------------------------------


def test_full_sync_pages_with_a_sync_token_only_on_the_last_page(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    google.create_event(
        LEA,
        {
            "summary": "Dentist",
            "start": {"dateTime": "2027-03-24T15:00:00+01:00"},
            "end": {"dateTime": "2027-03-24T16:00:00+01:00"},
        },
    )
    calendar = calendar_for(google)
    pages = []
    page_token = None
    while True:
        page = (
            calendar.events()
            .list(
                calendarId="primary",
                singleEvents=True,
                maxResults=2,
                pageToken=page_token,
                **WINDOW,
            )
            .execute()
        )
        pages.append(page)
        page_token = page.get("nextPageToken")
        if page_token is None:
            break
    assert [len(p["items"]) for p in pages] == [2, 2, 1]  # 4 Mondays + the dentist
    assert all("nextSyncToken" not in p for p in pages[:-1])
    assert "nextSyncToken" in pages[-1] and "nextPageToken" not in pages[-1]
    assert pages[0]["kind"] == "calendar#events" and pages[0]["timeZone"] == "Europe/Berlin"
    instance = pages[0]["items"][0]
    assert instance["id"] == master["id"] + "_20270322T090000Z"
    assert instance["recurringEventId"] == master["id"]
    assert instance["originalStartTime"] == {
        "dateTime": "2027-03-22T10:00:00+01:00",
        "timeZone": "Europe/Berlin",
    }
    assert {a["email"]: a.get("self", False) for a in instance["attendees"]} == {
        LEA: True,
        MAX: False,
    }


def test_single_events_keep_local_time_across_the_dst_change(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    items = (
        calendar_for(google)
        .events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", **WINDOW)
        .execute()["items"]
    )
    assert [i["start"]["dateTime"] for i in items[:2]] == [
        "2027-03-22T10:00:00+01:00",
        "2027-03-29T10:00:00+02:00",  # Berlin moved to summer time on 2027-03-28
    ]
    assert [i["id"] for i in items[:2]] == [
        master["id"] + "_20270322T090000Z",
        master["id"] + "_20270329T080000Z",
    ]


def test_unexpanded_listing_returns_the_master_with_its_recurrence(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    items = calendar_for(google).events().list(calendarId="primary").execute()["items"]
    assert [i["id"] for i in items] == [master["id"]]
    assert items[0]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]


def test_private_extended_property_filters_the_listing(google: GoogleEmulator) -> None:
    marked = weekly_one_on_one(google, extendedProperties={"private": {"cadencePerson": MAX}})
    weekly_one_on_one(google, summary="Team sync")
    items = (
        calendar_for(google)
        .events()
        .list(calendarId="primary", privateExtendedProperty=f"cadencePerson={MAX}")
        .execute()["items"]
    )
    assert [i["id"] for i in items] == [marked["id"]]


def test_order_by_start_time_needs_single_events_and_gives_no_sync_token(
    google: GoogleEmulator,
) -> None:
    weekly_one_on_one(google)
    events = calendar_for(google).events()
    ordered = events.list(calendarId="primary", singleEvents=True, orderBy="startTime", **WINDOW)
    assert "nextSyncToken" not in ordered.execute()
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary", orderBy="startTime").execute()
    assert caught.value.status_code == 400
    assert "ordering is not available" in error_of(caught)["message"]


def changes_after(
    google: GoogleEmulator, change: Callable[[str], object]
) -> tuple[str, dict[str, dict[str, Any]]]:
    """Full-sync a weekly series (expanded), apply ``change(master_id)``, sync incrementally.

    Return the master id and the changed items by id; a further incremental sync is
    checked to be empty (each change is reported once).
    """
    master_id = weekly_one_on_one(google)["id"]
    calendar = calendar_for(google)
    _, token = full_sync(calendar, singleEvents=True, **WINDOW)
    change(master_id)
    changed, next_token = incremental(calendar, token, singleEvents=True)
    assert incremental(calendar, next_token, singleEvents=True)[0] == {}
    return master_id, changed


def test_incremental_sync_after_an_instance_is_cancelled(google: GoogleEmulator) -> None:
    master_id, changed = changes_after(
        google, lambda m: google.cancel_instance(LEA, m, berlin("2027-03-29"))
    )
    assert changed == {
        f"{master_id}_20270329T080000Z": {
            "kind": "calendar#event",
            "etag": changed[f"{master_id}_20270329T080000Z"]["etag"],
            "id": f"{master_id}_20270329T080000Z",
            "status": "cancelled",
            "recurringEventId": master_id,
            "originalStartTime": {
                "dateTime": "2027-03-29T10:00:00+02:00",
                "timeZone": "Europe/Berlin",
            },
        }
    }


def test_incremental_sync_after_an_instance_is_moved(google: GoogleEmulator) -> None:
    new_start, new_end = berlin("2027-03-30", 14), berlin("2027-03-30", 15)
    master_id, changed = changes_after(
        google, lambda m: google.move_instance(LEA, m, berlin("2027-03-29"), new_start, new_end)
    )
    [(item_id, moved)] = changed.items()
    assert item_id == f"{master_id}_20270329T080000Z" and moved["status"] == "confirmed"
    assert moved["start"]["dateTime"] == "2027-03-30T14:00:00+02:00"
    assert moved["originalStartTime"]["dateTime"] == "2027-03-29T10:00:00+02:00"


def test_incremental_sync_after_the_series_is_deleted(google: GoogleEmulator) -> None:
    master_id, changed = changes_after(google, lambda m: google.delete_event(LEA, m))
    assert sorted(changed) == [
        f"{master_id}_{day}"
        for day in ("20270322T090000Z", "20270329T080000Z", "20270405T080000Z", "20270412T080000Z")
    ]
    assert {item["status"] for item in changed.values()} == {"cancelled"}
    assert set(changed[f"{master_id}_20270405T080000Z"]) == {
        "kind",
        "etag",
        "id",
        "status",
        "recurringEventId",
        "originalStartTime",
    }


def test_incremental_sync_after_an_attendee_declines(google: GoogleEmulator) -> None:
    _, changed = changes_after(google, lambda m: google.respond(LEA, m, MAX, "declined"))
    assert len(changed) == 4  # a decline is not a deletion: every instance stays confirmed
    for item in changed.values():
        assert item["status"] == "confirmed"
        assert {a["email"]: a["responseStatus"] for a in item["attendees"]}[MAX] == "declined"


def test_incremental_sync_after_an_event_is_created(google: GoogleEmulator) -> None:
    offsite = {
        "id": "offsite01",
        "summary": "Offsite",
        "start": {"date": "2027-04-01"},
        "end": {"date": "2027-04-02"},
    }
    _, changed = changes_after(google, lambda m: google.create_event(LEA, offsite))
    assert list(changed) == ["offsite01"]
    assert changed["offsite01"]["start"] == {"date": "2027-04-01"}


def test_declining_one_instance_changes_only_that_instance(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    calendar = calendar_for(google)
    _, token = full_sync(calendar, singleEvents=True, **WINDOW)
    google.respond(LEA, master["id"], MAX, "declined", instance_start=berlin("2027-04-05"))
    changed, _ = incremental(calendar, token, singleEvents=True)
    [(item_id, item)] = changed.items()
    assert item_id == master["id"] + "_20270405T080000Z" and item["status"] == "confirmed"
    assert {a["email"]: a["responseStatus"] for a in item["attendees"]}[MAX] == "declined"
    busy = (
        calendar.freebusy()
        .query(body={**WINDOW, "items": [{"id": MAX}]})
        .execute()["calendars"][MAX]["busy"]
    )
    assert [b["start"] for b in busy] == [
        "2027-03-22T09:00:00Z",
        "2027-03-29T08:00:00Z",
        "2027-04-12T08:00:00Z",
    ]


def test_an_instance_moved_out_of_the_window_is_reported_where_it_went(
    google: GoogleEmulator,
) -> None:
    master = weekly_one_on_one(google)
    calendar = calendar_for(google)
    _, token = full_sync(calendar, singleEvents=True, **WINDOW)
    google.move_instance(
        LEA, master["id"], berlin("2027-04-12"), berlin("2027-04-20", 9), berlin("2027-04-20", 10)
    )
    changed, _ = incremental(calendar, token, singleEvents=True)
    moved = changed[master["id"] + "_20270412T080000Z"]
    assert (moved["status"], moved["start"]["dateTime"]) == (
        "confirmed",
        "2027-04-20T09:00:00+02:00",
    )
    listed = calendar.events().list(calendarId="primary", singleEvents=True, **WINDOW).execute()
    assert len(listed["items"]) == 3


def test_partial_responses_and_unknown_calendars(google: GoogleEmulator) -> None:
    weekly_one_on_one(google)
    events = calendar_for(google).events()
    page = events.list(
        calendarId="primary", fields="items(id,status),nextSyncToken", maxResults=5
    ).execute()
    assert set(page) == {"items", "nextSyncToken"}
    assert set(page["items"][0]) == {"id", "status"}
    with pytest.raises(HttpError) as caught:
        events.list(calendarId=MAX).execute()  # not shared with Lea
    assert caught.value.status_code == 404 and reason_of(caught) == "notFound"


def test_a_deleted_single_event_is_only_id_and_status(google: GoogleEmulator) -> None:
    calendar = calendar_for(google)
    event = (
        calendar.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Coffee",
                "start": {"dateTime": "2027-03-23T09:00:00Z"},
                "end": {"dateTime": "2027-03-23T09:30:00Z"},
            },
        )
        .execute()
    )
    _, token = full_sync(calendar)
    google.delete_event(LEA, event["id"])
    changed, _ = incremental(calendar, token)
    assert changed == {
        event["id"]: {
            "kind": "calendar#event",
            "etag": changed[event["id"]]["etag"],
            "id": event["id"],
            "status": "cancelled",
        }
    }


def test_invalidated_sync_token_is_410_then_a_full_sync_recovers(google: GoogleEmulator) -> None:
    weekly_one_on_one(google)
    calendar = calendar_for(google)
    items, token = full_sync(calendar, singleEvents=True, **WINDOW)
    google.invalidate_sync_tokens(LEA)
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    assert caught.value.status_code == 410
    assert error_of(caught) == FULL_SYNC_REQUIRED
    again, fresh = full_sync(calendar, singleEvents=True, **WINDOW)
    assert again == items
    assert incremental(calendar, fresh, singleEvents=True)[0] == {}


def test_sync_token_refuses_restrictions_and_other_query_shapes(google: GoogleEmulator) -> None:
    calendar = calendar_for(google)
    _, token = full_sync(calendar, singleEvents=True, **WINDOW)
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary", syncToken=token, **WINDOW).execute()
    assert caught.value.status_code == 400
    assert "Sync token cannot be used" in error_of(caught)["message"]
    with pytest.raises(HttpError) as caught:
        calendar.events().list(calendarId="primary", syncToken=token).execute()  # not expanded
    assert caught.value.status_code == 400


# -- Calendar: writes ------------------------------------------------------------------


def test_recurring_event_without_time_zone_is_refused(google: GoogleEmulator) -> None:
    body = {
        "summary": "1:1",
        "start": {"dateTime": "2027-03-22T10:00:00+01:00"},
        "end": {"dateTime": "2027-03-22T10:30:00+01:00"},
        "recurrence": ["RRULE:FREQ=WEEKLY"],
    }
    with pytest.raises(HttpError) as caught:
        calendar_for(google).events().insert(calendarId="primary", body=body).execute()
    assert caught.value.status_code == 400
    assert error_of(caught)["message"] == "Missing time zone definition for start time."


def test_client_chosen_ids_are_base32hex_and_unique(google: GoogleEmulator) -> None:
    events = calendar_for(google).events()
    body = {
        "id": "cadence0001",
        "start": {"dateTime": "2027-03-23T09:00:00Z"},
        "end": {"dateTime": "2027-03-23T09:30:00Z"},
    }
    assert events.insert(calendarId="primary", body=body).execute()["id"] == "cadence0001"
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=body).execute()
    assert caught.value.status_code == 409 and reason_of(caught) == "duplicate"
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body={**body, "id": "Not_Base32"}).execute()
    assert caught.value.status_code == 400


def test_patching_an_instance_creates_an_exception(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    events = calendar_for(google).events()
    instances = events.instances(
        calendarId="primary",
        eventId=master["id"],
        timeMin="2027-03-29T00:00:00Z",
        timeMax="2027-03-30T00:00:00Z",
    ).execute()["items"]
    assert len(instances) == 1
    moved = events.patch(
        calendarId="primary",
        eventId=instances[0]["id"],
        body={
            "start": {"dateTime": "2027-03-31T11:00:00+02:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2027-03-31T11:30:00+02:00", "timeZone": "Europe/Berlin"},
        },
    ).execute()
    assert moved["id"] == instances[0]["id"]
    assert moved["summary"] == "1:1 Lea / Max"  # patch keeps what it does not mention
    listed = events.list(calendarId="primary", singleEvents=True, **WINDOW).execute()["items"]
    by_id = {i["id"]: i for i in listed}
    assert by_id[moved["id"]]["start"]["dateTime"] == "2027-03-31T11:00:00+02:00"
    assert len(listed) == 4  # the moved instance replaced its generated one
    unexpanded = events.list(calendarId="primary").execute()["items"]
    assert [i["id"] for i in unexpanded] == [master["id"], moved["id"]]
    in_window = google.instances(
        LEA, master["id"], berlin("2027-03-29", 0), berlin("2027-04-01", 0)
    )
    assert [i["start"]["dateTime"] for i in in_window] == ["2027-03-31T11:00:00+02:00"]


def test_ending_a_series_with_until_cancels_its_later_instances(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    calendar = calendar_for(google)
    _, token = full_sync(calendar, singleEvents=True, **WINDOW)
    calendar.events().patch(
        calendarId="primary",
        eventId=master["id"],
        body={"recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270330T000000Z"]},
    ).execute()
    changed, _ = incremental(calendar, token, singleEvents=True)
    statuses = {item_id.split("_")[1]: item["status"] for item_id, item in changed.items()}
    assert statuses == {
        "20270322T090000Z": "confirmed",  # the master changed, so its instances did
        "20270329T080000Z": "confirmed",
        "20270405T080000Z": "cancelled",
        "20270412T080000Z": "cancelled",
    }


def test_deleting_twice_is_410_deleted(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    events = calendar_for(google).events()
    instance_id = master["id"] + "_20270329T080000Z"
    events.delete(calendarId="primary", eventId=instance_id).execute()
    with pytest.raises(HttpError) as caught:
        events.delete(calendarId="primary", eventId=instance_id).execute()
    assert caught.value.status_code == 410 and reason_of(caught) == "deleted"
    assert events.get(calendarId="primary", eventId=instance_id).execute()["status"] == "cancelled"


def test_if_match_with_a_stale_etag_is_412(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    events = calendar_for(google).events()
    request = events.patch(calendarId="primary", eventId=master["id"], body={"summary": "1:1"})
    request.headers["If-Match"] = master["etag"]
    updated = request.execute()
    assert updated["etag"] != master["etag"]
    stale = events.patch(calendarId="primary", eventId=master["id"], body={"summary": "x"})
    stale.headers["If-Match"] = master["etag"]
    with pytest.raises(HttpError) as caught:
        stale.execute()
    assert caught.value.status_code == 412 and reason_of(caught) == "conditionNotMet"


def test_attachments_need_supports_attachments_and_updates_notify(google: GoogleEmulator) -> None:
    events = calendar_for(google).events()
    body = {
        "summary": "1:1",
        "start": {"dateTime": "2027-03-23T09:00:00Z"},
        "end": {"dateTime": "2027-03-23T09:30:00Z"},
        "attendees": [{"email": MAX}],
        "attachments": [
            {"fileUrl": "https://docs.google.com/document/d/abc123/edit", "title": "Agenda"}
        ],
    }
    plain = events.insert(calendarId="primary", body=body).execute()
    assert "attachments" not in plain
    kept = events.insert(
        calendarId="primary", body=body, supportsAttachments=True, sendUpdates="all"
    ).execute()
    assert kept["attachments"] == [
        {
            "fileUrl": "https://docs.google.com/document/d/abc123/edit",
            "title": "Agenda",
            "fileId": "abc123",
            "mimeType": "application/vnd.google-apps.document",
        }
    ]
    assert [(n.event_id, n.recipients) for n in google.sent_notifications] == [(kept["id"], (MAX,))]


# -- free/busy -------------------------------------------------------------------------


def test_freebusy_reports_busy_time_and_not_found_calendars(google: GoogleEmulator) -> None:
    weekly_one_on_one(google)
    google.add_user("eve@example.com")
    google.hide_calendar("eve@example.com")
    google.respond(LEA, weekly_one_on_one(google, summary="Other")["id"], MAX, "declined")
    answer = (
        calendar_for(google)
        .freebusy()
        .query(
            body={
                "timeMin": "2027-03-22T00:00:00Z",
                "timeMax": "2027-03-23T00:00:00Z",
                "items": [{"id": MAX}, {"id": "eve@example.com"}, {"id": "primary"}],
            }
        )
        .execute()
    )
    assert answer["calendars"][MAX] == {
        "busy": [{"start": "2027-03-22T09:00:00Z", "end": "2027-03-22T09:30:00Z"}]
    }
    assert answer["calendars"]["eve@example.com"] == {
        "errors": [{"domain": "global", "reason": "notFound"}],
        "busy": [],
    }
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2027-03-22T09:00:00Z", "end": "2027-03-22T09:30:00Z"}
    ]


def test_freebusy_limits(google: GoogleEmulator) -> None:
    freebusy = calendar_for(google).freebusy()
    many = {
        "timeMin": "2027-03-22T00:00:00Z",
        "timeMax": "2027-03-23T00:00:00Z",
        "items": [{"id": f"user{n}@example.com"} for n in range(51)],
    }
    answer = freebusy.query(body=many).execute()
    reasons = {c["errors"][0]["reason"] for c in answer["calendars"].values()}
    assert reasons == {"tooManyCalendarsRequested"}
    long_range = {**many, "items": [{"id": MAX}], "timeMax": "2027-06-01T00:00:00Z"}
    with pytest.raises(HttpError) as caught:
        freebusy.query(body=long_range).execute()
    assert caught.value.status_code == 400 and reason_of(caught) == "timeRangeTooLong"


def test_calendar_events_scope_does_not_allow_freebusy(google: GoogleEmulator) -> None:
    calendar = calendar_for(google, scopes=[SCOPE + "calendar.events"])
    calendar.events().list(calendarId="primary").execute()
    body = {"timeMin": "2027-03-22T00:00:00Z", "timeMax": "2027-03-23T00:00:00Z", "items": []}
    with pytest.raises(HttpError) as caught:
        calendar.freebusy().query(body=body).execute()
    assert caught.value.status_code == 403 and reason_of(caught) == "insufficientPermissions"


# -- Drive and Docs --------------------------------------------------------------------

AGENDA_HTML = (
    "<html><head><title>ignored</title></head><body>"
    "<h1>1:1 Lea / Max</h1><h2>2027-03-22</h2>"
    "<p>Their topics</p><ul><li>- [ ] Ship the report (Max, 2027-03-25)</li></ul>"
    "</body></html>"
)


def create_agenda(drive: Any) -> dict[str, Any]:
    media = MediaInMemoryUpload(AGENDA_HTML.encode(), mimetype="text/html")
    metadata = {"name": "1:1 Lea / Max", "mimeType": "application/vnd.google-apps.document"}
    return dict(
        drive.files().create(body=metadata, media_body=media, fields="id,webViewLink").execute()
    )


def test_drive_converts_html_shares_and_exports(google: GoogleEmulator) -> None:
    drive = google.service("drive", "v3", google.user_credentials(LEA))
    created = create_agenda(drive)
    assert set(created) == {"id", "webViewLink"}
    assert created["webViewLink"].startswith(
        f"https://docs.google.com/document/d/{created['id']}/edit"
    )
    permission = (
        drive.permissions()
        .create(
            fileId=created["id"],
            sendNotificationEmail=False,
            body={"type": "user", "role": "writer", "emailAddress": MAX},
        )
        .execute()
    )
    assert set(permission) == {"kind", "id", "type", "role"}
    [shared] = google.permissions(created["id"])
    assert (shared.email_address, shared.role, shared.notified) == (MAX, "writer", False)
    exported = drive.files().export(fileId=created["id"], mimeType="text/plain").execute()
    assert exported.decode() == (
        "\ufeff1:1 Lea / Max\r\n2027-03-22\r\nTheir topics\r\n"
        "* - [ ] Ship the report (Max, 2027-03-25)\r\n"
    )
    metadata = drive.files().get(fileId=created["id"]).execute()
    assert metadata == {
        "kind": "drive#file",
        "id": created["id"],
        "name": "1:1 Lea / Max",
        "mimeType": "application/vnd.google-apps.document",
    }


def test_docs_insert_text_and_export_shows_it(google: GoogleEmulator) -> None:
    creds = google.user_credentials(LEA)
    docs = google.service("docs", "v1", creds)
    drive = google.service("drive", "v3", creds)
    doc_id = create_agenda(drive)["id"]
    document = docs.documents().get(documentId=doc_id).execute()
    content = document["body"]["content"]
    assert content[0] == {"endIndex": 1, "sectionBreak": content[0]["sectionBreak"]}
    assert content[1]["paragraph"]["paragraphStyle"]["namedStyleType"] == "HEADING_1"
    assert content[2]["startIndex"] == content[1]["endIndex"]
    heading_end = content[2]["endIndex"]
    reply = (
        docs.documents()
        .batchUpdate(
            documentId=doc_id,
            body={
                "requests": [
                    {"insertText": {"location": {"index": heading_end}, "text": "Notes\n"}}
                ]
            },
        )
        .execute()
    )
    assert reply["replies"] == [{}] and reply["documentId"] == doc_id
    assert google.document_text(doc_id).splitlines()[2] == "Notes"
    exported = drive.files().export(fileId=doc_id, mimeType="text/plain").execute().decode()
    assert "2027-03-22\r\nNotes\r\nTheir topics" in exported
    end = docs.documents().get(documentId=doc_id).execute()["body"]["content"][-1]["endIndex"]
    beyond = {"requests": [{"insertText": {"location": {"index": end}, "text": "x"}}]}
    with pytest.raises(HttpError) as caught:
        docs.documents().batchUpdate(documentId=doc_id, body=beyond).execute()
    assert caught.value.status_code == 400
    assert error_of(caught) == {
        "code": 400,
        "message": f"Invalid requests[0].insertText: Index {end} must be less than the end "
        f"index of the referenced segment, {end}.",
        "status": "INVALID_ARGUMENT",
    }


def test_docs_create_delete_and_style(google: GoogleEmulator) -> None:
    docs = google.service("docs", "v1", google.user_credentials(LEA))
    doc_id = docs.documents().create(body={"title": "Agenda"}).execute()["documentId"]
    requests = [
        {"insertText": {"location": {"index": 1}, "text": "Heading\nHello world\n"}},
        {"deleteContentRange": {"range": {"startIndex": 14, "endIndex": 20}}},
        {
            "updateParagraphStyle": {
                "range": {"startIndex": 1, "endIndex": 8},
                "paragraphStyle": {"namedStyleType": "HEADING_2"},
                "fields": "namedStyleType",
            }
        },
        {"createParagraphBullets": {"range": {"startIndex": 9, "endIndex": 14}}},
    ]
    docs.documents().batchUpdate(documentId=doc_id, body={"requests": requests}).execute()
    assert google.document_text(doc_id) == "Heading\nHello\n\n"
    paragraphs = [
        c["paragraph"]
        for c in docs.documents().get(documentId=doc_id).execute()["body"]["content"][1:]
    ]
    assert [p["paragraphStyle"]["namedStyleType"] for p in paragraphs] == [
        "HEADING_2",
        "NORMAL_TEXT",
        "NORMAL_TEXT",
    ]
    assert ["bullet" in p for p in paragraphs] == [False, True, False]


def test_drive_file_scope_sees_only_what_the_app_created(google: GoogleEmulator) -> None:
    mine = google.create_document(LEA, "Private notes", "secret")
    creds = google.user_credentials(LEA, [SCOPE + "drive.file"])
    with pytest.raises(HttpError) as caught:
        google.service("drive", "v3", creds).files().get(fileId=mine).execute()
    assert caught.value.status_code == 404 and reason_of(caught) == "notFound"
    with pytest.raises(HttpError) as caught:
        google.service("docs", "v1", creds).documents().get(documentId=mine).execute()
    assert caught.value.status_code == 404 and error_of(caught)["status"] == "NOT_FOUND"
    wide = google.user_credentials(LEA, [SCOPE + "drive"])
    assert google.service("drive", "v3", wide).files().get(fileId=mine).execute()["id"] == mine


# -- OAuth -----------------------------------------------------------------------------


def test_access_tokens_refresh_and_revoked_refresh_tokens_fail(google: GoogleEmulator) -> None:
    creds = google.user_credentials(LEA)
    events = google.service("calendar", "v3", creds).events()
    events.list(calendarId="primary").execute()
    google.expire_access_tokens()
    events.list(calendarId="primary").execute()  # 401, refresh, retry: invisible to the caller
    assert [c.method_id for c in google.calls] == [
        "token",
        "calendar.events.list",
        "calendar.events.list",
        "token",
        "calendar.events.list",
    ]
    assert [c.status for c in google.calls_to("calendar.events.list")] == [200, 401, 200]
    google.revoke(LEA)
    with pytest.raises(RefreshError) as caught:
        events.list(calendarId="primary").execute()
    assert "invalid_grant: Token has been expired or revoked." in str(caught.value)


def test_token_endpoint_faults_surface_as_refresh_errors(google: GoogleEmulator) -> None:
    google.fail("token", 400, "invalid_grant")
    events = calendar_for(google).events()
    with pytest.raises(RefreshError, match="invalid_grant"):
        events.list(calendarId="primary").execute()
    events.list(calendarId="primary").execute()
    assert [(c.method_id, c.status) for c in google.calls] == [
        ("token", 400),
        ("token", 200),
        ("calendar.events.list", 200),
    ]


def test_calls_without_a_token_get_google_401(google: GoogleEmulator) -> None:
    events = google.service("calendar", "v3", None).events()
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary").execute()
    assert caught.value.status_code == 401
    assert error_of(caught)["status"] == "UNAUTHENTICATED"
    assert reason_of(caught) == "required"


def test_service_account_with_subject_acts_as_the_user(
    google: GoogleEmulator, tmp_path: Path
) -> None:
    key_file = google.service_account_file(tmp_path / "sa.json")
    creds = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(key_file), scopes=[SCOPE + "calendar"]
    ).with_subject(LEA)
    weekly_one_on_one(google)
    items = google.service("calendar", "v3", creds).events().list(calendarId="primary").execute()
    assert len(items["items"]) == 1
    assert google.calls_to("token")[0].user == LEA
    stranger = creds.with_subject("nobody@example.com")
    with pytest.raises(RefreshError, match="invalid_grant"):
        google.service("calendar", "v3", stranger).events().list(calendarId="primary").execute()


def test_installed_app_flow_completes_through_the_consent_page(
    google: GoogleEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # http auth/token URLs on loopback
    webbrowser.register("google-emulator", None, ConsentingBrowser("google-emulator"))
    secrets = google.client_secrets(tmp_path / "client_secret.json")
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets), scopes=ALL_SCOPES)
    creds = flow.run_local_server(
        port=0, open_browser=True, browser="google-emulator", prompt="consent", timeout_seconds=10
    )
    assert creds.refresh_token and creds.token
    assert [c.status for c in google.calls] == [302, 200]  # consent page, code exchange
    items = google.service("calendar", "v3", creds).events().list(calendarId="primary").execute()
    assert items["summary"] == LEA


# -- batches, faults, the call log -----------------------------------------------------


def test_a_calendar_batch_of_patches(google: GoogleEmulator) -> None:
    master = weekly_one_on_one(google)
    calendar = calendar_for(google)
    calendar.events().list(calendarId="primary").execute()
    google.reset_calls()
    answers: dict[str, Any] = {}
    batch = calendar.new_batch_http_request(
        callback=lambda rid, resp, exc: answers.update({rid: (resp, exc)})
    )
    for day in ("20270322T090000Z", "20270329T080000Z", "20270405T080000Z"):
        batch.add(
            calendar.events().patch(
                calendarId="primary",
                eventId=f"{master['id']}_{day}",
                body={"description": f"Agenda: https://docs.google.com/document/d/{day}"},
            )
        )
    batch.execute()
    assert all(exc is None for _, exc in answers.values())
    assert sorted(resp["description"][-16:] for resp, _ in answers.values()) == [
        "20270322T090000Z",
        "20270329T080000Z",
        "20270405T080000Z",
    ]
    assert [(c.method_id, c.in_batch) for c in google.calls] == [("batch", False)] + [
        ("calendar.events.patch", True)
    ] * 3
    assert len(google.events(LEA)) == 4  # the master and three exceptions


def test_drive_batches_hold_at_most_100_calls(google: GoogleEmulator) -> None:
    drive = google.service("drive", "v3", google.user_credentials(LEA))
    doc_id = create_agenda(drive)["id"]
    batch = drive.new_batch_http_request()
    for _ in range(101):
        batch.add(drive.files().get(fileId=doc_id))
    with pytest.raises(HttpError) as caught:
        batch.execute()
    assert caught.value.status_code == 400
    assert google.calls_to("drive.files.get") == []


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (429, "rateLimitExceeded", "usageLimits"),
        (403, "rateLimitExceeded", "usageLimits"),
        (403, "userRateLimitExceeded", "usageLimits"),
        (500, "backendError", "global"),
    ],
)
def test_injected_faults_look_like_google(
    google: GoogleEmulator, status: int, reason: str, domain: str
) -> None:
    google.fail("calendar.events.list", status, reason, retry_after=7)
    events = calendar_for(google).events()
    with pytest.raises(HttpError) as caught:
        events.list(calendarId="primary").execute()
    assert caught.value.status_code == status
    assert caught.value.resp["retry-after"] == "7"
    assert error_of(caught)["errors"][0] == {
        "domain": domain,
        "reason": reason,
        "message": error_of(caught)["message"],
    }
    events.list(calendarId="primary").execute()  # times=1: the next call succeeds
    assert [c.status for c in google.calls_to("calendar.events.list")] == [status, 200]


def test_an_injected_410_is_the_documented_body(google: GoogleEmulator) -> None:
    google.fail("calendar.events.list", 410, "fullSyncRequired")
    with pytest.raises(HttpError) as caught:
        calendar_for(google).events().list(calendarId="primary", syncToken="x").execute()
    assert json.loads(caught.value.content) == {"error": FULL_SYNC_REQUIRED}


def test_docs_faults_have_no_errors_array(google: GoogleEmulator) -> None:
    google.fail("docs.documents.create", 429, "rateLimitExceeded")
    docs = google.service("docs", "v1", google.user_credentials(LEA))
    with pytest.raises(HttpError) as caught:
        docs.documents().create(body={"title": "x"}).execute()
    error = error_of(caught)
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert "errors" not in error and error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


# -- schema fidelity -------------------------------------------------------------------

IMPLEMENTED = {
    "calendar.events.list",
    "calendar.events.get",
    "calendar.events.insert",
    "calendar.events.patch",
    "calendar.events.update",
    "calendar.events.delete",
    "calendar.events.instances",
    "calendar.freebusy.query",
    "drive.files.create",
    "drive.files.get",
    "drive.files.export",
    "drive.permissions.create",
    "docs.documents.create",
    "docs.documents.get",
    "docs.documents.batchUpdate",
}


def test_every_response_matches_the_discovery_schema(google: GoogleEmulator) -> None:
    """Run a scenario through every implemented method and validate each JSON response."""
    creds = google.user_credentials(LEA)
    calendar = google.service("calendar", "v3", creds)
    drive = google.service("drive", "v3", creds)
    docs = google.service("docs", "v1", creds)
    events = calendar.events()
    master = weekly_one_on_one(
        google,
        extendedProperties={"private": {"cadencePerson": MAX}},
        transparency="opaque",
    )
    allday = events.insert(
        calendarId="primary",
        supportsAttachments=True,
        body={
            "summary": "Offsite",
            "start": {"date": "2027-03-24"},
            "end": {"date": "2027-03-26"},
            "recurrence": ["RRULE:FREQ=MONTHLY;COUNT=2"],
            "attachments": [{"fileUrl": "https://docs.google.com/document/d/x/edit", "title": "x"}],
        },
    ).execute()
    _, token = full_sync(calendar, singleEvents=True, maxResults=3, **WINDOW)
    full_sync(calendar, showDeleted=True)
    instance_id = master["id"] + "_20270329T080000Z"
    events.patch(calendarId="primary", eventId=instance_id, body={"summary": "moved"}).execute()
    events.update(
        calendarId="primary",
        eventId=allday["id"],
        body={"summary": "Offsite", "start": {"date": "2027-03-24"}, "end": {"date": "2027-03-25"}},
    ).execute()
    events.get(calendarId="primary", eventId=instance_id, timeZone="America/New_York").execute()
    events.instances(calendarId="primary", eventId=master["id"], maxResults=2).execute()
    events.delete(calendarId="primary", eventId=master["id"] + "_20270405T080000Z").execute()
    google.respond(LEA, master["id"], MAX, "declined")
    incremental(calendar, token, singleEvents=True)
    calendar.freebusy().query(
        body={
            "timeMin": "2027-03-22T00:00:00Z",
            "timeMax": "2027-04-01T00:00:00Z",
            "timeZone": "Europe/Berlin",
            "items": [{"id": LEA}, {"id": "nobody@example.com"}],
        }
    ).execute()
    doc_id = create_agenda(drive)["id"]
    drive.files().create(body={"name": "notes.txt"}).execute()
    drive.files().get(fileId=doc_id, fields="*").execute()
    drive.files().get(fileId=doc_id).execute()
    drive.permissions().create(
        fileId=doc_id, body={"type": "user", "role": "writer", "emailAddress": MAX}
    ).execute()
    drive.files().export(fileId=doc_id, mimeType="text/plain").execute()
    docs.documents().create(body={"title": "Empty"}).execute()
    docs.documents().get(documentId=doc_id).execute()
    bullets = {"createParagraphBullets": {"range": {"startIndex": 1, "endIndex": 3}}}
    docs.documents().batchUpdate(documentId=doc_id, body={"requests": [bullets]}).execute()
    docs.documents().get(documentId=doc_id).execute()

    answered = [c for c in google.calls if c.method_id in IMPLEMENTED and c.status < 300]
    assert {c.method_id for c in answered} == IMPLEMENTED
    problems = {
        f"{c.method_id} {c.path}": validate_response(c.method_id, c.response) for c in answered
    }
    assert {where: found for where, found in problems.items() if found} == {}


def test_the_validator_catches_drift() -> None:
    event = {"kind": "calendar#event", "id": "x", "start": {"dateTime": "2027-03-22T10:00:00Z"}}
    assert validate(event, "calendar", "Event") == []
    assert validate({**event, "colour": "red"}, "calendar", "Event") == [
        "Event: unknown property 'colour'"
    ]
    assert validate({**event, "sequence": "1"}, "calendar", "Event") == [
        "Event.sequence: expected an integer, got '1'"
    ]
    assert validate({**event, "updated": "yesterday"}, "calendar", "Event") == [
        "Event.updated: 'yesterday' is not a valid date-time"
    ]
    assert validate({"version": 3}, "drive", "File") == ["File.version: expected a string, got 3"]
    busy = {"calendars": {"a": {"busy": [{"start": "2027-03-22T10:00:00Z", "end": 1}]}}}
    assert validate(busy, "calendar", "FreeBusyResponse") == [
        "FreeBusyResponse.calendars['a'].busy[0].end: expected a string, got 1"
    ]
