"""Emails and iCalendar invitations, rendered from values (no I/O, no clock).

Everything that comes from a calendar or a config (names, summaries, URLs) is
cleaned of control characters before it reaches a header or an iCalendar line,
and escaped before it reaches HTML, so a hostile event title cannot add a
header, a calendar property or markup.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import icalendar
from cadence.daemon.core import dates
from cadence.daemon.core.headers import mailbox, set_addresses
from cadence.daemon.core.model import Cadence, Owner, Person, Proposal, Reason, Slot, Unit
from cadence.daemon.core.reply_links import mailto, reply_hint
from cadence.daemon.core.series import nth_weekday

PRODID = "-//cadence//cadence 1:1 keeper//EN"
# Spelled out rather than strftime("%a"), which follows the process locale.
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}
# Cc: C0/C1 controls incl. CR/LF/TAB; Cs: lone surrogates (cannot be encoded);
# Zl/Zp: U+2028/U+2029, which str.splitlines() and some mail parsers treat as line breaks.
_UNSAFE = frozenset({"Cc", "Cs", "Zl", "Zp"})
_PARAM_SAFE = str.maketrans({'"': "'", "\\": "/"})


def clean(text: str) -> str:
    """Given any text, return it on one line: control characters become spaces,
    runs of whitespace collapse, ends are stripped."""
    spaced = "".join(" " if unicodedata.category(c) in _UNSAFE else c for c in text)
    return " ".join(spaced.split())


def _token(text: str) -> str:
    """Given an address or URL, return it with every space and control character removed."""
    return "".join(clean(text).split())


def _name(who: Person | Owner) -> str:
    return clean(who.name) or _token(who.email)


def _day(moment: datetime, year: bool = True) -> str:
    # The one style of dates.py ("Tue 01 Dec 2026"), as the CLI and the report write it.
    return dates.day(moment, year=year)


def _span(slot: Slot, zone: ZoneInfo) -> str:
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    return f"{start:%H:%M}–{end:%H:%M}"


def _zone(name: str | None) -> ZoneInfo | None:
    # An unknown person timezone must not stop the owner's email (DESIGN rule 6).
    try:
        return ZoneInfo(name) if name else None
    except (ValueError, KeyError, OSError):
        return None


def every(cadence: Cadence, weekday: int, at: str, *, nth: int | None = None) -> str:
    """Given a cadence, a weekday (0=Mon), a time text and for monthly/quarterly
    cadences optionally which weekday of the month, return "every week on Tuesday 10:00"."""
    name = dates.DAY_NAMES[weekday]
    if cadence.unit is Unit.WEEK:
        count = "every week" if cadence.count == 1 else f"every {cadence.count} weeks"
        return f"{count} on {name} {at}"
    count = "every month" if cadence.unit is Unit.MONTH else "every 3 months"
    which = f"the {_ORDINALS[nth]} {name}" if nth is not None else f"a {name}"
    return f"{count} on {which}, {at}"


def series_words(cadence: Cadence) -> str:
    """Return "a weekly series", or "a series every 3 weeks" where the cadence's own
    name (3w) is no word."""
    if cadence.unit is Unit.WEEK and cadence.count > 2:
        return f"a series every {cadence.count} weeks"
    return f"a {cadence} series"


def _period(proposal: Proposal, cadence: Cadence, zone: ZoneInfo) -> str:
    start = proposal.period.start.astimezone(zone)
    if cadence.unit is Unit.MONTH:
        return f"{_MONTH_NAMES[start.month - 1]} {start.year}"
    if cadence.unit is Unit.QUARTER:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if cadence.count == 1:
        return f"the week of {_day(start, False)}"
    return dates.span_text(proposal.period, zone)


def _situation(proposal: Proposal, person: Person, zone: ZoneInfo, period: str) -> tuple[str, str]:
    """Given a proposal, return what happened: a subject fragment and the opening sentence."""
    name, cadence = _name(person), person.cadence
    if proposal.reason is Reason.NO_SERIES:
        usual = every(cadence, person.day, f"{person.time:%H:%M}")
        return "no recurring 1:1", (
            f"You have no recurring 1:1 with {name} yet. "
            f"Proposed: {series_words(cadence)} (usually {usual})."
        )
    at_risk = f"Your {cadence} 1:1 with {name} is at risk."
    if proposal.reason is Reason.MISSING:
        return f"none in {period}", f"{at_risk} There is no 1:1 in {period}."
    verb = {
        Reason.CANCELLED: "cancelled",
        Reason.DECLINED: "declined",
        Reason.DELETED: "deleted",
        Reason.MOVED: f"moved out of {period}",
    }[proposal.reason]
    if proposal.cancelled_start is None:
        return f"{verb} ({period})", f"{at_risk} A 1:1 in {period} was {verb}."
    when = proposal.cancelled_start.astimezone(zone)
    sentence = f"{at_risk} The 1:1 on {_day(when)} at {when:%H:%M} was {verb}."
    return f"{verb} on {_day(when, False)}", sentence


def _when(proposal: Proposal, slot: Slot, person: Person, owner: Owner) -> tuple[str, str | None]:
    """Given a slot, return when it is for the owner and, when their clock differs,
    for the person (None otherwise); a no-series slot reads as the series it starts."""
    zone, theirs = owner.zone, _zone(person.timezone)
    start = slot.start.astimezone(zone)
    if proposal.reason is Reason.NO_SERIES:
        nth = None if person.cadence.unit is Unit.WEEK else nth_weekday(start.date())
        when = every(person.cadence, start.weekday(), _span(slot, zone), nth=nth)
        when += f", from {_day(start)}"
    else:
        when = f"{_day(start)}, {_span(slot, zone)}"
    if theirs is None or person.timezone == owner.timezone:
        return when, None
    local = slot.start.astimezone(theirs)
    if local.replace(tzinfo=None) == start.replace(tzinfo=None):
        return when, None
    return when, f"{_day(local, False)} {_span(slot, theirs)} {theirs.key}"


def slot_text(proposal: Proposal, slot: Slot, person: Person, owner: Owner) -> str:
    """Given a slot of a proposal, return when it is, as its email says it."""
    return _when(proposal, slot, person, owner)[0]


def period_text(proposal: Proposal, person: Person, owner: Owner) -> str:
    """Given a proposal, return its period as its email names it ("the week of Mon 23 Nov")."""
    return _period(proposal, person.cadence, owner.zone)


def _link(url: str | None) -> str:
    """Given an agenda URL, return an HTML link for web URLs and inert text otherwise
    (a javascript: or data: URL must never become clickable)."""
    quoted = html.escape(url or "", quote=True)
    if quoted.lower().startswith(("https://", "http://")):
        return f'<a href="{quoted}" style="color:#1a56db">{quoted}</a>'
    return quoted


_SHORTER = "a shorter 1:1 beats a skipped one"
_BUTTON = (
    "display:inline-block;margin:4px 0;padding:6px 12px;background:#1a56db;color:#ffffff;"
    "border-radius:4px;text-decoration:none;font-weight:bold"
)


def _web_link(url: str) -> str:
    """Given an address of the web app, return it when it is a web address, else ""."""
    token = _token(url)
    return token if token.lower().startswith(("https://", "http://")) else ""


_P = '<p style="margin:0 0 12px 0">'
_CODE = '<code style="font-family:monospace;background:#f3f4f6;padding:1px 4px">'


def _html(intro: Sequence[str], slots: Sequence[tuple[str, ...]], outro: Sequence[str]) -> str:
    """Given escaped paragraphs and slot lines, return the HTML page (inline styles only)."""
    items = "".join(f'<li style="margin:0 0 10px 0">{"<br>".join(s)}</li>' for s in slots)
    body = [f"{_P}{p}</p>" for p in intro]
    if items:
        body.append(f'<ol style="margin:0 0 12px 0;padding-left:24px">{items}</ol>')
    body += [f"{_P}{p}</p>" for p in outro]
    return (
        '<!DOCTYPE html><html><body style="font-family:sans-serif;font-size:14px;'
        f'line-height:1.4;color:#111827">{"".join(body)}</body></html>\n'
    )


def _head(message: EmailMessage, sender: str, subject: str, message_id: str) -> None:
    set_addresses(message, "From", [mailbox(clean(sender))])
    message["Subject"] = subject
    token = _token(message_id)
    message["Message-ID"] = token if token.startswith("<") else f"<{token}>"


@dataclass(frozen=True)
class WebLinks:
    """The web app's signed addresses for one proposal email: each slot's confirm
    page (in slot order), the page that dismisses it, and a sign-in link."""

    slots: tuple[str, ...]
    dismiss: str
    sign_in: str


_BENT = {
    "hours": "outside your working hours",
    "next-period": "early in the next period",
}


def _nothing_fits(proposal: Proposal, person: Person, zone: ZoneInfo) -> str:
    period = _period(proposal, person.cadence, zone)
    shortest = int(max(person.duration / 2, timedelta(minutes=15)).total_seconds() // 60)
    return (
        f"No free time fits your rules in {period}: not even a {shortest}-minute slot fits "
        "the working hours, the notice and everyone's busy time."
    )


def _slot_label(slot: Slot, person: Person) -> str:
    """What a slot's line says besides its time: shorter than usual, or the rule an
    option for lack of free time bends."""
    usual = int(person.duration.total_seconds() // 60)
    label = ""
    if slot.shorter:
        minutes = int(slot.duration.total_seconds() // 60)
        label = f"{minutes} min, shorter than the usual {usual}: {_SHORTER}"
    if slot.bends in _BENT:
        label = f"{_BENT[slot.bends]}; {label}" if label else _BENT[slot.bends]
    return f"({label})" if label else ""


def slot_entries(
    proposal: Proposal,
    person: Person,
    owner: Owner,
    *,
    subject: str,
    message_id: str,
    reply_to: str | None,
    accept_command: str = "cadence proposals accept {id} --slot {n}",
    web: WebLinks | None = None,
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Given a proposal, return its slots as an email lists them: the text lines, and
    per slot the HTML lines (its time and what it bends, the person's clock, the
    web app's confirm page with ``web``, the command that books it and, with
    ``reply_to``, the ``mailto:`` link that books it by reply). Every way to book a
    slot is added here, once per slot."""
    e = html.escape
    name = _name(person)
    text: list[str] = []
    html_slots: list[tuple[str, ...]] = []
    for n, slot in enumerate(proposal.slots, start=1):
        when, theirs = _when(proposal, slot, person, owner)
        command = accept_command.format(id=proposal.id, n=n)
        label = _slot_label(slot, person)
        text.append(f"{n}. {when} {label}".rstrip())
        lines = [f"<strong>{e(when)}</strong>"]
        if label:
            lines[0] += f' <span style="color:#b45309">{e(label)}</span>'
        if theirs:
            text.append(f"   ({name}: {theirs})")
            lines.append(f'<span style="color:#6b7280">({e(name)}: {e(theirs)})</span>')
        book = _web_link(web.slots[n - 1]) if web and n <= len(web.slots) else ""
        if book:
            text.append(f"   book: {book}")
            lines.append(f'<a href="{e(book, quote=True)}" style="{_BUTTON}">Book this time</a>')
        text += [f"   accept: {command}", ""]
        lines.append(f"accept: {_CODE}{e(command)}</code>")
        if reply_to:
            url = e(mailto(reply_to, subject, str(n), message_id), quote=True)
            lines.append(f'<a href="{url}" style="color:#1a56db">Book this time by email</a>')
        html_slots.append(tuple(lines))
    return text, html_slots


