"""The web app's pieces on their own: the [web] settings, the rate limits, and the
agenda rendered as HTML (escaped, inert, with a tick form per action item)."""

from __future__ import annotations

import pytest
from cadence.daemon.core.values import parse_base_url, parse_listen
from cadence.daemon.web.agenda_html import agenda_html
from cadence.daemon.web.guard import FAILURES_PER_MINUTE, LINKS_PER_MINUTE, RateLimits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8470", ("127.0.0.1", 8470)),
        ("[::1]:8000", ("::1", 8000)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_listen_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["8470", "127.0.0.1", "host:0", "host:70000", "a b:80", ":80"])
def test_bad_listen_addresses(text: str) -> None:
    with pytest.raises(ValueError, match=r"HOST:PORT|not a host"):
        parse_listen(text)


def test_base_urls() -> None:
    assert parse_base_url("https://cadence.example.com/") == "https://cadence.example.com"
    assert parse_base_url("https://example.com/cadence") == "https://example.com/cadence"
    for bad in ("ftp://x.example", "cadence.example.com", "https://x/?a=1", "https://u:p@x/"):
        with pytest.raises(ValueError):
            parse_base_url(bad)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_lookups_limit_a_client_for_a_minute() -> None:
    clock = Clock()
    limits = RateLimits(clock)
    for _ in range(FAILURES_PER_MINUTE):
        assert limits.allow("a")
        limits.failed("a")
    assert not limits.allow("a")
    assert limits.allow("b"), "other clients are not held up"
    clock.now += 61
    assert limits.allow("a")


def test_good_lookups_are_limited_far_above_a_person() -> None:
    clock = Clock()
    limits = RateLimits(clock)
    assert LINKS_PER_MINUTE >= 120
    assert all(limits.allow("a") for _ in range(LINKS_PER_MINUTE))
    assert not limits.allow("a")
    clock.now += 61
    assert limits.allow("a")


def test_the_agenda_is_shown_escaped_and_inert() -> None:
    html = str(
        agenda_html(
            "# T\n\n<script>alert(1)</script>\n\n- [ ] @a: x <img src=x onerror=alert(1)>\n"
            "- [x] done\n\n[bad](javascript:alert(1)) [ok](https://example.com/)\n"
            "![pixel](https://tracker.example/p.png)\n",
            action="/a/n-s/tick",
            token="t",
            tag="g",
        )
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html, "no image is fetched, the agenda's or a planted one"
    assert 'href="javascript' not in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert html.count('class="tick"') == 2
    assert 'name="line" value="4"' in html and 'name="done" value="0"' in html
