"""The weekly digest email, rendered from values (no I/O, no clock).

A text part and an HTML part with the same content: the people x weeks
heatmap, who is overdue, the open proposals, and the coming week's 1:1s with
their agenda links and each person's open action items. Every name, title and
action item is escaped before it reaches HTML and cleaned of control
characters before it reaches a header.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from cadence.daemon.core.headers import mailbox, set_addresses
from cadence.daemon.core.messages import clean
from cadence.daemon.core.model import Owner, Person, Proposal
from cadence.daemon.core.report import Adherence, Report
from cadence.daemon.core.report_render import (
    heatmap_html,
    legend_html,
    link_html,
    render_text,
    short_day,
)

__all__ = ["Digest", "Meeting", "UncertainEmail", "digest_email"]


@dataclass(frozen=True)
class Meeting:
    """A 1:1 in the coming week, its agenda link and the person's open action items."""

    person: Person
    start: datetime
    end: datetime
    agenda_url: str | None
    action_items: tuple[str, ...] = ()
    agenda_problem: str | None = None


@dataclass(frozen=True)
class UncertainEmail:
    """An email handed over without an answer from the server: it may not have arrived."""

    id: int
    to: tuple[str, ...]
    subject: str

    def line(self) -> str:
        return f"#{self.id} to {clean(', '.join(self.to))}: “{clean(self.subject)}”"

    def advice(self) -> str:
        return (
            f"if it did not arrive: cadence outbox resend {self.id}; "
            f"if it did: cadence outbox confirm {self.id}"
        )


@dataclass(frozen=True)
class Digest:
    """Everything one week's digest shows."""

    week: str
    owner: Owner
    now: datetime
    report: Report
    links: Mapping[str, str | None]
    proposals: tuple[tuple[Proposal, Person | None], ...]
    meetings: tuple[Meeting, ...]
    unconfirmed: tuple[UncertainEmail, ...] = ()
    # A link that signs the owner in to the web app (None when it is off).
    sign_in: str | None = None

    @property
    def overdue(self) -> tuple[Adherence, ...]:
        return tuple(e for e in self.report.people if e.at_risk)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _who(person: Person | None, email: str) -> str:
    return clean(person.name) if person and clean(person.name) else clean(email)


def _when(moment: datetime, digest: Digest) -> str:
    local = moment.astimezone(digest.owner.zone)
    return f"{short_day(local)} {local:%H:%M}"


def _overdue_line(entry: Adherence, digest: Digest) -> str:
    days = entry.overdue_days or 0
    late = f"{_plural(days, 'day')} overdue" if days else "not overdue yet"
    last = f"last held {_when(entry.last_held, digest)}" if entry.last_held else "never held"
    name = clean(entry.person.name) or entry.person.email
    return f"{name} ({entry.person.cadence}): no 1:1 left in this period, {late}; {last}"


def _proposal_line(proposal: Proposal, person: Person | None, digest: Digest) -> str:
    was = f", was {_when(proposal.cancelled_start, digest)}" if proposal.cancelled_start else ""
    count = len(proposal.slots)
    times = f"{_plural(count, 'new time')}" if count else "no free time found"
    if count:
        times += f", first {_when(proposal.slots[0].start, digest)}"
    return f"#{proposal.id} {_who(person, proposal.person)}: {proposal.reason}{was}; {times}"


def _meeting_head(meeting: Meeting, digest: Digest) -> str:
    end = meeting.end.astimezone(digest.owner.zone)
    return f"{_when(meeting.start, digest)}–{end:%H:%M}  {_who(meeting.person, '')}"


def _subject(digest: Digest) -> str:
    parts = [
        _plural(len(digest.meetings), "1:1") + " ahead",
        f"{len(digest.overdue)} overdue",
        _plural(len(digest.proposals), "open proposal"),
    ]
    if digest.unconfirmed:
        parts.append(_plural(len(digest.unconfirmed), "email") + " unconfirmed")
    return f"cadence weekly: {', '.join(parts)}"


