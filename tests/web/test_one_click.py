"""One click from the email, in a real browser: the proposal email that reached the
SMTP server links each slot to its confirm page; a person's press books it
through the path ``cadence proposals accept`` takes; nothing else does.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.browser import Browser
from tests.support.feeds import OWNER
from tests.support.people import ALICE
from tests.support.web_world import WebWorld, wait_for_mail

pytestmark = pytest.mark.slow


def state(world: WebWorld) -> tuple[object, ...]:
    """What a link must not change: the proposals, the emails sent, the agendas."""
    agendas = sorted((p.name, p.read_bytes()) for p in (world.tmp / "agendas").iterdir())
    return (world.proposals(), len(world.smtp.messages), agendas)


def test_get_and_head_of_every_link_in_the_email_change_nothing(world: WebWorld) -> None:
    links = world.links(world.proposal_mail())
    # Three slots, dismiss, the agenda, the sign-in link.
    assert len(links) == 6, links
    before = state(world)
    for link in links:
        for method in ("GET", "HEAD"):
            answer = httpx.request(method, link, timeout=10)
            assert answer.status_code == 200, (method, link, answer.status_code)
    assert state(world) == before
    assert before[0][0]["status"] == "sent"


def test_a_press_on_a_slots_page_books_it(world: WebWorld, browser: Browser) -> None:
    mail = world.proposal_mail()
    second = world.labelled(mail, "book:")[1]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert second.replace("&", "&amp;") in html and "Book this time" in html

    browser.open(second)
    assert browser.title() == "Book this time?"
    assert "Mon 30 Nov 2026, 10:00–10:30" in browser.text()
    sideways = browser.shoot("confirm")
    assert sideways == {"desktop": False, "phone": False}
    time.sleep(1.2)  # a person reads the page before pressing
    browser.press("Book this time")

    assert browser.title() == "Booked"
    assert "Alice Example gets an invitation by email" in browser.text()
    browser.shoot("booked")
    (proposal,) = world.json("proposals", "list", "--all")
    assert proposal["status"] == "accepted" and proposal["accepted_slot"] == 2
    # The proposal email, then the invitation: one to Alice, one to the owner.
    wait_for_mail(world, 3)
    assert "Mon 30 Nov" in str(world.invitation()["Subject"])
    assert ALICE in str(world.invitation()["To"])
    assert "Mon 30 Nov" in str(world.invitation(OWNER)["Subject"])

    # Pressed again (the page reloaded from the email): it says what happened.
    browser.open(second)
    assert "It is booked: time 2, Mon 30 Nov 2026, 10:00–10:30" in browser.text()
    assert not browser.all("form button.primary")
    browser.shoot("closed")
    assert len(world.smtp.messages) == 3  # nothing more


def test_a_scanner_submitting_the_form_books_nothing(world: WebWorld, browser: Browser) -> None:
    first = world.labelled(world.proposal_mail(), "book:")[0]
    before = state(world)

    # A scanner's script submits the form after it loaded, as Safe Links does.
    browser.open(first)
    time.sleep(1.2)
    browser.run_and_wait("document.forms[0].submit()")
    assert "nothing was done" in browser.text()
    assert browser.title() == "Book this time?"
    # Scripts that name the button send its value too, but no person pressed it: the
    # browser says so (no Sec-Fetch-User).
    for script in (
        "document.forms[0].requestSubmit(document.querySelector('button.primary'))",
        "document.querySelector('button.primary').click()",
    ):
        browser.open(first)
        time.sleep(1.2)
        browser.run_and_wait(script)
        assert "without a press of its button" in browser.text(), script

    # A replay of the form's fields, as a scanner that reads forms would send them.
    page = httpx.get(first, timeout=10).text
    token = page.split('name="token" value="')[1].split('"')[0]
    time.sleep(1.2)
    replay = httpx.post(first, data={"token": token}, timeout=10)
    assert replay.status_code == 400 and "nothing was done" in replay.text

    # A forged token with the button's value.
    forged = httpx.post(first, data={"token": "1-" + "0" * 24, "press": "1"}, timeout=10)
    assert forged.status_code == 400
    assert state(world) == before


def test_dismissing_from_the_email(world: WebWorld, browser: Browser) -> None:
    (dismiss,) = world.labelled(world.proposal_mail(), "Or dismiss it here:")
    browser.open(dismiss)
    assert browser.title() == "Dismiss this proposal?"
    time.sleep(1.2)
    browser.press("Dismiss it")
    assert browser.title() == "Dismissed"
    assert world.proposals()[0]["status"] == "dismissed"
    browser.open(world.labelled(world.proposal_mail(), "book:")[0])
    assert "It was dismissed" in browser.text()
