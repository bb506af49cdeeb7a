"""The owner's pages in a real browser: signing in with the link of `cadence web
login`, the heatmap with the week ahead and the open proposals, people changed
with the command line's rules, on a desktop and on a 390 px phone.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.browser import Browser
from tests.support.people import NOW
from tests.support.web_world import WebWorld

pytestmark = pytest.mark.slow


def sign_in(world: WebWorld, browser: Browser) -> None:
    result = world.run("web", "login")
    assert result.exit_code == 0, result.output
    browser.open(result.stdout.strip())
    assert browser.title() == "Sign in to cadence"
    time.sleep(1.2)
    browser.press("Sign in")
    assert browser.title().startswith("Your 1:1s"), browser.text()


def test_without_a_session_the_pages_show_the_sign_in_page_and_no_data(
    world: WebWorld, browser: Browser
) -> None:
    for path in ("/", "/people", "/bookings"):
        answer = httpx.get(world.base_url + path, timeout=10)
        assert answer.status_code == 200
        assert "Sign in" in answer.text
        assert "Alice" not in answer.text and "Bob" not in answer.text
    browser.open(world.base_url)
    assert browser.title() == "Sign in"
    assert browser.shoot("signin") == {"desktop": False, "phone": False}
    forbidden = httpx.post(world.base_url + "/people", data={"email": "x@example.com"}, timeout=10)
    assert forbidden.status_code == 403
    assert [p["email"] for p in world.json("person", "list")] == [
        "alice@example.com",
        "bob@example.com",
    ]


def test_the_overview_shows_who_is_neglected_and_books(world: WebWorld, browser: Browser) -> None:
    sign_in(world, browser)
    cookie = browser.driver.get_cookie("cadence")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    rows = browser.all("table.heatmap tbody tr")
    assert [r.find_element("css selector", "td.who a").text for r in rows] == [
        "Bob Builder",
        "Alice Example",
    ]
    assert browser.all("table.heatmap td.cell.missed")  # Bob's cancelled 4 Nov
    text = browser.text()
    assert "The week ahead" in text and "Tue 24 Nov 10:00 Alice Example" in text
    assert "@alice: draft the on-call proposal (due 2026-11-30)" in text
    assert "Alice Example, the week of Mon 30 Nov" in text
    assert browser.shoot("overview") == {"desktop": False, "phone": False}

    proposal = browser.all("ul.proposals li")[0]
    browser.click(proposal.find_elements("css selector", "form button")[2])  # slot 3
    assert "Booked." in browser.text()
    (found,) = world.json("proposals", "list", "--all")
    assert found["status"] == "accepted" and found["accepted_slot"] == 3


def test_people_are_changed_with_the_command_lines_rules(world: WebWorld, browser: Browser) -> None:
    sign_in(world, browser)
    browser.open(world.base_url + "/people")
    assert browser.shoot("people") == {"desktop": False, "phone": False}

    # A length the command line refuses is refused here, in its words.
    browser.type("#email", "carol@example.com")
    browser.type("#name", "Carol Jones")
    browser.choose("#every", "monthly")
    browser.type("#duration", "5")
    browser.press("Add")
    assert "'5' is not a duration" in browser.text()
    assert "carol@example.com" not in [p["email"] for p in world.json("person", "list")]
    browser.type("#duration", "45m")
    browser.choose("#kind", "peer")
    browser.press("Add")
    assert "Added." in browser.text(), browser.text()
    carol = next(p for p in world.json("person", "list") if p["email"] == "carol@example.com")
    assert (carol["every"], carol["kind"], carol["duration_minutes"]) == ("monthly", "peer", 45)

    browser.click(browser.all("div.person a")[0])  # Alice
    assert browser.title() == "Alice Example"
    browser.type("#every", "fortnightly")
    browser.press("Save")
    # The open proposal was chosen for weekly 1:1s: it is withdrawn, as the CLI does.
    assert "Withdrew 1 open proposal(s)" in browser.text()
    alice = world.json("person", "show", "alice@example.com")
    assert alice["every"] == "biweekly"
    assert world.proposals()[0]["status"] == "withdrawn"

    browser.press("Pause")
    assert "Paused" in browser.text()
    assert world.json("person", "show", "alice@example.com")["paused"] is True
    browser.shoot("person")
    browser.press("Resume now")
    assert world.json("person", "show", "alice@example.com")["paused"] is False


def test_signing_out_ends_the_session(world: WebWorld, browser: Browser) -> None:
    sign_in(world, browser)
    cookie = browser.driver.get_cookie("cadence")["value"]
    browser.press("Sign out")
    assert browser.title() == "Sign in"
    again = httpx.get(world.base_url + "/people", cookies={"cadence": cookie}, timeout=10)
    assert "Alice" not in again.text, "the session ended on the server too"


def test_an_expired_sign_in_link_is_refused_with_a_clear_page(
    world: WebWorld, browser: Browser
) -> None:
    old = world.run("web", "login", now=NOW.replace(day=20)).stdout.strip()
    browser.open(old)
    assert browser.title() == "This sign-in link has expired"
    assert "cadence web login" in browser.text()
    browser.shoot("expired")
    assert httpx.get(old, timeout=10).status_code == 410
