"""Fetching feeds from a real HTTP server and from files, and the ICS adapter on top."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.calendars import ics
from cadence.daemon.calendars.feed_fetch import fetch_feed, source_name
from cadence.daemon.calendars.ics import IcsCalendar
from cadence.daemon.calendars.ics_parse import ParsedCalendar, parse_calendar
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval, Status

from tests.adapters.calendar_contract import check_calendar_contract
from tests.support.feed_server import FEED_PATH, SECRET, FeedServer, feed_server
from tests.support.paths import FIXTURES

__all__ = ["feed_server"]  # the fixture, used by name below

BERLIN = ZoneInfo("Europe/Berlin")
GOOGLE = (FIXTURES / "google_xwr_timezone_cancelled_instance.ics").read_bytes()
SEPTEMBER = Interval(datetime(2026, 9, 1, tzinfo=BERLIN), datetime(2026, 10, 1, tzinfo=BERLIN))
OCTOBER = Interval(datetime(2026, 10, 1, tzinfo=BERLIN), datetime(2026, 11, 1, tzinfo=BERLIN))


def calendar_for(location: str, **options: Any) -> IcsCalendar:
    settings: dict[str, Any] = {"default_zone": BERLIN, "timeout": 5.0, **options}
    return IcsCalendar(location, **settings)


# -- HTTP: conditional requests ------------------------------------------------------


def test_second_fetch_is_a_conditional_request_answered_304(feed_server: FeedServer) -> None:
    first = fetch_feed(feed_server.url, {})
    assert first.body == feed_server.body
    assert set(first.state) == {"etag", "last_modified", "content_hash"}
    second = fetch_feed(feed_server.url, first.state)
    assert second.body is None and not second.changed
    headers = feed_server.requests[-1].headers
    assert headers["If-None-Match"] == feed_server.etag
    assert headers["If-Modified-Since"] == feed_server.last_modified
    assert headers["User-Agent"].startswith("cadence/")


def test_unchanged_feed_is_not_parsed(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.set_body(GOOGLE)
    parses: list[bytes] = []

    def counting_parse(body: bytes, *args: Any, **kwargs: Any) -> ParsedCalendar:
        parses.append(body)
        return parse_calendar(body, *args, **kwargs)

    monkeypatch.setattr(ics, "parse_calendar", counting_parse)
    calendar = calendar_for(feed_server.url)
    first = calendar.read(SEPTEMBER, {})
    assert first.changed and len(first.occurrences) == 5
    second = calendar.read(SEPTEMBER, first.state)
    assert not second.changed and second.occurrences == ()
    assert len(parses) == 1 and feed_server.request_count == 2


def test_same_body_without_validators_is_unchanged_by_hash(feed_server: FeedServer) -> None:
    feed_server.without_validators()
    first = fetch_feed(feed_server.url, {})
    assert "etag" not in first.state and "content_hash" in first.state
    second = fetch_feed(feed_server.url, first.state)
    assert second.body is None
    assert "If-None-Match" not in feed_server.requests[-1].headers


def test_changed_feed_is_read_again(feed_server: FeedServer) -> None:
    calendar = calendar_for(feed_server.url)
    feed_server.set_body(GOOGLE)
    first = calendar.read(SEPTEMBER, {})
    feed_server.set_body(GOOGLE.replace(b"STATUS:CANCELLED", b"STATUS:CONFIRMED"))
    second = calendar.read(SEPTEMBER, first.state)
    assert second.changed
    assert Status.CANCELLED not in {o.status for o in second.occurrences}


def test_redirects_are_followed(feed_server: FeedServer) -> None:
    feed_server.redirect(hops=3)
    assert fetch_feed(feed_server.url, {}).body == feed_server.body
    feed_server.redirect(hops=6)
    with pytest.raises(SourceError, match="more than 5 redirects"):
        fetch_feed(feed_server.url, {})


# -- HTTP: what goes wrong -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "the feed refused access (HTTP 401): check the secret address"),
        (403, "the feed refused access (HTTP 403): check the secret address"),
        (404, "not found (HTTP 404): check calendar.ics.url"),
        (500, "the server failed (HTTP 500); will retry"),
        (503, "the server failed (HTTP 503); will retry"),
    ],
)
def test_http_errors_name_the_source_and_what_to_do(
    feed_server: FeedServer, status: int, expected: str
) -> None:
    feed_server.fail_with(status)
    with pytest.raises(SourceError) as error:
        calendar_for(feed_server.url).read(SEPTEMBER, {})
    assert error.value.source == source_name(feed_server.url)
    assert error.value.reason == expected
    assert SECRET not in str(error.value)


def test_slow_answer_gives_up_at_the_timeout(feed_server: FeedServer) -> None:
    feed_server.answer_slowly(10)
    started = time.monotonic()
    with pytest.raises(SourceError, match="within 1 s; will retry"):
        fetch_feed(feed_server.url, {}, timeout=1.0)
    # Behaviour, not speed: it gave up long before the server's 10 s answer.
    assert time.monotonic() - started < 6.0


def test_trickled_body_gives_up_at_the_overall_deadline(feed_server: FeedServer) -> None:
    feed_server.trickle(0.3)  # every byte well within any read timeout
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"within 1\.5 s"):
        fetch_feed(feed_server.url, {}, timeout=1.5)
    # Behaviour, not speed: a trickled feed would take minutes to finish.
    assert time.monotonic() - started < 6.0


def test_html_login_page_is_a_clear_error(feed_server: FeedServer) -> None:
    feed_server.serve_html()
    with pytest.raises(SourceError) as error:
        fetch_feed(feed_server.url, {})
    assert error.value.reason == (
        "the response is not iCalendar (it looks like an HTML page: "
        "is the address the secret iCal address?)"
    )


def test_oversized_streamed_body_is_cut_off(feed_server: FeedServer) -> None:
    feed_server.serve_oversized(5_000_000)
    with pytest.raises(SourceError, match=r"larger than 0\.1 MB; raise calendar\.ics\.max_size"):
        fetch_feed(feed_server.url, {}, max_bytes=100_000)


def test_oversized_declared_body_is_refused(feed_server: FeedServer) -> None:
    feed_server.set_body(GOOGLE)
    with pytest.raises(SourceError, match="larger than"):
        fetch_feed(feed_server.url, {}, max_bytes=1_000)


def test_default_limit_is_20_mb(feed_server: FeedServer) -> None:
    feed_server.serve_oversized(21_000_000)
    with pytest.raises(SourceError, match="larger than 20 MB"):
        fetch_feed(feed_server.url, {})


def test_unreachable_hosts_are_source_errors() -> None:
    with pytest.raises(SourceError, match=r"cannot connect to 127\.0\.0\.1:9"):
        fetch_feed("http://127.0.0.1:9/feed.ics", {}, timeout=2.0)
    # A resolver that never answers makes it a timeout instead; both say what to do.
    resolve = r"cannot resolve the host cadence-test\.invalid|no complete answer within 2 s"
    with pytest.raises(SourceError, match=resolve):
        fetch_feed("https://cadence-test.invalid/feed.ics", {}, timeout=2.0)


def test_failed_parse_raises_and_the_old_state_still_works(feed_server: FeedServer) -> None:
    calendar = calendar_for(feed_server.url)
    feed_server.set_body(GOOGLE)
    good = calendar.read(SEPTEMBER, {})
    feed_server.set_body(b"BEGIN:VCALENDAR\r\nCALSCALE:CHINESE\r\nEND:VCALENDAR\r\n")
    with pytest.raises(SourceError, match="not Gregorian"):
        calendar.read(SEPTEMBER, good.state)
    feed_server.set_body(GOOGLE)
    assert not calendar.read(SEPTEMBER, good.state).changed


def test_skipped_events_are_logged_with_source_and_count(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    broken = b"BEGIN:VEVENT\r\nUID:broken-1\r\nDTSTART:2026091X\r\nEND:VEVENT\r\n"
    feed_server.set_body(GOOGLE.replace(b"END:VCALENDAR", broken + b"END:VCALENDAR"))
    with caplog.at_level(logging.WARNING, logger=ics.__name__):
        read = calendar_for(feed_server.url).read(SEPTEMBER, {})
    assert read.changed and read.occurrences
    (record,) = caplog.records
    assert source_name(feed_server.url) in record.getMessage()
    assert "skipped 1 unreadable event" in record.getMessage()
    assert "broken-1" in record.getMessage()


# -- names without secrets -----------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "name"),
    [
        (
            "https://calendar.google.com/calendar/ical/lea%40example.com/"
            "private-0123456789abcdef0123456789abcdef/basic.ics",
            "https://calendar.google.com/…/basic.ics",
        ),
        (
            "https://outlook.office365.com/owa/calendar/0f1e2d3c4b5a@example.com/"
            "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d12345/calendar.ics",
            "https://outlook.office365.com/…/calendar.ics",
        ),
        (
            "webcal://p52-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4",
            "webcal://p52-caldav.icloud.com/…",
        ),
        (
            "https://user:hunter2@cal.example.com:8443/feed.ics?token=s3cr3t",
            "https://cal.example.com:8443/feed.ics",
        ),
        ("https://cal.example.com/k8f7g6h5j4k3l2m1.ics", "https://cal.example.com/…"),
        ("calendars/lea.ics", "calendars/lea.ics"),
    ],
)
def test_source_name_hides_secrets(location: str, name: str) -> None:
    assert source_name(location) == name


def test_secret_url_parts_never_reach_errors(feed_server: FeedServer) -> None:
    port = feed_server.url.split(":")[2].split("/")[0]
    location = f"http://lea:hunter2@127.0.0.1:{port}{FEED_PATH}?token=s3cr3t"
    for status in (403, 200):
        if status == 200:
            feed_server.serve_html()
        else:
            feed_server.fail_with(status)
        with pytest.raises(SourceError) as error:
            calendar_for(location).read(SEPTEMBER, {})
        for secret in ("hunter2", "lea:", SECRET, "s3cr3t", "lea%40example.com"):
            assert secret not in str(error.value)


# -- files ---------------------------------------------------------------------------


def test_relative_file_is_read_against_base_dir(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "lea.ics").write_bytes(GOOGLE)
    calendar = calendar_for("feeds/lea.ics", base_dir=tmp_path)
    first = calendar.read(SEPTEMBER, {})
    assert len(first.occurrences) == 5
    assert not calendar.read(SEPTEMBER, first.state).changed  # same content hash
    uri = (tmp_path / "feeds" / "lea.ics").as_uri()
    assert fetch_feed(uri, first.state).body is None


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda path: None, "no such file: check calendar.ics.url"),
        (lambda path: path.mkdir(), "a directory, not an .ics file: check calendar.ics.url"),
        (lambda path: path.write_bytes(b""), "the file is empty, not iCalendar"),
    ],
)
def test_unreadable_files_are_named(
    tmp_path: Path, setup: Callable[[Path], object], expected: str
) -> None:
    path = tmp_path / "lea.ics"
    setup(path)
    with pytest.raises(SourceError) as error:
        fetch_feed("lea.ics", {}, base_dir=tmp_path)
    assert (error.value.source, error.value.reason) == ("lea.ics", expected)


# -- the contract every calendar adapter passes ----------------------------------------


def test_ics_calendar_passes_the_calendar_contract(feed_server: FeedServer) -> None:
    feed_server.set_body(GOOGLE)
    calendar = calendar_for(feed_server.url)
    check_calendar_contract(
        calendar, SEPTEMBER, OCTOBER, secrets=[SECRET, "lea%40example.com", "private-"]
    )


def test_ics_file_calendar_passes_the_calendar_contract(tmp_path: Path) -> None:
    (tmp_path / "outlook.ics").write_bytes((FIXTURES / "outlook_windows_tzid.ics").read_bytes())
    window = Interval(datetime(2026, 11, 1, tzinfo=BERLIN), datetime(2026, 12, 1, tzinfo=BERLIN))
    later = Interval(datetime(2027, 1, 1, tzinfo=BERLIN), datetime(2027, 2, 1, tzinfo=BERLIN))
    check_calendar_contract(calendar_for("outlook.ics", base_dir=tmp_path), window, later)
