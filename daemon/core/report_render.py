"""The adherence report drawn: as terminal text, as an HTML table, as a standalone page.

Pure: a :class:`~cadence.daemon.core.report.Report` in, text out. The terminal strip
has one column per week; a period lasting several weeks is one cell that runs
across them. Colours are ANSI codes, used only when the caller says the output
is a terminal; the symbols carry the meaning on their own. The HTML uses inline
styles and ``bgcolor`` only (no stylesheet, no images), the subset Gmail,
Outlook and Apple Mail all render, and escapes every name and title.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from cadence.daemon.core import dates
from cadence.daemon.core.messages import clean
from cadence.daemon.core.report import Adherence, Cell, Outcome, Report

__all__ = [
    "LEGEND",
    "Glyphs",
    "cell_title",
    "heatmap_html",
    "legend_html",
    "link_html",
    "page_html",
    "render_text",
    "short_day",
    "status_text",
]

_MONTHS = dates.MONTHS

LEGEND: tuple[tuple[Cell, str], ...] = (
    (Cell.HELD, "held"),
    (Cell.RESCHEDULED, "rescheduled (held at another time in the period)"),
    (Cell.MISSED, "missed"),
    (Cell.UPCOMING, "upcoming"),
    (Cell.PAUSED, "paused"),
    (Cell.UNTRACKED, "not tracked yet"),
)


@dataclass(frozen=True)
class Glyphs:
    """The symbols of the cells and the line that continues a multi-week period."""

    cells: Mapping[Cell, str]
    fill: str

    @classmethod
    def for_encoding(cls, encoding: str | None) -> Glyphs:
        """Return symbols the output encoding can show: Unicode shapes, else ASCII."""
        fancy = cls(_UNICODE, "─")
        try:
            "".join([*fancy.cells.values(), fancy.fill]).encode(encoding or "ascii")
        except (UnicodeEncodeError, LookupError):
            return cls(_ASCII, "-")
        return fancy


_UNICODE = {
    Cell.HELD: "●",
    Cell.RESCHEDULED: "◐",
    Cell.MISSED: "✗",
    Cell.UPCOMING: "○",
    Cell.PAUSED: "‖",
    Cell.UNTRACKED: "·",
}
_ASCII = {
    Cell.HELD: "#",
    Cell.RESCHEDULED: "~",
    Cell.MISSED: "x",
    Cell.UPCOMING: "o",
    Cell.PAUSED: "=",
    Cell.UNTRACKED: ".",
}
UNICODE = Glyphs(_UNICODE, "─")

# SGR codes: green, cyan, bold red, default, dim, dim; bold yellow for at risk.
_ANSI = {
    Cell.HELD: "32",
    Cell.RESCHEDULED: "36",
    Cell.MISSED: "1;31",
    Cell.UPCOMING: "",
    Cell.PAUSED: "2",
    Cell.UNTRACKED: "2",
}
_AT_RISK_ANSI = "1;33"

# (background, text) per cell; an upcoming period at risk is amber.
_COLOURS = {
    Cell.HELD: ("#16a34a", "#ffffff"),
    Cell.RESCHEDULED: ("#86efac", "#14532d"),
    Cell.MISSED: ("#dc2626", "#ffffff"),
    Cell.UPCOMING: ("#e5e7eb", "#374151"),
    Cell.PAUSED: ("#cbd5e1", "#334155"),
    Cell.UNTRACKED: ("#ffffff", "#9ca3af"),
}
_AT_RISK_COLOURS = ("#fbbf24", "#78350f")


def short_day(moment: datetime | date, *, year: bool = False) -> str:
    """Return ``Tue 01 Dec`` (with the year when asked), whatever the process locale."""
    return dates.day(moment, year=year)


def _name(entry: Adherence) -> str:
    return clean(entry.person.name) or clean(entry.person.email)


def status_text(entry: Adherence) -> str:
    """Return what the current period looks like: held, planned, at risk, overdue, paused."""
    current = entry.current
    if current is None:
        return ""
    if entry.at_risk:
        days = entry.overdue_days or 0
        return f"overdue {days} day{'s' if days != 1 else ''}" if days else "at risk"
    if current.cell is Cell.PAUSED:
        return "paused"
    return "held" if current.cell.held else "planned"


def _at_risk(entry: Adherence, outcome: Outcome) -> bool:
    return entry.at_risk and outcome is entry.current


def cell_title(outcome: Outcome, report: Report) -> str:
    """Return the words for one cell: its span and what it came to."""
    zone = report.zone
    start = outcome.period.start.astimezone(zone)
    last = outcome.period.end.astimezone(zone).date()
    span = f"{short_day(start)} – {short_day(date.fromordinal(last.toordinal() - 1))}"
    words = dict(LEGEND)[outcome.cell].split(" (")[0]
    if outcome.held_at is not None:
        words += f" {short_day(outcome.held_at.astimezone(zone))}"
        words += f" {outcome.held_at.astimezone(zone):%H:%M}"
    if outcome.cancelled:
        words += ", a 1:1 was cancelled or declined"
    return f"{span}: {words}"


# -- terminal ------------------------------------------------------------------


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def _strip(entry: Adherence, glyphs: Glyphs, colour: bool) -> str:
    """One person's strip: two characters per week, a period drawn across its weeks."""
    parts = []
    for outcome, span in zip(entry.outcomes, entry.spans, strict=True):
        body = glyphs.cells[outcome.cell] + glyphs.fill * (2 * span - 2)
        code = _AT_RISK_ANSI if _at_risk(entry, outcome) else _ANSI[outcome.cell]
        parts.append(_paint(body, code, colour) + " ")
    return "".join(parts)


