"""Reading the owner's reply: the choice above, never what is quoted below."""

from __future__ import annotations

import html

import pytest
from cadence.daemon.core.html_text import html_text
from cadence.daemon.core.replies import Choice, Verb, fresh_text, read_choice
from hypothesis import example, given
from hypothesis import strategies as st

QUOTED_PROPOSAL = """\
Your weekly 1:1 with Alice Example is at risk.
Reply to this email with 1, 2 or 3 to book that time, or with dismiss to drop it.
1. Tue 24 Nov 2026, 14:00–14:30
2. Wed 25 Nov 2026, 10:00–10:30
3
dismiss
slot 2"""


@pytest.mark.parametrize(
    ("line", "verb", "slot"),
    [
        ("2", Verb.BOOK, 2),
        ("2.", Verb.BOOK, 2),
        ("#3", Verb.BOOK, 3),
        ("Slot 2", Verb.BOOK, 2),
        ("slot 2 please", Verb.BOOK, 2),
        ("Option 3, thanks!", Verb.BOOK, 3),
        ("Number 1", Verb.BOOK, 1),
        ("ok 1", Verb.BOOK, 1),
        ("Let's do 2", Verb.BOOK, 2),
        ("two", Verb.BOOK, 2),
        ("**2**", Verb.BOOK, 2),
        ("２", Verb.BOOK, 2),  # a full-width digit from a Japanese keyboard
        ("7", Verb.BOOK, 7),  # understood; the proposal says whether it has a slot 7
        ("dismiss", Verb.DISMISS, None),
        ("Dismiss.", Verb.DISMISS, None),
        ("please dismiss it", Verb.DISMISS, None),
        ("2 pm?", Verb.UNCLEAR, None),
        ("2:30", Verb.UNCLEAR, None),
        ("not 2", Verb.UNCLEAR, None),
        ("1 or 2", Verb.UNCLEAR, None),
        ("maybe Thursday?", Verb.UNCLEAR, None),
        ("don't dismiss", Verb.UNCLEAR, None),
        ("", Verb.UNCLEAR, None),
    ],
)
def test_what_a_first_line_says(line: str, verb: Verb, slot: int | None) -> None:
    choice = read_choice(line)
    assert (choice.verb, choice.slot) == (verb, slot)


def test_a_greeting_above_the_choice_is_passed_over() -> None:
    assert read_choice("Hi cadence,\n\n3\n\nThanks, Olivia") == Choice(Verb.BOOK, 3, "3")


def test_what_was_read_is_kept_short_for_the_answer() -> None:
    choice = read_choice("maybe " * 50)
    assert choice.verb is Verb.UNCLEAR
    assert len(choice.said) <= 100 and choice.said.endswith("…")


@pytest.mark.parametrize(
    "below",
    [
        # Gmail, also with its attribution wrapped over two lines
        "On Mon, 23 Nov 2026 at 09:00, cadence <cadence@example.com> wrote:\n\n> 3\n> dismiss",
        "On Mon, Nov 23, 2026 at 9:00 AM cadence <cadence@example.com>\nwrote:\n\n> 3",
        # Apple Mail (German), Thunderbird, French and Spanish Gmail
        "Am 23.11.2026 um 09:00 schrieb cadence <cadence@example.com>:\n\n> 3",
        "On 23.11.26 09:00, cadence wrote:\n> 3",
        "Le lun. 23 nov. 2026 à 09:00, cadence <cadence@example.com> a écrit :\n> 3",
        "El lun, 23 nov 2026 a las 9:00, cadence (<cadence@example.com>) escribió:\n> 3",
        # Outlook: the original unquoted, below a rule or a header block
        "________________________________\nFrom: cadence <cadence@example.com>\n"
        "Sent: Monday, November 23, 2026 9:00 AM\nTo: Olivia\nSubject: 1:1\n\n3\ndismiss",
        "-----Original Message-----\nFrom: cadence\nSent: Monday\n\n3",
        "-----Ursprüngliche Nachricht-----\nVon: cadence\nGesendet: Montag\n\ndismiss",
        "From: cadence <cadence@example.com>\nDate: Monday, 23 November 2026 at 09:00\n"
        "To: Olivia\n\n3",
        "*From:* cadence <cadence@example.com>\n*Sent:* Monday\n\n3",
        # signatures
        "-- \nOlivia Owner\n3",
        "Sent from my iPhone\n\n> On 23 Nov 2026, at 09:00, cadence wrote:\n> 3",
        "Get Outlook for Android\n\n3",
        "Von meinem iPhone gesendet\n\n3",
    ],
)
def test_the_choice_above_quoted_text_and_signatures_is_read(below: str) -> None:
    assert read_choice(f"2\n\n{below}") == Choice(Verb.BOOK, 2, "2")
    assert fresh_text(f"2\n\n{below}") == "2"


