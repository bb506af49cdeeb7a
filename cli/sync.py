"""``cadence init`` and ``cadence sync``."""

from __future__ import annotations

from typing import Any

import click
from cadence.cli.context import App, pass_app, print_json
from cadence.cli.exit_codes import FAILURE
from cadence.daemon.config_schema import render_example
from cadence.daemon.cycle import CycleReport


@click.command(short_help="Write a starter config.")
@click.option(
    "--backend",
    type=click.Choice(["ics", "google"]),
    default="ics",
    show_default=True,
    help="Where your calendar lives.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@pass_app
def init(app: App, backend: str, force: bool) -> None:
    """Write a starter config (every key documented) to the config path."""
    path = app.path
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; edit it, or pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_example(backend), encoding="utf-8")
    where = "your calendar's address" if backend == "ics" else "[calendar.google]"
    click.echo(f"Wrote {path}: put yourself into [owner] and fill in {where}.")
    google = "`cadence auth google`, " if backend == "google" else ""
    click.echo(
        f"Then run {google}`cadence doctor`, add the people you have 1:1s with "
        "(`cadence person add EMAIL --name NAME --every weekly`) and run `cadence sync`."
    )


def _print_report(report: CycleReport, dry_run: bool, zone: Any) -> None:
    if report.actions:
        click.echo("Plan:" if dry_run else "Done:")
        for action in report.actions:
            click.echo(f"  {action.describe()}")
    elif not report.reconciled and report.held:
        click.echo("The read was held back as suspect (see below); nothing reconsidered.")
    elif not report.reconciled and report.errors:
        click.echo("Nothing new could be read (see below); nothing reconsidered.")
    elif not report.reconciled:
        click.echo("Calendar unchanged since the last cycle; nothing to reconsider.")
    summary = (
        f"{report.gaps} gap(s), {report.proposals_created} proposal(s) created, "
        f"{report.emails_sent} email(s) sent, {report.agenda_sections} agenda section(s) added"
    )
    left = len(report.unanswered_gaps)
    if left:
        summary += f"; {left} gap(s) unanswered, see `cadence status`"
    click.echo(("Dry run, nothing changed: " if dry_run else "") + summary + ".")
    if report.inbox is not None:
        acted, ignored = len(report.inbox["acted"]), len(report.inbox["ignored"])
        click.echo(f"Inbox: {report.inbox['read']} read, {acted} acted on, {ignored} ignored.")
    for error in report.errors:
        click.echo(f"error: {error['source']}: {error['message']}", err=True)
    if report.held:
        click.echo(
            "If the calendar really changed that much, run `cadence sync --accept-changes`.",
            err=True,
        )


@click.command(short_help="Run one cycle: find gaps, propose times, send email.")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing, send nothing.")
@click.option(
    "--accept-changes",
    is_flag=True,
    help="Take the calendar as read even where it looks suspect (most of it gone at once): "
    "say so when the changes are real.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
@click.pass_context
def sync(ctx: click.Context, app: App, dry_run: bool, accept_changes: bool, as_json: bool) -> None:
    """Run one full cycle: read the calendar, find gaps, propose times, send email.

    Exits 1 when a source, a step or the mail transport failed (the others are
    still processed); the errors are listed. A read that loses most of what the
    calendar held (every event unreadable, the 1:1s of several people gone at
    once, an empty calendar where there were many events) is held back as
    suspect and changes nothing, until a normal read comes or you run
    `cadence sync --accept-changes`.
    """
    engine = app.engine()
    report = engine.sync(dry_run=dry_run, accept_changes=accept_changes)
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report, dry_run, engine.config.owner.zone)
    if not report.ok:
        ctx.exit(FAILURE)