def _months(weeks: Sequence[date]) -> str:
    """The line above the strips: each month's name over its first week; over more
    than one calendar year, the first month named and every January carry the year."""
    starts = [
        (2 * index, monday)
        for index, monday in enumerate(weeks)
        if index == 0 or monday.month != weeks[index - 1].month
    ]
    years = weeks[0].year != weeks[-1].year

    def label(number: int, monday: date) -> str:
        name = _MONTHS[monday.month - 1]
        return f"{name} {monday.year}" if years and (number == 0 or monday.month == 1) else name

    # The first week's month gives way when the next month starts too close to it.
    if len(starts) > 1 and starts[1][0] < len(label(0, starts[0][1])) + 1:
        starts = starts[1:]
    line = ""
    for number, (position, monday) in enumerate(starts):
        if position >= len(line):
            line = line.ljust(position) + label(number, monday) + " "
    return line.rstrip()


def _figures(entry: Adherence, zone: ZoneInfo) -> list[str]:
    last = short_day(entry.last_held.astimezone(zone)) if entry.last_held else "never"
    return [
        f"{entry.held}/{entry.periods}",
        str(entry.rescheduled),
        str(entry.cancelled),
        str(entry.missed),
        str(entry.streak),
        last,
        status_text(entry),
    ]


def render_text(report: Report, *, glyphs: Glyphs = UNICODE, colour: bool = False) -> str:
    """Return the report as a table for a terminal or a plain-text email, with a legend."""
    zone = report.zone
    first, last = report.weeks[0], date.fromordinal(report.weeks[-1].toordinal() + 6)
    title = (
        f"1:1s over the last {len(report.weeks)} week{'s' if len(report.weeks) != 1 else ''}, "
        f"{short_day(first, year=first.year != last.year)} to {short_day(last, year=True)} "
        f"({zone.key}), most at risk first"
    )
    if not report.people:
        return f"{title}\n\nNo people yet. Add one with `cadence person add`.\n"
    heads = ["PERSON", "EVERY", "HELD", "RESCH", "CANC", "MISS", "STREAK", "LAST HELD", "NOW"]
    rows = [[_name(e), str(e.person.cadence), *_figures(e, zone)] for e in report.people]
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    # Two characters per week; a report of a week or two still leaves room for "WEEKS".
    strip_width = max(2 * len(report.weeks), len("WEEKS") + 1)
    pad = " " * (strip_width - 2 * len(report.weeks))

    def line(cells: Sequence[str], strip: str) -> str:
        left = "  ".join(c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True))
        right = "  ".join(c.ljust(w) for c, w in zip(cells[2:], widths[2:], strict=True))
        return f"{left}  {strip} {right}".rstrip()

    lead = " " * (widths[0] + widths[1] + 4)
    out = [title, "", (lead + _months(report.weeks)).rstrip()]
    out.append(line(heads, "WEEKS".ljust(strip_width)))
    for entry, row in zip(report.people, rows, strict=True):
        # Always 2 characters per week: no padding (which would count colour codes).
        text = line(row, _strip(entry, glyphs, colour) + pad)
        if entry.at_risk and colour:  # NOW is the last column: paint it in place
            text = text[: -len(row[-1])] + _paint(row[-1], _AT_RISK_ANSI, colour)
        out.append(text)
    legend = "  ".join(
        _paint(glyphs.cells[cell], _ANSI[cell], colour) + " " + words.split(" (")[0]
        for cell, words in LEGEND
    )
    out += [
        "",
        f"{legend}  {glyphs.fill * 3} one period over several weeks",
        "HELD counts rescheduled 1:1s; CANC: periods in which a 1:1 was cancelled or declined;",
        "NOW, the current period: held; planned (a 1:1 is still ahead); at risk (no 1:1 left",
        "in it); overdue N days (at risk, and a whole cadence has passed since the last 1:1);",
        "paused.",
    ]
    return "\n".join(out) + "\n"


# -- HTML ----------------------------------------------------------------------

