"""``cadence person``: who you have 1:1s with, and how often."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import click
from cadence.cli import params
from cadence.cli.context import App, pass_app, print_json, table
from cadence.daemon.core.model import WEEKDAYS, Person
from cadence.daemon.core.urls import shown_url
from cadence.daemon.core.values import format_duration


def person_json(p: Person) -> dict[str, Any]:
    return {
        "email": p.email,
        "name": p.name,
        "kind": p.kind.value,
        "every": str(p.cadence),
        "day": WEEKDAYS[p.day],
        "time": p.time.strftime("%H:%M"),
        "duration_minutes": int(p.duration.total_seconds() // 60),
        "timezone": p.timezone,
        "paused_until": p.paused_until.isoformat() if p.paused_until else None,
        "paused": p.paused,
        "busy_feed": shown_url(p.busy_feed) if p.busy_feed else None,
    }


def _paused_label(p: Person) -> str:
    if not p.paused:
        return ""
    return f"until {p.paused_until}" if p.paused_until else "paused"


def _options(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options ``add`` and ``set`` share; ``set`` takes them all as optional."""
    specs = [
        click.option("--name", required=required, help="Their name, as in emails and agendas."),
        click.option(
            "--every",
            "cadence",
            type=params.CADENCE,
            required=required,
            help="weekly, biweekly (fortnightly), monthly, quarterly or Nw (every N weeks).",
        ),
        click.option("--day", type=params.DAY, help="Usual weekday: mon..sun [default: tue]."),
        click.option(
            "--time", "at", type=params.CLOCK, help="Usual start, your timezone [default: 10:00]."
        ),
        click.option("--duration", type=params.DURATION, help="Length, e.g. 30m [default: 30m]."),
        click.option(
            "--kind",
            type=params.KIND,
            help="report, manager, peer, cross-functional or skip-level [default: report].",
        ),
        click.option("--timezone", type=params.ZONE, help="Their IANA timezone, if not yours."),
        click.option(
            "--busy-feed",
            type=params.FEED,
            metavar="URL",
            help="Their free/busy ICS feed (https:// address or path).",
        ),
    ]

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for spec in reversed(specs):
            func = spec(func)
        return func

    return apply


@click.group()
def person() -> None:
    """Add, change, pause and remove the people you have 1:1s with."""


@person.command("add")
@click.argument("email", type=params.EMAIL)
@_options(required=True)
@pass_app
def add(app: App, /, email: str, **options: Any) -> None:
    """Add EMAIL with a 1:1 every CADENCE.

    \b
    Example:
      cadence person add alice@example.com --name "Alice Example" --every weekly \\
        --day tue --time 10:00 --duration 30m --kind report
    """
    new = app.engine().add_person(Person(email=email, **_given(options)))
    click.echo(
        f"Added {new.name} <{new.email}>: {new.cadence} 1:1, usually "
        f"{WEEKDAYS[new.day]} {new.time:%H:%M} for {format_duration(new.duration)}."
    )


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """Return the Person fields among the options ``add`` and ``set`` share, leaving
    out those not given."""
    fields = dict(options)
    fields["time"] = fields.pop("at", None)
    if fields.get("name"):
        fields["name"] = fields["name"].strip()
    return {k: v for k, v in fields.items() if v is not None}


@person.command("set")
@click.argument("email", type=params.EMAIL)
@_options(required=False)
@pass_app
def set_(app: App, /, email: str, **options: Any) -> None:
    """Change EMAIL's cadence, usual time, kind or feeds (only the options given)."""
    changes = _given(options)
    if not changes:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    updated = app.engine().update_person(email, **changes)
    click.echo(f"Updated {updated.name} <{updated.email}>.")


@person.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """List everyone, with cadence and usual time."""
    people = app.engine().people()
    if as_json:
        print_json([person_json(p) for p in people])
        return
    if not people:
        click.echo(
            "No people yet. Add one with `cadence person add EMAIL --name NAME --every weekly`."
        )
        return
    rows = [
        [
            p.email,
            p.name,
            p.kind.value,
            str(p.cadence),
            f"{WEEKDAYS[p.day]} {p.time:%H:%M}",
            format_duration(p.duration),
            p.timezone or "",
            _paused_label(p),
        ]
        for p in people
    ]
    click.echo(table(rows, ["email", "name", "kind", "every", "usual", "length", "tz", "paused"]))


@person.command("show")
@click.argument("email", type=params.EMAIL)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def show(app: App, email: str, as_json: bool) -> None:
    """Show everything cadence knows about EMAIL."""
    found = app.engine().person(email)
    data = person_json(found)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        click.echo(f"{key + ':':<18}{'' if value is None else value}")


@person.command("pause")
@click.argument("email", type=params.EMAIL)
@click.option("--until", type=params.DATE, help="Resume by itself on this date (YYYY-MM-DD).")
@pass_app
def pause(app: App, email: str, until: date | None) -> None:
    """Put EMAIL's 1:1s on hold (leave, parental leave, a busy launch)."""
    paused = app.engine().pause(email, until)
    when = f"until {until}" if until else "until `cadence person resume`"
    click.echo(f"Paused {paused.name} {when}: no gaps or proposals meanwhile.")


@person.command("resume")
@click.argument("email", type=params.EMAIL)
@pass_app
def resume(app: App, email: str) -> None:
    """End a pause now."""
    resumed = app.engine().resume(email)
    click.echo(f"Resumed {resumed.name}.")


@person.command("remove")
@click.argument("email", type=params.EMAIL)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def remove(app: App, email: str, yes: bool) -> None:
    """Stop tracking EMAIL (history and agenda are kept)."""
    engine = app.engine()
    found = engine.person(email)
    series = engine.has_series(found.email)
    ends = " and end your 1:1 series with them (past meetings stay)" if series else ""
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("refusing to remove without confirmation; add --yes")
        click.confirm(f"Remove {found.name} <{found.email}>{ends}?", abort=True)
    engine.remove_person(email)
    click.echo(f"Removed {found.name}{'; their 1:1 series has ended' if series else ''}.")
