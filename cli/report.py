"""``cadence report``: how well each person's 1:1s kept their rhythm."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from cadence.cli import params
from cadence.cli.context import App, pass_app, print_json
from cadence.daemon.adherence import DEFAULT_WEEKS, agenda_links
from cadence.daemon.core.errors import CadenceError, UsageError
from cadence.daemon.core.report import Adherence, Report
from cadence.daemon.core.report_render import Glyphs, page_html, render_text
from cadence.daemon.engine import Engine
from cadence.daemon.wiring import OWNER_SOURCE

MOST_WEEKS = 520


def adherence_json(entry: Adherence, zone: ZoneInfo) -> dict[str, Any]:
    """Return one person's figures and cells in the shape DESIGN gives for ``report --json``."""

    def iso(moment: Any) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    return {
        "person": entry.person.email,
        "name": entry.person.name,
        "every": str(entry.person.cadence),
        "periods": entry.periods,
        "held": entry.held,
        "cancelled": entry.cancelled,
        "rescheduled": entry.rescheduled,
        "missed": entry.missed,
        "paused": entry.paused,
        "upcoming": entry.upcoming,
        "last_held": iso(entry.last_held),
        "streak": entry.streak,
        "at_risk": entry.at_risk,
        "overdue_days": entry.overdue_days,
        "cells": [
            {
                "start": iso(o.period.start),
                "end": iso(o.period.end),
                "state": o.cell.value,
                "weeks": span,
                "held_at": iso(o.held_at),
                "cancelled": o.cancelled,
            }
            for o, span in zip(entry.outcomes, entry.spans, strict=True)
        ],
    }


def _colour() -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def _links(engine: Engine, found: Report) -> dict[str, str | None]:
    """Each person's agenda link; none at all when the agenda backend cannot be set up."""
    try:
        agendas = engine.agendas
    except CadenceError:
        return {}
    return agenda_links(agendas, [e.person for e in found.people])


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"--html {path}: cannot write it ({reason}); give a file in a writable directory"
        ) from None


@click.command()
@click.option(
    "--weeks",
    type=int,
    default=DEFAULT_WEEKS,
    show_default=True,
    help=f"How many weeks back, this one included (1 to {MOST_WEEKS}).",
)
@click.option("--person", "email", type=params.EMAIL, help="Only this person.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report as a standalone HTML page to FILE.",
)
@pass_app
def report(app: App, weeks: int, email: str | None, as_json: bool, html_path: Path | None) -> None:
    """Show how each person's 1:1s kept their cadence.

    Most at risk first, one column per week: held, rescheduled (held at
    another time in the same period), missed, upcoming or paused. A period
    lasting several weeks runs across them.
    """
    if weeks > MOST_WEEKS:
        raise UsageError(f"--weeks {weeks}: give at most {MOST_WEEKS} weeks")
    engine = app.engine()
    found = engine.report(weeks, email)
    sources = engine.status()["sources"]
    if not any(s.name == OWNER_SOURCE and s.last_success_at for s in sources):
        click.echo(
            "cadence: the calendar was never read, so no 1:1 shows as held; run `cadence sync`",
            err=True,
        )
    if html_path is not None:
        _write(html_path, page_html(found, _links(engine, found)))
    if as_json:
        print_json([adherence_json(e, found.zone) for e in found.people])
        return
    if html_path is not None:
        count = len(found.people)
        click.echo(f"Wrote {html_path} ({count} {'person' if count == 1 else 'people'}).")
        return
    glyphs = Glyphs.for_encoding(getattr(sys.stdout, "encoding", None))
    click.echo(render_text(found, glyphs=glyphs, colour=_colour()), nl=False)
