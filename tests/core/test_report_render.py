"""The report drawn: terminal text (plain or coloured), the HTML heatmap and page, and the
digest email, checked for what they say and for escaping what people typed."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from cadence.daemon.core.digest_render import Digest, Meeting, digest_email
from cadence.daemon.core.model import (
    Attendee,
    Cadence,
    Period,
    Person,
    Proposal,
    ProposalStatus,
    Reason,
    Slot,
    Status,
    Unit,
)
from cadence.daemon.core.report import Cell, Report, Tracked, build_report, pause_span
from cadence.daemon.core.report_render import Glyphs, heatmap_html, page_html, render_text

from tests.support.adherence import (
    ALICE,
    BERLIN,
    HISTORY_START,
    NOW,
    OWNER,
    meeting,
    tuesday,
    weekly,
)

HOSTILE = Person(
    "mallory@example.com",
    '<script>alert("x")</script> & Co',
    Cadence(Unit.WEEK, 2),
    anchor=date(2026, 11, 16),
)


def sample(weeks: int = 6) -> Report:
    """Alice: a miss, a reschedule, this week at risk; Mallory: biweekly, paused a while."""
    alices = weekly(
        6,
        w4=meeting(tuesday(4), status=Status.CANCELLED),
        w2=meeting(tuesday(2) + timedelta(days=2), original=tuesday(2)),
        w0=meeting(tuesday(0), status=Status.CANCELLED),
    )
    mallorys = [
        replace(
            meeting(tuesday(n), uid="m"),
            attendees=(Attendee(OWNER.email), Attendee(HOSTILE.email)),
        )
        for n in (4, 0)
    ]
    pause = pause_span(tuesday(3), date(2026, 11, 16), None, BERLIN)
    people = [
        Tracked(ALICE, NOW - timedelta(days=100)),
        Tracked(HOSTILE, NOW - timedelta(days=100), (pause,)),
    ]
    return build_report(people, OWNER, [*alices, *mallorys], NOW, weeks, HISTORY_START)


class Cells(HTMLParser):
    """Collects every <td> of the heatmap that stands for a period: its colspan and title."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[int, str]]] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.repeated: list[str] = []  # an attribute given twice: all but one get ignored

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.add(tag)
        if len(found) != len(attrs):
            self.repeated.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag == "td" and "title" in found:
            self.rows[-1].append((int(found.get("colspan") or 1), found["title"] or ""))
        if tag == "a":
            self.links.append(found.get("href") or "")


def parse(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    return parser


# -- terminal -------------------------------------------------------------------


def test_plain_text_has_a_strip_per_person_a_legend_and_no_colour_codes() -> None:
    text = render_text(sample())
    assert "\x1b[" not in text
    lines = text.splitlines()
    alice = next(line for line in lines if line.startswith("Alice Example"))
    assert "● ✗ ● ◐ ● ○" in alice  # the weeks of 12 Oct to 16 Nov
    assert "overdue 1 day" in alice and "4/6" in alice
    mallory = next(line for line in lines if line.startswith("<script>"))
    assert "‖" in mallory and "─" in mallory  # paused, and periods of two weeks
    assert lines.index(alice) < lines.index(mallory)  # at risk first
    assert "● held" in text and "◐ rescheduled" in text and "‖ paused" in text


def test_colour_codes_only_when_asked_and_ascii_when_the_terminal_needs_it() -> None:
    coloured = render_text(sample(), colour=True)
    assert "\x1b[32m●\x1b[0m" in coloured and "\x1b[1;31m✗\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(sample())
    ascii_text = render_text(sample(), glyphs=Glyphs.for_encoding("ascii"))
    ascii_text.encode("ascii")
    assert "# x # ~ # o" in ascii_text
    assert Glyphs.for_encoding("utf-8").cells[Cell.HELD] == "●"
    assert Glyphs.for_encoding(None).cells[Cell.HELD] == "#"


def test_the_month_line_names_each_month_over_its_first_week() -> None:
    text = render_text(sample(weeks=12))
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("PERSON"))
    months, columns = lines[header - 1], lines[header].index("WEEKS")
    # Weeks from Mon 31 Aug: September starts at the 2nd column, October at the 6th.
    assert months.index("Sep") == columns + 2 and months.index("Oct") == columns + 10
    assert "Aug" not in months  # too close to September to fit


def test_no_people_says_how_to_add_one() -> None:
    empty = build_report([], OWNER, [], NOW, 4, HISTORY_START)
    assert "cadence person add" in render_text(empty)
    assert "No people yet." in heatmap_html(empty)


# -- HTML ---------------------------------------------------------------------------


def test_the_heatmap_has_a_row_per_person_and_a_cell_per_period() -> None:
    report = sample()
    cells = parse(heatmap_html(report, {ALICE.email: "https://wiki.example.com/alice"}))
    header, alice, mallory = cells.rows
    assert header == []
    assert sum(span for span, _ in alice) == sum(span for span, _ in mallory) == 6
    assert len(alice) == 6 and [span for span, _ in mallory] == [1, 2, 2, 1]
    assert alice[1][1] == "Mon 19 Oct – Sun 25 Oct: missed, a 1:1 was cancelled or declined"
    assert alice[3][1] == "Mon 02 Nov – Sun 08 Nov: rescheduled Thu 05 Nov 10:00"
    assert "paused" in mallory[2][1]
    assert cells.links == ["https://wiki.example.com/alice"]


