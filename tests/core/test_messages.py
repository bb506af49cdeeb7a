"""The proposal email, rendered and parsed back (invitations: test_itip.py)."""

from __future__ import annotations

import dataclasses

import pytest
from cadence.daemon.core import messages
from cadence.daemon.core.model import (
    Cadence,
    Reason,
    Slot,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.support.proposal_emails import (
    AGENDA,
    ALICE,
    OWNER,
    at,
    parts,
    proposal,
    render,
    reparse,
)

# --- proposal email -------------------------------------------------------------


def test_headers_name_the_person_reason_and_count() -> None:
    message = reparse(render())
    assert message["Subject"] == "1:1 with Alice Example: cancelled on Tue 24 Nov — 3 new times"
    assert message["From"] == "cadence <cadence@example.com>"
    assert message["To"] == "olivia@example.com"
    assert message["Message-ID"] == "<proposal-42@cadence.example.com>"
    assert message["X-Cadence-Proposal"] == "42"
    assert message["Date"].datetime == at(23, 8)


def test_structure_is_text_and_html_alternatives() -> None:
    message = reparse(render())
    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.iter_parts()]
    assert types == ["text/plain", "text/html"]


def test_each_slot_is_listed_with_its_accept_command() -> None:
    text, page = parts(render())
    for body in (text, page):
        assert "Wed 25 Nov 2026, 10:00–10:30" in body
        assert "Thu 26 Nov 2026, 14:00–14:30" in body
        assert "Fri 27 Nov 2026, 09:00–09:25" in body
        for n in (1, 2, 3):
            assert f"cadence proposals accept 42 --slot {n}" in body
        assert "cadence proposals dismiss 42" in body
        assert "The 1:1 on Tue 24 Nov 2026 at 10:00 was cancelled." in body
    assert text.index("--slot 1") < text.index("--slot 2") < text.index("--slot 3")


def test_person_in_another_timezone_sees_their_own_times() -> None:
    abroad = dataclasses.replace(ALICE, timezone="America/New_York")
    text, page = parts(render(person=abroad))
    for body in (text, page):
        assert "Wed 25 Nov 2026, 10:00–10:30" in body
        assert "Alice Example: Wed 25 Nov 04:00–04:30 America/New_York" in body
    tokyo = dataclasses.replace(ALICE, timezone="Asia/Tokyo")
    text, _ = parts(render(person=tokyo))
    assert "Thu 26 Nov 22:00–22:30 Asia/Tokyo" in text


@pytest.mark.parametrize("zone", [None, "Europe/Berlin", "Europe/Paris", "Not/AZone"])
def test_same_clock_or_unknown_zone_shows_one_time(zone: str | None) -> None:
    text, _ = parts(render(person=dataclasses.replace(ALICE, timezone=zone)))
    assert "Alice Example:" not in text


def test_shorter_slot_says_so() -> None:
    text, page = parts(render())
    label = "(25 min, shorter than the usual 30: a shorter 1:1 beats a skipped one)"
    assert f"Fri 27 Nov 2026, 09:00–09:25 {label}" in text
    assert label in page
    assert text.count("shorter than the usual") == 1


def test_agenda_link_and_notes() -> None:
    note = "Alice's calendar is not visible: slots checked against your calendar only."
    text, page = parts(render(notes=[note]))
    assert f"Agenda: {AGENDA}" in text
    assert 'href="https://agenda.example.com/alice?x=1&amp;y=2"' in page
    assert note in text
    assert "Alice&#x27;s calendar is not visible" in page
    text, page = parts(render(agenda_url=None))
    assert "Agenda" not in text and "href" not in page


def test_proposal_notes_and_given_notes_are_merged_once() -> None:
    text, _ = parts(render(proposal(notes=("one", "two")), notes=["two", "three"]))
    assert text.count("two") == 1 and "one" in text and "three" in text


def test_custom_accept_command_also_shapes_dismiss() -> None:
    command = "cadence --config /etc/c.toml proposals accept {id} --slot {n}"
    text, _ = parts(render(accept_command=command))
    assert "cadence --config /etc/c.toml proposals accept 42 --slot 2" in text
    assert "cadence --config /etc/c.toml proposals dismiss 42" in text


