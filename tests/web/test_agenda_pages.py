"""The person's agenda page in a real browser: the link from the invitation opens
the living agenda; a topic added there is one new line in the Markdown file, under
the person's heading of the next meeting's section; ticks are one character; two
people editing at once both keep what they did.
"""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import httpx
import pytest

from tests.support.browser import Browser
from tests.support.web_world import WebWorld, wait_for_mail

pytestmark = pytest.mark.slow


def added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fail when it changes or drops any."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "a line was changed or removed"
    return [d[2:] for d in diff if d.startswith("+ ")]


def agenda_link_of_the_invitation(world: WebWorld, browser: Browser) -> str:
    """Book slot 1 from the proposal email; return the agenda link of the invitation."""
    browser.open(world.labelled(world.proposal_mail(), "book:")[0])
    time.sleep(1.2)
    browser.press("Book this time")
    wait_for_mail(world, 2)
    invitation = world.invitation()
    (link,) = [u for u in world.links(invitation) if "/a/" in u]
    calendar = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    ics = calendar.get_content()
    assert f"URL:{link}" in ics.replace("\r\n ", "")
    return link


def test_the_person_adds_a_topic_from_the_invitations_link(
    world: WebWorld, browser: Browser
) -> None:
    link = agenda_link_of_the_invitation(world, browser)
    before = world.agenda_text()
    browser.open(link)
    assert browser.title() == "Your 1:1 agenda"
    assert "A topic for the 1:1 on Tue 24 Nov" in browser.text()
    assert browser.find("article.agenda h2").text.startswith("2026-11-24")
    browser.type("#topic", "Moving to the platform team <b>soon</b>")
    browser.press("Add the topic")
    assert "Your topic was added." in browser.text()

    after = world.agenda_text()
    assert added_lines(before, after) == ["- Moving to the platform team <b>soon</b>"]
    section = after.split("## 2026-11-24")[1].split("## 2026-11-17")[0]
    theirs = section.split("### Alice's topics")[1].split("###")[0]
    assert "- Moving to the platform team <b>soon</b>" in theirs
    # Shown as text, never as markup.
    assert browser.all("article.agenda b") == []
    assert "Moving to the platform team <b>soon</b>" in browser.text()
    assert browser.shoot("agenda") == {"desktop": False, "phone": False}

    # The lead sees it in her agenda.
    assert (
        "- Moving to the platform team <b>soon</b>"
        in world.run("agenda", "show", "alice@example.com").stdout
    )


def test_ticking_an_item_changes_one_character(world: WebWorld, browser: Browser) -> None:
    link = agenda_link_of_the_invitation(world, browser)
    before = world.agenda_text()
    browser.open(link)
    item = next(
        li
        for li in browser.all("article.agenda li.task")
        if "draft the on-call proposal" in li.text
    )
    browser.click(item.find_element("css selector", "button"))
    assert "the agenda is saved" in browser.text()
    after = world.agenda_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "- [ ] @alice: draft the on-call proposal (due 2026-11-30)",
            "- [x] @alice: draft the on-call proposal (due 2026-11-30)",
        )
    ]
    assert browser.all("article.agenda li.task.done")
    assert (
        "draft the on-call proposal"
        not in world.run("agenda", "show", "alice@example.com").stdout.split("## 2026-11-24")[0]
    )


def test_two_people_editing_at_once_both_keep_their_edits(
    world: WebWorld, browser: Browser, tmp_path: Path
) -> None:
    link = agenda_link_of_the_invitation(world, browser)
    with Browser(tmp_path) as other:
        browser.open(link)
        other.open(link)  # both pages show the same version
        browser.type("#topic", "the offsite")
        other.type("#topic", "my promotion case")
        browser.press("Add the topic")
        other.press("Add the topic")  # sent from a page that is out of date now
        assert "Your topic was added." in other.text()
        text = world.agenda_text()
        assert "- the offsite" in text and "- my promotion case" in text

        # A tick from an out-of-date page whose line someone changed meanwhile:
        # answered 409, and both the earlier edit and the agenda are kept.
        browser.open(link)
        other.open(link)
        edited = world.agenda_text().replace(
            "- [ ] @olivia: ask finance about the conference budget",
            "- [ ] @olivia: ask finance about the travel budget",
        )
        world.write_agenda(edited)
        stale = next(
            li for li in other.all("article.agenda li.task") if "conference budget" in li.text
        )
        other.click(stale.find_element("css selector", "button"))
        assert "Not saved: that action item was changed or removed meanwhile" in other.text()
        assert "travel budget" in other.text()
        other.shoot("conflict")
        assert world.agenda_text() == edited


def test_forged_and_replaced_links_are_refused_with_a_clear_page(
    world: WebWorld, browser: Browser
) -> None:
    (link,) = [u for u in world.links(world.proposal_mail()) if "/a/" in u]
    forged = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
    browser.open(forged)
    assert browser.title() == "This link is not valid"
    browser.shoot("not-valid")
    assert httpx.get(forged, timeout=10).status_code == 404
    slot = world.labelled(world.proposal_mail(), "book:")[0]
    assert httpx.get(slot.replace("/p/1/", "/p/2/"), timeout=10).status_code == 404

    rotated = world.run("person", "set", "alice@example.com", "--rotate-link")
    assert rotated.exit_code == 0, rotated.output
    browser.open(link)
    assert browser.title() == "This agenda link was replaced"
    assert httpx.get(link, timeout=10).status_code == 410
    (new,) = [line for line in rotated.stdout.split() if "/a/" in line]
    assert httpx.get(new, timeout=10).status_code == 200


def test_the_lead_adds_her_topic_from_her_pages(world: WebWorld, browser: Browser) -> None:
    login = world.run("web", "login").stdout.strip()
    browser.open(login)
    time.sleep(1.2)
    browser.press("Sign in")
    browser.open(world.base_url + "/people")
    browser.click(browser.all("div.person a[href$='/agenda']")[0])
    assert browser.title() == "Your 1:1 agenda with Alice Example"
    before = world.agenda_text()
    browser.type("#topic", "feedback on the launch")
    browser.press("Add the topic")
    after = world.agenda_text()
    assert added_lines(before, after) == ["- feedback on the launch"]
    section = after.split("## 2026-11-24")[1].split("## 2026-11-17")[0]
    assert "- feedback on the launch" in section.split("### Olivia's topics")[1]
