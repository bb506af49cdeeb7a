"""The emulator does what real Google does where cadence was caught out by it: booked
rooms, invitation copies on attendees' calendars, organizers other than the calendar's
owner, aliases and secondary calendars marked ``self``, event types, ids of deleted
events that stay taken, id-only cancellations, silent shares refused for addresses
without a Google account, exports with comments and a trailing newline, a stale
revision answered 400, and a call that did its work before failing. Every answer
is checked against the discovery schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from tests.google_emulator import GoogleEmulator
from tests.google_emulator.schemas import validate_response

pytestmark = pytest.mark.slow

LEA = "lea@example.com"  # the owner
LEA_ALIAS = "lea.lead@example.org"  # another address of Lea's account
MAX = "max@example.com"  # a report, also on Google
OUTSIDER = "sam@partner.example"  # no Google account
ROOM = "c_188room@resource.calendar.google.com"
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
MONDAY = {
    "start": {"dateTime": "2027-03-22T10:00:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2027-03-22T10:30:00", "timeZone": "Europe/Berlin"},
}
SPAN = {"timeMin": "2027-03-22T00:00:00Z", "timeMax": "2027-03-23T00:00:00Z"}


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    with GoogleEmulator() as emulator:
        emulator.now = NOW
        emulator.add_user(LEA, timezone="Europe/Berlin", aliases=(LEA_ALIAS,))
        emulator.add_user(MAX, timezone="Europe/Berlin")
        emulator.add_room(ROOM, "Room 4.01 Tiergarten")
        yield emulator
        # Whatever the test did, every answer stays within the discovery schemas.
        answered = [
            c
            for c in emulator.calls
            if "." in c.method_id and c.status < 300 and isinstance(c.response, dict)
        ]
        problems = {c.path: validate_response(c.method_id, c.response) for c in answered}
        assert {where: found for where, found in problems.items() if found} == {}


def api(google: GoogleEmulator, name: str, user: str = LEA) -> Any:
    return google.service(name, "v1" if name == "docs" else "v3", google.user_credentials(user))


def listed(google: GoogleEmulator, calendar_id: str = "primary", user: str = LEA) -> list[Any]:
    page = (
        api(google, "calendar", user)
        .events()
        .list(calendarId=calendar_id, singleEvents=True, showDeleted=True, **SPAN)
        .execute()
    )
    return list(page["items"])


def busy(google: GoogleEmulator, *calendars: str) -> dict[str, Any]:
    answer = (
        api(google, "calendar")
        .freebusy()
        .query(body={**SPAN, "items": [{"id": c} for c in calendars]})
        .execute()
    )
    return {c: answer["calendars"][c].get("busy") for c in calendars}


def error_of(caught: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    return dict(json.loads(caught.value.content)["error"])


def test_a_booked_room_is_an_attendee_marked_resource_that_accepts(
    google: GoogleEmulator,
) -> None:
    body = {**MONDAY, "summary": "1:1", "attendees": [{"email": MAX}, {"email": ROOM}]}
    created = api(google, "calendar").events().insert(calendarId="primary", body=body).execute()
    room = next(a for a in created["attendees"] if a["email"] == ROOM)
    assert room["resource"] is True and room["responseStatus"] == "accepted"
    assert busy(google, ROOM)[ROOM] == [
        {"start": "2027-03-22T09:00:00Z", "end": "2027-03-22T09:30:00Z"}
    ]
    assert all(ROOM not in n.recipients for n in google.sent_notifications)


def test_an_invitation_lands_on_the_attendees_calendar_organized_by_someone_else(
    google: GoogleEmulator,
) -> None:
    # Max organizes a 1:1 with Lea: Lea's calendar holds a copy under the same id.
    body = {
        **MONDAY,
        "summary": "Max / Lea",
        "attendees": [{"email": MAX}, {"email": LEA}],
        "extendedProperties": {"private": {"maxOnly": "1"}, "shared": {"both": "1"}},
    }
    made = google.create_event(MAX, body)
    (copy,) = listed(google)
    assert copy["id"] == made["id"] and copy["iCalUID"] == made["iCalUID"]
    assert copy["organizer"] == {"email": MAX}
    assert {a["email"]: a.get("self", False) for a in copy["attendees"]} == {MAX: False, LEA: True}
    assert copy["extendedProperties"] == {"shared": {"both": "1"}}

    # An attendee's change of time stays in her own copy.
    events = api(google, "calendar").events()
    later = {"start": {"dateTime": "2027-03-22T15:00:00+01:00"}}
    later["end"] = {"dateTime": "2027-03-22T15:30:00+01:00"}
    patched = events.patch(calendarId="primary", eventId=made["id"], body=later).execute()
    assert patched["start"]["dateTime"] == "2027-03-22T15:00:00+01:00"
    (theirs,) = google.events(MAX)
    assert theirs["start"]["dateTime"] == "2027-03-22T10:00:00+01:00"

    # Her answer reaches the organizer, and the organizer's changes reach her.
    google.respond(LEA, made["id"], LEA, "declined")
    (theirs,) = google.events(MAX)
    assert {a["email"]: a["responseStatus"] for a in theirs["attendees"]}[LEA] == "declined"
    google.delete_event(MAX, made["id"])
    assert [e["status"] for e in listed(google)] == ["cancelled"]


def test_an_invitation_to_an_alias_is_marked_self(google: GoogleEmulator) -> None:
    google.create_event(MAX, {**MONDAY, "attendees": [{"email": LEA_ALIAS}]})
    (copy,) = listed(google)
    (lea,) = [a for a in copy["attendees"] if a["email"] == LEA_ALIAS]
    assert lea["self"] is True


def test_an_invitation_from_outside_google_is_on_one_calendar_only(
    google: GoogleEmulator,
) -> None:
    uid = "040000008200E00074C5B7101A82E00800000000@outlook.example"
    body = {**MONDAY, "iCalUID": uid, "attendees": [{"email": OUTSIDER}, {"email": LEA}]}
    google.create_event(LEA, body, organizer=OUTSIDER)
    (copy,) = listed(google)
    assert copy["organizer"] == {"email": OUTSIDER} and copy["iCalUID"] == uid


def test_a_secondary_calendar_organizes_its_events_and_keeps_its_busy_time(
    google: GoogleEmulator,
) -> None:
    team = google.add_calendar(LEA, "1:1s", timezone="Europe/Berlin")
    body = {**MONDAY, "summary": "1:1", "attendees": [{"email": MAX}]}
    api(google, "calendar").events().insert(calendarId=team, body=body).execute()
    (event,) = listed(google, team)
    assert event["organizer"] == {"email": team, "displayName": "1:1s", "self": True}
    assert event["creator"] == {"email": LEA}
    google.create_event(LEA, {**MONDAY, "summary": "Board"} | _at("12:00", "13:00"))
    found = busy(google, team, LEA)
    assert found[team] == [{"start": "2027-03-22T09:00:00Z", "end": "2027-03-22T09:30:00Z"}]
    assert found[LEA] == [{"start": "2027-03-22T11:00:00Z", "end": "2027-03-22T12:00:00Z"}]


def _at(start: str, end: str) -> dict[str, Any]:
    zone = "Europe/Berlin"
    return {
        "start": {"dateTime": f"2027-03-22T{start}:00", "timeZone": zone},
        "end": {"dateTime": f"2027-03-22T{end}:00", "timeZone": zone},
    }


def test_event_types_block_time_or_not_and_only_some_can_be_made(
    google: GoogleEmulator,
) -> None:
    google.create_event(
        LEA, {"eventType": "outOfOffice", "summary": "Away"} | _at("08:00", "09:00")
    )
    google.create_event(LEA, {"eventType": "focusTime", "summary": "Focus"} | _at("11:00", "12:00"))
    home = {"type": "homeOffice", "homeOffice": {}}
    working = {"eventType": "workingLocation", "workingLocationProperties": home}
    google.create_event(LEA, {**working, "summary": "Home"} | _at("09:00", "17:00"))
    birthday = {"type": "birthday"}
    google.create_event(
        LEA,
        {
            "eventType": "birthday",
            "summary": "Max's birthday",
            "birthdayProperties": birthday,
            "start": {"date": "2027-03-22"},
            "end": {"date": "2027-03-23"},
            "recurrence": ["RRULE:FREQ=YEARLY"],
        },
    )
    google.create_event(
        LEA, {"eventType": "fromGmail", "summary": "Flight 1:1 Max"} | _at("13:00", "14:00")
    )
    kinds = {e["summary"]: e["eventType"] for e in listed(google)}
    assert kinds == {
        "Away": "outOfOffice",
        "Focus": "focusTime",
        "Home": "workingLocation",
        "Max's birthday": "birthday",
        "Flight 1:1 Max": "fromGmail",
    }
    assert busy(google, LEA)[LEA] == [
        {"start": "2027-03-22T07:00:00Z", "end": "2027-03-22T08:00:00Z"},
        {"start": "2027-03-22T10:00:00Z", "end": "2027-03-22T11:00:00Z"},
        {"start": "2027-03-22T12:00:00Z", "end": "2027-03-22T13:00:00Z"},
    ]
    events = api(google, "calendar").events()
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body={"eventType": "fromGmail", **MONDAY}).execute()
    assert caught.value.status_code == 400


def test_the_id_of_a_deleted_event_stays_taken(google: GoogleEmulator) -> None:
    events = api(google, "calendar").events()
    body = {"id": "cadence0001", **MONDAY}
    events.insert(calendarId="primary", body=body).execute()
    events.delete(calendarId="primary", eventId="cadence0001").execute()
    with pytest.raises(HttpError) as caught:
        events.insert(calendarId="primary", body=body).execute()
    assert caught.value.status_code == 409
    got = events.get(calendarId="primary", eventId="cadence0001").execute()
    assert got["status"] == "cancelled"


def test_a_cancelled_instance_may_come_with_its_id_alone(google: GoogleEmulator) -> None:
    master = google.create_event(LEA, {**MONDAY, "recurrence": ["RRULE:FREQ=WEEKLY"]})
    google.settings.id_only_cancellations = True
    google.cancel_instance(LEA, master["id"], datetime(2027, 3, 22, 9, 0, tzinfo=UTC))
    (item,) = listed(google)
    assert item == {
        "kind": "calendar#event",
        "etag": item["etag"],
        "id": f"{master['id']}_20270322T090000Z",
        "status": "cancelled",
    }


def test_a_silent_share_with_an_address_without_google_account_is_refused(
    google: GoogleEmulator,
) -> None:
    drive = api(google, "drive")
    doc = drive.files().create(body={"name": "Agenda"}).execute()["id"]
    person = {"type": "user", "role": "writer", "emailAddress": OUTSIDER}
    with pytest.raises(HttpError) as caught:
        drive.permissions().create(fileId=doc, sendNotificationEmail=False, body=person).execute()
    assert caught.value.status_code == 400
    assert error_of(caught)["errors"][0]["reason"] == "invalidSharingRequest"
    assert "Notify people" in error_of(caught)["message"]
    drive.permissions().create(fileId=doc, sendNotificationEmail=True, body=person).execute()
    assert [(p.email_address, p.notified) for p in google.permissions(doc)] == [(OUTSIDER, True)]
    silent = {**person, "emailAddress": MAX}
    drive.permissions().create(fileId=doc, sendNotificationEmail=False, body=silent).execute()


def test_the_export_carries_comments_and_a_trailing_newline(google: GoogleEmulator) -> None:
    drive = api(google, "drive")
    media = MediaInMemoryUpload(b"<h1>Agenda</h1><p>Topics</p>", mimetype="text/html")
    meta = {"name": "Agenda", "mimeType": "application/vnd.google-apps.document"}
    doc = drive.files().create(body=meta, media_body=media).execute()["id"]
    google.add_comment(doc, "Topics", "Can we add hiring?")
    exported = drive.files().export(fileId=doc, mimeType="text/plain").execute().decode()
    assert exported == "\ufeffAgenda\r\nTopics[a]\r\n\r\n[a]Can we add hiring?\r\n"
    paragraphs = api(google, "docs").documents().get(documentId=doc).execute()["body"]["content"]
    assert [p["paragraph"]["elements"][0]["textRun"]["content"] for p in paragraphs[1:]] == [
        "Agenda\n",
        "Topics\n",
    ]


def test_a_stale_revision_is_a_400_without_failed_precondition(google: GoogleEmulator) -> None:
    drive, docs = api(google, "drive"), api(google, "docs")
    meta = {"name": "Agenda", "mimeType": "application/vnd.google-apps.document"}
    doc = drive.files().create(body=meta).execute()["id"]
    revision = docs.documents().get(documentId=doc).execute()["revisionId"]
    insert = {"insertText": {"location": {"index": 1}, "text": "a"}}
    docs.documents().batchUpdate(documentId=doc, body={"requests": [insert]}).execute()
    pinned = {"requests": [insert], "writeControl": {"requiredRevisionId": revision}}
    with pytest.raises(HttpError) as caught:
        docs.documents().batchUpdate(documentId=doc, body=pinned).execute()
    assert caught.value.status_code == 400
    assert error_of(caught)["status"] == "INVALID_ARGUMENT"


def test_a_call_can_do_its_work_and_still_answer_an_error(google: GoogleEmulator) -> None:
    drive = api(google, "drive")
    google.fail("drive.files.create", 503, after=True)
    with pytest.raises(HttpError) as caught:
        drive.files().create(body={"name": "Agenda", "appProperties": {"k": "v"}}).execute()
    assert caught.value.status_code == 503
    listed = drive.files().list(q="appProperties has { key='k' and value='v' }").execute()
    assert [f["name"] for f in listed["files"]] == ["Agenda"]