@pytest.mark.parametrize(
    ("reason", "subject", "sentence"),
    [
        (Reason.CANCELLED, "cancelled on Tue 24 Nov", "was cancelled."),
        (Reason.DECLINED, "declined on Tue 24 Nov", "was declined."),
        (Reason.DELETED, "deleted on Tue 24 Nov", "was deleted."),
        (
            Reason.MOVED,
            "moved out of the week of Mon 23 Nov on Tue 24 Nov",
            "was moved out of the week of Mon 23 Nov.",
        ),
        (Reason.MISSING, "none in the week of Mon 23 Nov", "There is no 1:1 in the week of"),
    ],
)
def test_reason_wording(reason: Reason, subject: str, sentence: str) -> None:
    changes = {"cancelled_start": None} if reason is Reason.MISSING else {}
    message = render(proposal(reason, **changes))
    assert message["Subject"].startswith(f"1:1 with Alice Example: {subject} — ")
    text, page = parts(message)
    assert sentence in text and sentence in page


@pytest.mark.parametrize(
    ("every", "period"),
    [("monthly", "November 2026"), ("quarterly", "Q4 2026"), ("2w", "23 Nov–29 Nov")],
)
def test_period_wording_follows_cadence(every: str, period: str) -> None:
    person = dataclasses.replace(ALICE, cadence=Cadence.parse(every))
    message = render(proposal(Reason.MISSING, cancelled_start=None), person=person)
    assert f"none in {period}" in message["Subject"]


def test_no_free_time_still_informs() -> None:
    message = render(proposal(slots=()))
    assert message["Subject"].endswith("— no free time found")
    text, _ = parts(message)
    assert "pick a time with Alice Example yourself" in text


def test_no_series_proposes_a_recurring_slot() -> None:
    tuesday = (Slot(at(24, 10), at(24, 10, 30)),)
    message = render(proposal(Reason.NO_SERIES, slots=tuesday))
    assert message["Subject"] == (
        "1:1 with Alice Example: no recurring 1:1 — 1 time to start a weekly series"
    )
    text, page = parts(message)
    for body in (text, page):
        assert "You have no recurring 1:1 with Alice Example yet" in body
        assert "every week on Tuesday 10:00–10:30, from Tue 24 Nov 2026" in body
        assert "cadence proposals accept 42 --slot 1" in body


@pytest.mark.parametrize(
    ("every", "day", "wording"),
    [
        ("biweekly", 10, "every 2 weeks on Tuesday 10:00–10:30"),
        ("monthly", 10, "every month on the 2nd Tuesday, 10:00–10:30"),
        ("monthly", 31, "every month on the last Tuesday, 10:00–10:30"),
        ("quarterly", 3, "every 3 months on the 1st Tuesday, 10:00–10:30"),
    ],
)
def test_no_series_wording_per_cadence(every: str, day: int, wording: str) -> None:
    person = dataclasses.replace(ALICE, cadence=Cadence.parse(every))
    slot = (Slot(at(day, 10, month=3), at(day, 10, 30, month=3)),)
    text, _ = parts(render(proposal(Reason.NO_SERIES, slots=slot), person=person))
    assert wording in text


def test_a_cadence_of_n_weeks_reads_as_words_in_the_subject_and_text() -> None:
    person = dataclasses.replace(ALICE, cadence=Cadence.parse("3w"))
    tuesday = (Slot(at(24, 10), at(24, 10, 30)), Slot(at(25, 10), at(25, 10, 30)))
    message = render(proposal(Reason.NO_SERIES, slots=tuesday), person=person)
    assert message["Subject"].endswith("— 2 times to start a series every 3 weeks")
    text, _ = parts(message)
    assert "Proposed: a series every 3 weeks" in text and "3w" not in text


def test_header_injection_is_impossible() -> None:
    eve = dataclasses.replace(ALICE, name="Eve\r\nBcc: x@y")
    message = reparse(
        render(
            person=eve,
            sender="cadence\r\nBcc: a@b <cadence@example.com>",
            to=["olivia@example.com\nBcc: c@d"],
            message_id="<id@x>\r\nBcc: e@f",
        )
    )
    assert "Bcc" not in message
    assert message["Subject"].startswith("1:1 with Eve Bcc: x@y: cancelled")
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]


def test_html_is_escaped() -> None:
    mallory = dataclasses.replace(ALICE, name="<script>alert(1)</script>")
    _, page = parts(
        render(person=mallory, notes=['<img src=x onerror="a()">'], agenda_url="javascript:x()")
    )
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    assert 'href="javascript' not in page