def proposal_email(
    proposal: Proposal,
    person: Person,
    owner: Owner,
    *,
    sender: str,
    to: Sequence[str],
    message_id: str,
    agenda_url: str | None,
    accept_command: str = "cadence proposals accept {id} --slot {n}",
    notes: Sequence[str] = (),
    reply_to: str | None = None,
    web: WebLinks | None = None,
) -> EmailMessage:
    """Given a proposal and who it concerns, return the email that asks the owner
    to pick one of its slots (text and HTML alternatives). With ``reply_to`` (an
    inbox cadence reads) it can be answered by reply: it says so, carries a
    Reply-To, and each slot gets a ``mailto:`` link opening that reply. With
    ``web`` (the web app's addresses) each slot links to the page that books it."""
    e = html.escape
    name, zone = _name(person), owner.zone
    period = _period(proposal, person.cadence, zone)
    headline, intro = _situation(proposal, person, zone, period)
    dismiss = accept_command.replace("accept {id} --slot {n}", "dismiss {id}")
    if "dismiss" not in dismiss:
        dismiss = "cadence proposals dismiss {id}"
    dismiss = dismiss.format(id=proposal.id)
    link = _token(agenda_url or "")
    extra = [n for n in dict.fromkeys(clean(n) for n in (*proposal.notes, *notes)) if n]

    count = len(proposal.slots)
    if proposal.no_free_time:
        intro += f" {_nothing_fits(proposal, person, zone)}"
    if not proposal.slots:
        ask = f"cadence found no free time in {period}; please pick a time with {name} yourself."
    elif proposal.no_free_time:
        ask = f"The nearest times cadence can offer, each bending one rule (times in {zone.key}):"
    elif proposal.reason is Reason.NO_SERIES:
        ask = f"Pick a time to start the series (times in {zone.key}):"
    else:
        ask = f"Pick a new time so it is not skipped (times in {zone.key}, {period}):"
    offer = f"{count} new time{'s' if count != 1 else ''}" if count else "no free time found"
    if count and proposal.reason is Reason.NO_SERIES:
        offer = f"{count} time{'s' if count != 1 else ''} to start {series_words(person.cadence)}"
    if count and proposal.no_free_time:
        offer = f"no free time; {count} nearest option{'s' if count != 1 else ''}"
    subject = f"1:1 with {name}: {headline} — {offer}"
    reply = _token(reply_to or "")
    hint = [reply_hint(count)] if reply else []
    text = [intro, "", *hint, *([""] if hint else []), ask, ""]
    slot_text_lines, html_slots = slot_entries(
        proposal,
        person,
        owner,
        subject=subject,
        message_id=message_id,
        reply_to=reply or None,
        accept_command=accept_command,
        web=web,
    )
    text += slot_text_lines
    text.append(f"None of these? Dismiss: {dismiss}")
    outro = [f"None of these? Dismiss: {_CODE}{e(dismiss)}</code>"]
    if reply:
        url = e(mailto(reply, subject, "dismiss", message_id), quote=True)
        outro[0] += f' or <a href="{url}" style="color:#1a56db">dismiss by email</a>'
    drop = _web_link(web.dismiss) if web else ""
    if drop:
        text.append(f"Or dismiss it here: {drop}")
        outro[0] += f' or <a href="{e(drop, quote=True)}" style="color:#1a56db">dismiss it here</a>'
    if link:
        text.append(f"Agenda: {link}")
        outro.append(f"Agenda: {_link(link)}")
    page = _web_link(web.sign_in) if web else ""
    if page:
        text.append(f"Your 1:1s at a glance: {page}")
        outro.append(
            f'<a href="{e(page, quote=True)}" style="color:#1a56db">Your 1:1s at a glance</a>'
        )
    text += [*([""] if extra else []), *extra]
    outro += [f'<span style="color:#6b7280">{e(note)}</span>' for note in extra]

    message = EmailMessage()
    _head(message, sender, subject, message_id)
    set_addresses(message, "To", [mailbox(clean(address)) for address in to])
    if reply:
        set_addresses(message, "Reply-To", [mailbox(clean(reply))])
    if proposal.created_at is not None:
        # Without a creation time the Date is left to the submission server to add.
        message["Date"] = format_datetime(proposal.created_at.astimezone(zone))
    message["X-Cadence-Proposal"] = str(proposal.id)
    message.set_content("\n".join(text) + "\n")
    intro_html = [e(intro), *(f"<strong>{e(h)}</strong>" for h in hint), e(ask)]
    message.add_alternative(_html(intro_html, html_slots, outro), subtype="html")
    return message