def _text(digest: Digest) -> str:
    owner = clean(digest.owner.name) or digest.owner.email
    out = [f"Hello {owner},", "", render_text(digest.report).rstrip(), "", "Overdue"]
    out += [f"  - {_overdue_line(e, digest)}" for e in digest.overdue] or ["  Nobody."]
    out += ["", "Open proposals"]
    for proposal, person in digest.proposals:
        out.append(f"  - {_proposal_line(proposal, person, digest)}")
        if proposal.slots:
            out.append(f"    accept: cadence proposals accept {proposal.id} --slot 1")
    if not digest.proposals:
        out.append("  None.")
    out += ["", "The week ahead"]
    for meeting in digest.meetings:
        out.append(f"  - {_meeting_head(meeting, digest)}")
        if meeting.agenda_url:
            out.append(f"    Agenda: {clean(meeting.agenda_url)}")
        if meeting.agenda_problem:
            out.append(f"    ({clean(meeting.agenda_problem)})")
        out += [f"    {clean(item)}" for item in meeting.action_items]
    if not digest.meetings:
        out.append("  No 1:1s in the coming week.")
    if digest.unconfirmed:
        out += ["", "Emails that may not have arrived (the server never answered)"]
        for email in digest.unconfirmed:
            out += [f"  - {email.line()}", f"    {email.advice()}"]
    if digest.sign_in:
        out += ["", f"The same on your page: {clean(digest.sign_in)}"]
    return "\n".join([*out, "", "-- cadence", ""])


_H2 = 'style="font-size:16px;margin:20px 0 8px 0"'
_UL = 'style="margin:0 0 12px 0;padding-left:20px"'
_LI = 'style="margin:0 0 8px 0"'
_MUTED = 'style="color:#6b7280"'
_CODE = 'style="font-family:monospace;background:#f3f4f6;padding:1px 4px"'


def _list(items: Sequence[str], empty: str) -> str:
    if not items:
        return f"<p {_MUTED}>{html.escape(empty)}</p>"
    return f"<ul {_UL}>{''.join(f'<li {_LI}>{i}</li>' for i in items)}</ul>"


def _html(digest: Digest) -> str:
    e = html.escape
    owner = clean(digest.owner.name) or digest.owner.email
    overdue = [e(_overdue_line(entry, digest)) for entry in digest.overdue]
    proposals = []
    for proposal, person in digest.proposals:
        line = e(_proposal_line(proposal, person, digest))
        if proposal.slots:
            line += (
                f"<br>accept: <code {_CODE}>cadence proposals accept {proposal.id} --slot 1</code>"
            )
        proposals.append(line)
    meetings = []
    for meeting in digest.meetings:
        parts = [f"<strong>{e(_meeting_head(meeting, digest))}</strong>"]
        if meeting.agenda_url:
            parts.append(f"Agenda: {link_html(meeting.agenda_url)}")
        if meeting.agenda_problem:
            parts.append(f"<span {_MUTED}>{e(clean(meeting.agenda_problem))}</span>")
        if meeting.action_items:
            items = "".join(f"<li>{e(clean(i))}</li>" for i in meeting.action_items)
            parts.append(f"Open action items:<ul {_UL}>{items}</ul>")
        meetings.append("<br>".join(parts))
    unsure = ""
    if digest.unconfirmed:
        lines = [
            f"{e(email.line())}<br><code {_CODE}>cadence outbox resend {email.id}</code>"
            f" if it did not arrive, <code {_CODE}>cadence outbox confirm {email.id}</code>"
            " if it did"
            for email in digest.unconfirmed
        ]
        unsure = f"<h2 {_H2}>Emails that may not have arrived</h2>{_list(lines, '')}"
    return (
        '<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;'
        'font-size:14px;line-height:1.4;color:#111827">'
        f"<p>Hello {e(owner)},</p>"
        f"<h2 {_H2}>The last {len(digest.report.weeks)} weeks</h2>"
        f"{heatmap_html(digest.report, digest.links)}{legend_html()}"
        f"<h2 {_H2}>Overdue</h2>{_list(overdue, 'Nobody.')}"
        f"<h2 {_H2}>Open proposals</h2>{_list(proposals, 'None.')}"
        f"<h2 {_H2}>The week ahead</h2>{_list(meetings, 'No 1:1s in the coming week.')}"
        f"{unsure}{_page(digest)}<p {_MUTED}>-- cadence</p></body></html>\n"
    )


def _page(digest: Digest) -> str:
    if not digest.sign_in:
        return ""
    return f"<p>{link_html(digest.sign_in, 'The same on your page')}</p>"


def digest_email(
    digest: Digest, *, sender: str, to: Sequence[str], message_id: str
) -> EmailMessage:
    """Given the digest's content, the sender, the recipients and the Message-ID, return
    the email (text and HTML parts)."""
    message = EmailMessage()
    set_addresses(message, "From", [mailbox(clean(sender))])
    set_addresses(message, "To", [mailbox(clean(a)) for a in to])
    message["Subject"] = _subject(digest)
    message["Message-ID"] = clean(message_id)
    message["Date"] = format_datetime(digest.now.astimezone(digest.owner.zone))
    message["X-Cadence-Digest"] = digest.week
    message.set_content(_text(digest))
    message.add_alternative(_html(digest), subtype="html")
    return message
