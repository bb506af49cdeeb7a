"""Feed addresses: the ones cadence cannot read are named as such, and no address
is ever shown with more than its scheme, host and file name, whatever the scheme."""

from __future__ import annotations

import pytest
from cadence.daemon.core.urls import feed_url_problem, shown_url
from hypothesis import given
from hypothesis import strategies as st

SECRET = "private-5e3c7a9b1d2f4e6a8c0b"


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (f"https://calendar.google.com/calendar/ical/lea%40x.com/{SECRET}/basic.ics",
         "https://calendar.google.com/…/basic.ics"),
        (f"ftp://lea:hunter2@files.example.com/{SECRET}/cal.ics", "ftp://files.example.com/…/cal.ics"),
        (f"ftp://files.example.com/{SECRET}", "ftp://files.example.com/…"),
        (f"caldav://cal.example.com/dav/{SECRET}?token=s3cr3t", "caldav://cal.example.com/…"),
        (f"FILE:///home/lea/{SECRET}/lea.ics", "file:///…/lea.ics"),
        (f"http://[::1:9/{SECRET}", "http://(invalid address)"),
        (f"http://cal.example.com:99999/{SECRET}.ics", "http://(invalid address)"),
        (f"webcal://user:{SECRET}@p52-caldav.icloud.com/published/2/{SECRET}",
         "webcal://p52-caldav.icloud.com/…"),
        ("https://cal.example.com", "https://cal.example.com/"),
        ("calendars/lea.ics", "calendars/lea.ics"),
        ("C:\\feeds\\lea.ics", "C:\\feeds\\lea.ics"),
    ],
)  # fmt: skip
def test_an_address_is_shown_by_scheme_host_and_file_name(location: str, shown: str) -> None:
    assert shown_url(location) == shown


@given(
    scheme=st.sampled_from(
        ["https", "http", "webcal", "ftp", "sftp", "gopher", "x-custom", "file"]
    ),
    host=st.sampled_from(["cal.example.com", "[::1]", "127.0.0.1:8080", "[::1:9", "h:99999", ""]),
    before=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    after=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)
def test_no_secret_part_of_an_address_is_ever_shown(
    scheme: str, host: str, before: str, after: str
) -> None:
    for location in (
        f"{scheme}://{host}/{before}{SECRET}{after}/feed.ics",
        f"{scheme}://{host}/feed.ics?key={SECRET}",
        f"{scheme}://u:{SECRET}@{host}/x",
        f"{scheme}://{host}/{before}/{SECRET}",
        f"{scheme}://{host}#{SECRET}",
    ):
        assert SECRET not in shown_url(location), location


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("http://[::1:9/x", "not a valid address"),
        ("http://cal.example.com:99999/x.ics", "not a valid address"),
        ("http://cal.example.com:port/x.ics", "not a valid address"),
        (f"ftp://files.example.com/{SECRET}/cal.ics", "ftp:// cannot be read"),
        ("mailto:lea@example.com", "mailto:// cannot be read"),
        ("https:///basic.ics", "no host"),
        ("https://cal.example.com/a b.ics", "spaces or control characters"),
        ("file://server.example.com/share/cal.ics", "a file on this machine"),
        ("  ", "empty"),
    ],
)
def test_an_unusable_address_is_said_in_words_that_never_quote_it(
    location: str, problem: str
) -> None:
    found = feed_url_problem(location)
    assert found is not None and problem in found
    assert SECRET not in found and "files.example.com" not in found


@pytest.mark.parametrize(
    "location",
    [
        f"https://calendar.google.com/calendar/ical/lea%40x.com/{SECRET}/basic.ics",
        "webcal://p52-caldav.icloud.com/published/2/abc",
        "http://127.0.0.1:8080/feed.ics",
        "http://[::1]:8080/feed.ics",
        "file:///home/lea/lea.ics",
        "calendars/lea.ics",
        "~/lea.ics",
    ],
)
def test_readable_addresses_and_paths_pass(location: str) -> None:
    assert feed_url_problem(location) is None