_TABLE = (
    'role="presentation" cellpadding="0" cellspacing="0" border="0" '
    'style="border-collapse:collapse;font-family:Arial,Helvetica,sans-serif;font-size:13px;'
    'color:#111827"'
)
_TH = 'style="padding:4px 8px;text-align:left;font-weight:bold;color:#374151;white-space:nowrap"'
_TH_WEEK = (
    'style="padding:4px 1px;text-align:center;font-weight:normal;font-size:11px;color:#6b7280"'
)
_TD = 'style="padding:4px 8px;white-space:nowrap"'


def link_html(url: str | None, text: str | None = None) -> str:
    """Return an escaped link for a web URL, inert escaped text for anything else
    (a javascript: or data: URL must never become clickable)."""
    quoted = html.escape(clean(url or ""), quote=True)
    label = html.escape(text, quote=True) if text is not None else quoted
    if quoted.lower().startswith(("https://", "http://")):
        return f'<a href="{quoted}" style="color:#1d4ed8">{label}</a>'
    return label


def _cell_html(entry: Adherence, outcome: Outcome, span: int, report: Report) -> str:
    background, text = _AT_RISK_COLOURS if _at_risk(entry, outcome) else _COLOURS[outcome.cell]
    title = html.escape(cell_title(outcome, report), quote=True)
    return (
        f'<td colspan="{span}" bgcolor="{background}" title="{title}" '
        f'style="background-color:{background};color:{text};text-align:center;'
        'padding:4px 0;border:1px solid #ffffff;min-width:22px;font-size:12px">'
        f"{_UNICODE[outcome.cell]}</td>"
    )


def heatmap_html(report: Report, agenda_urls: Mapping[str, str | None] | None = None) -> str:
    """Return the people x weeks table, each person's name linking to their agenda
    when ``agenda_urls`` has a web link for their email."""
    urls = agenda_urls or {}
    zone = report.zone
    weeks = "".join(
        f'<th {_TH_WEEK} title="week of {short_day(m)}">{m.day}<br>{_MONTHS[m.month - 1]}</th>'
        for m in report.weeks
    )
    figures = ("Held", "Resch.", "Canc.", "Missed", "Streak", "Last held", "Now")
    head = f"<tr><th {_TH}>Person</th>{weeks}" + "".join(f"<th {_TH}>{f}</th>" for f in figures)
    rows = [head + "</tr>"]
    for entry in report.people:
        name = link_html(urls.get(entry.person.email), _name(entry))
        cells = "".join(
            _cell_html(entry, o, s, report)
            for o, s in zip(entry.outcomes, entry.spans, strict=True)
        )
        numbers = "".join(f"<td {_TD}>{html.escape(f)}</td>" for f in _figures(entry, zone))
        every = html.escape(str(entry.person.cadence))
        person = f'{name}<br><span style="color:#6b7280;font-size:11px">{every}</span>'
        rows.append(f"<tr><td {_TD}>{person}</td>{cells}{numbers}</tr>")
    if not report.people:
        rows.append(f'<tr><td {_TD} colspan="{len(report.weeks) + 8}">No people yet.</td></tr>')
    return f"<table {_TABLE}>{''.join(rows)}</table>"


def legend_html() -> str:
    """Return the legend of the heatmap's cells as a one-row table."""
    items = []
    for cell, words in LEGEND:
        background, text = _COLOURS[cell]
        items.append(
            f'<td bgcolor="{background}" style="background-color:{background};color:{text};'
            'text-align:center;width:22px;border:1px solid #d1d5db;font-size:12px">'
            f'{_UNICODE[cell]}</td><td style="padding:0 12px 0 4px;font-size:12px">'
            f"{html.escape(words)}</td>"
        )
    background, text = _AT_RISK_COLOURS
    items.append(
        f'<td bgcolor="{background}" style="background-color:{background};color:{text};'
        'text-align:center;width:22px;font-size:12px">○</td>'
        '<td style="padding:0 12px 0 4px;font-size:12px">upcoming, at risk</td>'
    )
    legend = _TABLE.replace('style="', 'style="margin:8px 0;', 1)
    return f"<table {legend}><tr>{''.join(items)}</tr></table>"


def page_html(report: Report, agenda_urls: Mapping[str, str | None] | None = None) -> str:
    """Return the report as a standalone HTML page (no external files)."""
    title = f"1:1 adherence, {len(report.weeks)} weeks to {short_day(report.now, year=True)}"
    now = report.now.astimezone(report.zone)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#111827;margin:24px">'
        f'<h1 style="font-size:20px">{html.escape(title)}</h1>'
        f"{heatmap_html(report, agenda_urls)}{legend_html()}"
        '<p style="color:#6b7280;font-size:12px">Most at risk first. Held counts rescheduled '
        "1:1s. Made by cadence on "
        f"{html.escape(short_day(now, year=True))} at {now:%H:%M} ({html.escape(report.zone.key)})."
        "</p></body></html>\n"
    )