def test_names_and_links_are_escaped_and_only_web_links_are_clickable() -> None:
    links = {ALICE.email: 'https://x.example/"><script>', HOSTILE.email: "javascript:alert(1)"}
    html = heatmap_html(sample(), links)
    assert (
        "<script>" not in html
        and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    )
    parsed = parse(html)
    assert parsed.links == ['https://x.example/"><script>']  # decoded: it was escaped
    assert "script" not in parsed.tags and "javascript:alert(1)" not in parsed.links


def test_the_page_stands_alone() -> None:
    page = page_html(sample())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    parsed = parse(page)
    assert not parsed.tags & {"link", "img", "script", "style"}  # inline styles only
    assert parsed.repeated == []
    assert "Alice Example" in page and "upcoming, at risk" in page


# -- the digest ---------------------------------------------------------------------


def digest(**changes: object) -> Digest:
    period = Period(tuesday(0) - timedelta(days=1, hours=10), tuesday(0) + timedelta(days=6))
    proposal = Proposal(
        id=7,
        gap_key="alice|2026-11-16",
        person=ALICE.email,
        reason=Reason.CANCELLED,
        status=ProposalStatus.SENT,
        period=period,
        slots=(Slot(tuesday(0) + timedelta(days=2), tuesday(0) + timedelta(days=2, minutes=30)),),
        cancelled_start=tuesday(0),
    )
    ahead = Meeting(
        HOSTILE,
        tuesday(-1),
        tuesday(-1) + timedelta(minutes=30),
        "https://wiki.example.com/mallory",
        ("- [ ] @mallory: fix <b>the</b> build (due 2026-11-30)",),
    )
    values: dict[str, object] = {
        "week": "2026-W47",
        "owner": OWNER,
        "now": NOW,
        "report": sample(),
        "links": {ALICE.email: "https://wiki.example.com/alice"},
        "proposals": ((proposal, ALICE),),
        "meetings": (ahead,),
    }
    values.update(changes)
    return Digest(**values)  # type: ignore[arg-type]


def mail(content: Digest) -> EmailMessage:
    raw = bytes(
        digest_email(
            content,
            sender="cadence@example.com",
            to=["olivia@example.com"],
            message_id="<d@example.com>",
        )
    )
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_digest_has_the_heatmap_the_overdue_the_proposals_and_the_week_ahead() -> None:
    message = mail(digest())
    assert message["Subject"] == "cadence weekly: 1 1:1 ahead, 1 overdue, 1 open proposal"
    assert message["X-Cadence-Digest"] == "2026-W47"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert re.search(r"^Alice Example +weekly +● ✗ ● ◐ ● ○ ", text, re.MULTILINE)
    assert "Alice Example (weekly): no 1:1 left in this period, 1 day overdue" in text
    assert "#7 Alice Example: cancelled, was Tue 17 Nov 10:00; 1 new time, first Thu 19 Nov" in text
    assert "cadence proposals accept 7 --slot 1" in text
    assert "Tue 24 Nov 10:00–10:30" in text and "Agenda: https://wiki.example.com/mallory" in text
    assert "- [ ] @mallory: fix <b>the</b> build (due 2026-11-30)" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    parsed = parse(html)
    assert sum(span for span, _ in parsed.rows[1]) == 6
    assert parsed.links == ["https://wiki.example.com/alice", "https://wiki.example.com/mallory"]
    assert "fix &lt;b&gt;the&lt;/b&gt; build" in html and "<b>" not in html
    assert "<script>" not in html and "script" not in parsed.tags


def test_a_quiet_week_says_so() -> None:
    message = mail(digest(proposals=(), meetings=(), report=build_report(
        [Tracked(ALICE, NOW - timedelta(days=30))], OWNER, weekly(5), NOW, 4, HISTORY_START
    )))  # fmt: skip
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Overdue\n  Nobody." in text
    assert "Open proposals\n  None." in text
    assert "No 1:1s in the coming week." in text
    assert message["Subject"] == "cadence weekly: 0 1:1s ahead, 0 overdue, 0 open proposals"


@pytest.mark.parametrize("weeks", [1, 2, 3, 12])
def test_the_columns_line_up_under_their_headings_however_few_the_weeks(weeks: int) -> None:
    lines = render_text(sample(weeks=weeks)).splitlines()
    header = next(line for line in lines if line.startswith("PERSON"))
    rows = [line for line in lines if line.startswith(("Alice", "<script>"))]
    for heading in ("HELD", "STREAK", "LAST HELD", "NOW"):
        column = header.index(heading)
        for row in rows:
            assert row[column - 2 : column] == "  " and row[column] != " ", (heading, row)


def test_the_legend_explains_every_word_now_can_say() -> None:
    text = render_text(sample())
    legend = text[text.index("NOW,") :]
    for word in ("held", "planned", "at risk", "overdue N days", "paused"):
        assert word in legend


def test_a_report_over_several_years_names_the_years() -> None:
    text = render_text(sample(weeks=60))
    title, _, months = text.splitlines()[:3]
    assert "Mon 29 Sep 2025 to Sun 22 Nov 2026" in title
    assert "Oct 2025" in months and "Jan 2026" in months
    assert "2025" not in render_text(sample(weeks=12))


def test_the_digest_links_the_owners_page_when_the_web_app_is_on() -> None:
    link = "https://cadence.example.com/in/1800000000-0123456789abcdef01234567"
    found = mail(digest(sign_in=link))
    text, page = found.get_body(("plain",)), found.get_body(("html",))
    assert text is not None and page is not None
    assert f"The same on your page: {link}" in text.get_content()
    assert f'href="{link}"' in page.get_content()
    assert "/in/" not in str(mail(digest()).get_body(("plain",)))
