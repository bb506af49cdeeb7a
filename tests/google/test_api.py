"""Google API calls through the real client against the emulator: which failures are
retried (429, 5xx, 403 rate limits; Retry-After honoured), which are not, and how a
failure is reported."""

from __future__ import annotations

import random
from typing import Any

import pytest
from cadence.daemon.google.api import LONGEST_WAIT, GoogleApiError, call, service

from tests.google_emulator import GoogleEmulator
from tests.support.google_world import OWNER

pytestmark = pytest.mark.slow


def client(google: GoogleEmulator, api: str = "calendar", version: str = "v3") -> Any:
    creds = google.user_credentials(OWNER)
    return service(api, version, creds, env={"CADENCE_GOOGLE_ROOT": google.root})


class Waits:
    """Records the waits instead of sleeping them."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def listing(google: GoogleEmulator) -> Any:
    return client(google).events().list(calendarId="primary")


def test_429_is_retried_after_the_time_google_asks_for(google: GoogleEmulator) -> None:
    google.fail("calendar.events.list", 429, "rateLimitExceeded", retry_after=3)
    waits = Waits()
    result = call(listing(google), "calendar events.list", sleep=waits)
    assert result["kind"] == "calendar#events"
    assert waits.seconds == [3.0]
    assert [c.status for c in google.calls_to("calendar.events.list")] == [429, 200]


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_403_rate_limits_are_retried(google: GoogleEmulator, reason: str) -> None:
    google.fail("calendar.events.list", 403, reason)
    waits = Waits()
    call(listing(google), "calendar events.list", sleep=waits, rng=random.Random(1))
    assert len(waits.seconds) == 1 and 0.5 <= waits.seconds[0] <= 1.0


def test_server_errors_back_off_exponentially_with_jitter(google: GoogleEmulator) -> None:
    google.fail("calendar.events.list", 500, "backendError", times=3)
    waits = Waits()
    call(listing(google), "calendar events.list", sleep=waits, rng=random.Random(2))
    ceilings = [1.0, 2.0, 4.0]
    assert all(c / 2 <= w <= c for w, c in zip(waits.seconds, ceilings, strict=True))


def test_a_server_that_stays_down_fails_after_the_last_attempt(google: GoogleEmulator) -> None:
    google.fail("calendar.events.list", 503, "backendError", times=10)
    waits = Waits()
    with pytest.raises(GoogleApiError) as caught:
        call(listing(google), "calendar events.list", sleep=waits)
    assert len(google.calls_to("calendar.events.list")) == 5
    assert max(waits.seconds) <= LONGEST_WAIT
    assert caught.value.status == 503 and caught.value.reason == "backendError"


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "notFound"), (403, "forbidden"), (400, "badRequest")]
)
def test_other_client_errors_are_not_retried(
    google: GoogleEmulator, status: int, reason: str
) -> None:
    google.fail("calendar.events.get", status, reason)
    request = client(google).events().get(calendarId="primary", eventId="abcde")
    waits = Waits()
    with pytest.raises(GoogleApiError) as caught:
        call(request, "calendar events.get", sleep=waits)
    assert waits.seconds == []
    assert len(google.calls_to("calendar.events.get")) == 1
    message = str(caught.value)
    assert message.startswith(f"Google calendar events.get failed (HTTP {status}, {reason})")


def test_a_docs_rate_limit_is_recognised_without_an_errors_list(google: GoogleEmulator) -> None:
    docs = client(google, "docs", "v1")
    google.fail("docs.documents.create", 429, "rateLimitExceeded")
    waits = Waits()
    created = call(docs.documents().create(body={"title": "Agenda"}), "docs create", sleep=waits)
    assert created["title"] == "Agenda" and len(waits.seconds) == 1
