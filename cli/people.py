"""``cadence person``: who you have 1:1s with, and how often."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import click
from cadence.cli import params
from cadence.cli.context import App, pass_app, print_json, table
from cadence.daemon.core.dates import DAY_NAMES, day
from cadence.daemon.core.model import WEEKDAYS, Person
from cadence.daemon.core.urls import shown_url
from cadence.daemon.core.values import format_duration
from cadence.daemon.engine import Engine
from cadence.daemon.people_changes import PersonChange, names


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
    return f"until {day(p.paused_until, year=True)}" if p.paused_until else "paused"


def _minutes(p: Person) -> str:
    return f"{int(p.duration.total_seconds() // 60)} minutes"


def _options(adding: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options ``add`` and ``set`` share: ``add`` requires some and says the
    defaults it applies; ``set`` changes only what is given."""

    def default(text: str) -> str:
        return f" [default: {text}]" if adding else ""

    specs = [
        click.option(
            "--name",
            type=params.NAME,
            required=adding,
            help="Their name, as in emails and agendas.",
        ),
        click.option(
            "--every",
            "cadence",
            type=params.CADENCE,
            required=adding,
            help="weekly, biweekly (fortnightly), monthly, quarterly or Nw (every N weeks).",
        ),
        click.option("--day", type=params.DAY, help="Usual weekday: mon..sun." + default("tue")),
        click.option(
            "--time",
            "at",
            type=params.CLOCK,
            help="Usual start, your timezone." + default("10:00"),
        ),
        click.option("--duration", type=params.DURATION, help="Length, e.g. 30m." + default("30m")),
        click.option(
            "--kind",
            type=params.KIND,
            help="report, manager, peer, cross-functional or skip-level." + default("report"),
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


def _report(change: PersonChange) -> None:
    """Say what else the change did: proposals withdrawn, and what does not fit."""
    if change.withdrawn:
        count = len(change.withdrawn)
        reason = change.withdrawn[0].closed_reason or "it no longer applies"
        click.echo(
            f"Withdrew proposal{'s' if count > 1 else ''} {names(change.withdrawn)}: {reason}."
        )
    for warning in change.warnings:
        click.echo(f"cadence: warning: {warning}", err=True)


@click.group()
def person() -> None:
    """Add, change, pause and remove the people you have 1:1s with."""


@person.command("add")
@click.argument("email", type=params.EMAIL)
@_options(adding=True)
@pass_app
def add(app: App, /, email: str, **options: Any) -> None:
    """Add EMAIL with a 1:1 every CADENCE.

    Warns (and adds them anyway) when the usual time does not fit your working
    hours, or their timezone shares none with yours.

    \b
    Example:
      cadence person add alice@example.com --name "Alice Example" --every weekly \\
        --day tue --time 10:00 --duration 30m --kind report
    """
    change = app.engine().add_person(Person(email=email, **_given(options)))
    new = change.person
    click.echo(
        f"Added {new.name} <{new.email}>: a {new.cadence} 1:1, usually "
        f"{DAY_NAMES[new.day]} {new.time:%H:%M} for {_minutes(new)}."
    )
    _report(change)


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """Return the Person fields among the options ``add`` and ``set`` share, leaving
    out those not given."""
    fields = dict(options)
    fields["time"] = fields.pop("at", None)
    return {k: v for k, v in fields.items() if v is not None}


@person.command("set")
@click.argument("email", type=params.EMAIL)
@_options(adding=False)
@click.option(
    "--rotate-link",
    is_flag=True,
    help="Give their agenda page (web app) a new link; the old one stops working.",
)
@pass_app
def set_(app: App, /, email: str, rotate_link: bool, **options: Any) -> None:
    """Change EMAIL's cadence, usual time, kind or feeds (only the options given).

    A new cadence, day, time or duration withdraws their open proposals, which
    were chosen for the old settings; the next cycle proposes anew.
    """
    changes = _given(options)
    if not changes and not rotate_link:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    engine = app.engine()
    if changes:
        change = engine.update_person(email, **changes)
        click.echo(f"Updated {change.person.name} <{change.person.email}>.")
        _report(change)
    if rotate_link:
        link = engine.rotate_agenda_link(email)
        if link is None:
            click.echo("Made a new agenda link; it is used once the web app is on ([web]).")
        else:
            click.echo(f"New agenda link (the old one no longer works): {link}")


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


def _prose(engine: Engine, p: Person) -> list[str]:
    """Return what cadence knows about a person, in sentences."""
    zone = engine.config.owner.zone
    kind = p.kind.value.replace("-", " ")
    lines = [
        f"{p.name} <{p.email}>",
        f"A {p.cadence} 1:1 ({kind}), usually {DAY_NAMES[p.day]} at {p.time:%H:%M} "
        f"for {_minutes(p)}, your time ({zone.key}).",
    ]
    if p.timezone and p.timezone != zone.key:
        lines.append(f"They are in {p.timezone}; new times fit their working hours too.")
    if p.busy_feed:
        lines.append(f"Their busy time comes from {engine.busy_feed(p).name}.")
    if p.paused and p.paused_until:
        lines.append(f"Paused until {day(p.paused_until, year=True)}: no gaps or proposals.")
    elif p.paused:
        lines.append("Paused until `cadence person resume`: no gaps or proposals.")
    return lines


@person.command("show")
@click.argument("email", type=params.EMAIL)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def show(app: App, email: str, as_json: bool) -> None:
    """Show everything cadence knows about EMAIL."""
    engine = app.engine()
    found = engine.person(email)
    if as_json:
        print_json(person_json(found))
        return
    click.echo("\n".join(_prose(engine, found)))


@person.command("pause")
@click.argument("email", type=params.EMAIL)
@click.option(
    "--until",
    type=params.DATE,
    help="Back on this date (YYYY-MM-DD, a future one); without it, until resumed.",
)
@pass_app
def pause(app: App, email: str, until: date | None) -> None:
    """Put EMAIL's 1:1s on hold (leave, parental leave, a busy launch).

    Their open proposals for the time of the pause are withdrawn.
    """
    change = app.engine().pause(email, until)
    when = f"until {day(until, year=True)}" if until else "until `cadence person resume`"
    click.echo(f"Paused {change.person.name} {when}: no gaps or proposals meanwhile.")
    _report(change)


@person.command("resume")
@click.argument("email", type=params.EMAIL)
@pass_app
def resume(app: App, email: str) -> None:
    """End a pause now."""
    change = app.engine().resume(email)
    if not change.changed:
        click.echo(f"{change.person.name} is not paused; nothing to resume.")
        return
    click.echo(f"Resumed {change.person.name}.")


@person.command("remove")
@click.argument("email", type=params.EMAIL)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def remove(app: App, email: str, yes: bool) -> None:
    """Stop tracking EMAIL (history and agenda are kept; open proposals are withdrawn)."""
    engine = app.engine()
    found = engine.person(email)
    series = engine.has_series(found.email)
    ends = " and end your 1:1 series with them (past meetings stay)" if series else ""
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("refusing to remove without confirmation; add --yes")
        click.confirm(f"Remove {found.name} <{found.email}>{ends}?", abort=True)
    change = engine.remove_person(email)
    click.echo(f"Removed {found.name}{'; their 1:1 series has ended' if series else ''}.")
    _report(change)