def test_an_answer_written_below_the_quote_is_read() -> None:
    bottom_posted = "On Mon, 23 Nov 2026, cadence wrote:\n> 1. Tue\n> 2. Wed\n\n2\n"
    assert read_choice(bottom_posted) == Choice(Verb.BOOK, 2, "2")


# -- properties -----------------------------------------------------------------

choices = st.sampled_from(
    [("2", Verb.BOOK, 2), ("slot 3", Verb.BOOK, 3), ("#1", Verb.BOOK, 1),
     ("dismiss", Verb.DISMISS, None), ("Option 2, thanks", Verb.BOOK, 2)]
)  # fmt: skip
anything = st.text(max_size=400)


def quoted(text: str) -> str:
    return "\n".join("> " + line for line in text.split("\n"))


def below_styles(text: str) -> list[str]:
    """The ways clients put a quote (or a signature) below what was written."""
    return [
        f"On Mon, 23 Nov 2026 at 09:00, cadence <cadence@example.com> wrote:\n\n{quoted(text)}",
        f"________________________________\nFrom: cadence\nSent: Monday\n\n{text}",
        f"-----Original Message-----\n{text}",
        f"-- \n{text}",
        f"Sent from my iPhone\n\n{quoted(text)}",
    ]


@given(choice=choices, text=anything)
@example(choice=("2", Verb.BOOK, 2), text=QUOTED_PROPOSAL)
def test_a_choice_survives_any_quote_or_signature_below_it(
    choice: tuple[str, Verb, int | None], text: str
) -> None:
    line, verb, slot = choice
    for below in below_styles(text):
        found = read_choice(f"{line}\n\n{below}")
        assert (found.verb, found.slot) == (verb, slot), below


@given(text=anything)
@example(text=QUOTED_PROPOSAL)
@example(text="2\n\ndismiss")
def test_quoted_text_alone_never_acts(text: str) -> None:
    for style in (
        quoted(text),
        f"On Mon, 23 Nov 2026 at 09:00, cadence <cadence@example.com> wrote:\n\n{quoted(text)}",
        f"________________________________\nFrom: cadence\nSent: Monday\n\n{text}",
        f"-----Original Message-----\n{text}",
        f"-- \n{text}",
    ):
        assert read_choice(style).verb is Verb.UNCLEAR, style


@given(text=anything)
@example(text=QUOTED_PROPOSAL)
def test_an_html_quote_alone_never_acts(text: str) -> None:
    escaped = html.escape(text).replace("\n", "<br>")
    for markup in (
        f'<div class="gmail_quote"><blockquote class="gmail_quote">{escaped}</blockquote></div>',
        f'<blockquote type="cite">{escaped}</blockquote>',
        f'<div id="appendonsend"></div><hr><div id="divRplyFwdMsg">{escaped}</div>',
    ):
        assert read_choice(html_text(markup)).verb is Verb.UNCLEAR


@given(choice=choices, text=anything)
def test_an_html_choice_survives_any_quote_below_it(
    choice: tuple[str, Verb, int | None], text: str
) -> None:
    line, verb, slot = choice
    escaped = html.escape(text)
    markup = (
        f'<div dir="ltr">{html.escape(line)}</div><br><div class="gmail_quote">'
        f'<blockquote class="gmail_quote">{escaped}</blockquote></div>'
    )
    found = read_choice(html_text(markup))
    assert (found.verb, found.slot) == (verb, slot)


@given(st.text(max_size=2000))
def test_any_text_or_markup_is_read_without_error(text: str) -> None:
    read_choice(text)
    read_choice(html_text(text))


# -- HTML ------------------------------------------------------------------------


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def test_html_blocks_become_lines_and_entities_text() -> None:
    markup = (
        "<html><head><style>p {margin:0}</style><title>x</title></head><body>"
        "<p>Slot&nbsp;2 &amp; thanks</p><div>second<br/>third</div>"
        "<script>alert('1')</script></body></html>"
    )
    assert lines(html_text(markup)) == ["Slot 2 & thanks", "second", "third"]


def test_html_quotes_nested_inside_quotes_are_all_dropped() -> None:
    markup = (
        "<div>dismiss</div><blockquote>outer<blockquote>inner</blockquote>still quoted"
        "</blockquote><div>after</div>"
    )
    assert lines(html_text(markup)) == ["dismiss", "after"]


def test_broken_html_gives_text_not_an_error() -> None:
    assert html_text("<div>2<blockquote>never closed <p>3") == "2"
    assert html_text("<<<>>> 2 </div></div>") == "<<<>>> 2"