def _address(email: str, name: str, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{_token(email)}")
    # A quote would need RFC 6868's ^' which few clients decode, and parsers (icalendar's
    # among them) treat a backslash in a parameter as an escape: both get a look-alike.
    address.params["CN"] = clean(name).translate(_PARAM_SAFE) or _token(email)
    address.params.update(params)
    return address


def event_summary(person: Person, owner: Owner) -> str:
    """The title of every 1:1 event cadence writes or sends."""
    return f"1:1 {_name(person)} / {_name(owner)}"


def agenda_line(url: str) -> str:
    """The line that links the agenda from an event or an email."""
    return f"Agenda (add your topics before we meet): {_token(url)}"


def event_description(person: Person, owner: Owner, agenda_url: str | None, *, series: bool) -> str:
    """The description of a 1:1 event cadence writes or sends."""
    parts = [f"1:1 between {_name(person)} and {_name(owner)}."]
    if series:
        parts.append(f"{series_words(person.cadence).capitalize()}.")
    if agenda_url and _token(agenda_url):
        parts.append(agenda_line(agenda_url))
    return "\n\n".join(parts)


def alert_email(
    owner: Owner, *, sender: str, to: Sequence[str], subject: str, text: str, message_id: str
) -> EmailMessage:
    """Given what went wrong and what to do (plain text), return the email telling the owner."""
    message = EmailMessage()
    _head(message, sender, f"cadence: {clean(subject)}", message_id)
    set_addresses(message, "To", [mailbox(_token(a)) for a in to])
    message.set_content(f"Hello {_name(owner)},\n\n{text.strip()}\n\n-- cadence\n")
    return message