# --- properties ---------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8")
    | st.sampled_from("\r\n\t\x00\x0b\x0c\x1b\x7f\x85\u2028\u2029:;,\"'<>=?@\\"),
    max_size=60,
)


@given(person_name=names, owner_name=names, note=names)
def test_any_names_leave_headers_intact(person_name: str, owner_name: str, note: str) -> None:
    person = dataclasses.replace(ALICE, name=person_name, timezone="Asia/Kolkata")
    owner = dataclasses.replace(OWNER, name=owner_name)
    for message in (render(person=person, owner=owner, notes=[note]),):
        parsed = reparse(message)
        assert parsed.keys() == message.keys()
        assert "Bcc" not in parsed
        for value in parsed.values():
            assert "\r" not in value and "\n" not in value
        assert parsed["Message-ID"] == message["Message-ID"]


def test_with_the_web_app_each_slot_links_to_its_confirm_page() -> None:
    base = "https://cadence.example.com"
    web = messages.WebLinks(
        slots=tuple(f"{base}/p/42/{n}/sig{n}" for n in (1, 2, 3)),
        dismiss=f"{base}/p/42/dismiss/sigd",
        sign_in=f"{base}/in/1800000000-sig",
    )
    text, page = parts(reparse(render(web=web)))
    for n in (1, 2, 3):
        assert (
            f"   book: {base}/p/42/{n}/sig{n}\n   accept: cadence proposals accept 42 --slot {n}"
            in text
        )
        assert f'<a href="{base}/p/42/{n}/sig{n}"' in page
    assert page.count(">Book this time</a>") == 3
    assert f"Or dismiss it here: {base}/p/42/dismiss/sigd" in text
    assert f"Your 1:1s at a glance: {base}/in/1800000000-sig" in text
    hostile = messages.WebLinks(slots=("javascript:alert(1)",), dismiss="data:x", sign_in="")
    text, page = parts(render(web=hostile))
    assert "javascript:" not in text + page and "data:x" not in text + page


def test_no_free_time_offers_the_nearest_options_each_saying_what_it_bends() -> None:
    options = (
        Slot(at(24, 10), at(24, 10, 15), shorter=True, bends="shorter"),
        Slot(at(25, 7, 30), at(25, 8), bends="hours"),
        Slot(at(30, 9), at(30, 9, 30), bends="next-period"),
    )
    message = render(proposal(slots=options, no_free_time=True), reply_to="cadence@example.com")
    assert message["Subject"] == (
        "1:1 with Alice Example: cancelled on Tue 24 Nov — no free time; 3 nearest options"
    )
    text, page = parts(message)
    for body in (text, page):
        assert "No free time fits your rules in the week of Mon 23 Nov" in body
        assert "not even a 15-minute slot fits" in body
        assert "15 min, shorter than the usual 30" in body
        assert "outside your working hours" in body
        assert "early in the next period" in body
    assert "Reply to this email with 1, 2 or 3 to book that time" in text
    assert "1. Tue 24 Nov 2026, 10:00–10:15 (15 min, shorter than the usual 30" in text
    assert "2. Wed 25 Nov 2026, 07:30–08:00 (outside your working hours)" in text
    assert "3. Mon 30 Nov 2026, 09:00–09:30 (early in the next period)" in text
    assert page.count("Book this time by email") == 3


def test_with_the_web_app_each_option_for_lack_of_free_time_links_to_its_page() -> None:
    """The "no free time" email offers its nearest options like slots: each one is
    bookable from its confirm page too (rule 11 with the web app)."""
    options = (
        Slot(at(24, 10), at(24, 10, 15), shorter=True, bends="shorter"),
        Slot(at(25, 7, 30), at(25, 8), bends="hours"),
    )
    base = "https://cadence.example.com"
    web = messages.WebLinks(
        slots=(f"{base}/p/42/1/a", f"{base}/p/42/2/b"),
        dismiss=f"{base}/p/42/dismiss/d",
        sign_in=f"{base}/in/1800000000-s",
    )
    message = reparse(render(proposal(slots=options, no_free_time=True), web=web))
    assert "no free time" in str(message["Subject"])
    text, page = parts(message)
    assert f"   book: {base}/p/42/1/a\n" in text and f"   book: {base}/p/42/2/b\n" in text
    assert page.count(">Book this time</a>") == 2
