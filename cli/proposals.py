"""``cadence proposals`` and ``cadence agenda``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import click
from cadence.cli.context import App, pass_app, print_json, table
from cadence.daemon.core.dates import day_time, span_text
from cadence.daemon.core.model import Proposal
from cadence.daemon.core.nearest import BENDS


def proposal_json(p: Proposal, zone: ZoneInfo) -> dict[str, Any]:
    def iso(moment: Any) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    return {
        "id": p.id,
        "person": p.person,
        "reason": p.reason.value,
        "status": p.status.value,
        "period_start": iso(p.period.start),
        "period_end": iso(p.period.end),
        "cancelled_start": iso(p.cancelled_start),
        "slots": [
            {
                "start": iso(s.start),
                "end": iso(s.end),
                "shorter": s.shorter,
                "bends": s.bends or None,
            }
            for s in p.slots
        ],
        "accepted_slot": p.accepted_slot,
        "no_free_time": p.no_free_time or not p.slots,
        "closed_reason": p.closed_reason,
        "created_at": iso(p.created_at),
    }


@click.group()
def proposals() -> None:
    """See, accept or dismiss the new times cadence proposed."""


@proposals.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include closed proposals.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def list_(app: App, include_closed: bool, as_json: bool) -> None:
    """List open proposals (all of them with --all)."""
    engine = app.engine()
    zone = engine.config.owner.zone
    found = engine.proposals(include_closed=include_closed)
    if as_json:
        print_json([proposal_json(p, zone) for p in found])
        return
    if not found:
        click.echo("No open proposals." if not include_closed else "No proposals yet.")
        return
    for p in found:
        was = f", was {day_time(p.cancelled_start, zone)}" if p.cancelled_start else ""
        why = f": {p.closed_reason}" if p.closed_reason else ""
        why += ", no free time" if p.no_free_time else ""
        click.echo(
            f"#{p.id}  {p.person}  {p.reason}{was}  [{p.status}{why}]  "
            f"period {span_text(p.period, zone)}"
        )
        for n, s in enumerate(p.slots, 1):
            mark = "*" if p.accepted_slot == n else " "
            short = f"  ({BENDS[s.bends]})" if s.bends in BENDS else ""
            short = short or ("  (shorter)" if s.shorter else "")
            click.echo(
                f"   {mark}{n}. {day_time(s.start, zone)}–{s.end.astimezone(zone):%H:%M}{short}"
            )
    click.echo(
        "\nAccept: cadence proposals accept ID --slot N    Drop: cadence proposals dismiss ID"
    )


@proposals.command("accept")
@click.argument("proposal_id", metavar="ID", type=int)
@click.option(
    "--slot",
    "number",
    type=click.IntRange(1, 3),
    default=1,
    show_default=True,
    metavar="N",
    help="Which of the proposal's times to book, as numbered in `cadence proposals list` "
    "and in the proposal email (1 is the best ranked).",
)
@pass_app
def accept(app: App, proposal_id: int, number: int) -> None:
    """Book slot N of proposal ID: re-check it is free, then invite the person.

    On Google Calendar the meeting is moved there (Google tells the person);
    with a feed, the person gets an invitation by email and you a copy.
    """
    engine = app.engine()
    accepted = engine.accept(proposal_id, number)
    zone = engine.config.owner.zone
    slot = accepted.slot
    said = {
        "moved": f"Moved the 1:1 in your calendar; Google tells {accepted.to}.",
        "created": f"Made the 1:1 in your calendar; Google invites {accepted.to}.",
        "invited": f"Invitation sent to {accepted.to} (copy to you).",
        "asked": (
            f"Not moved: the 1:1 is {accepted.to}'s meeting. Asked {accepted.to} by email "
            "to move it (copy to you); your calendar changes when they do."
        ),
    }[accepted.how]
    click.echo(f"Accepted: {day_time(slot.start, zone)}–{slot.end.astimezone(zone):%H:%M}. {said}")


@proposals.command("dismiss")
@click.argument("proposal_id", metavar="ID", type=int)
@pass_app
def dismiss(app: App, proposal_id: int) -> None:
    """Drop proposal ID: cadence will not propose for that gap again."""
    found = app.engine().dismiss(proposal_id)
    click.echo(f"Dismissed proposal #{found.id} for {found.person}.")


@click.group()
def agenda() -> None:
    """The living agenda document of each person."""


@agenda.command("url")
@click.argument("email")
@pass_app
def url(app: App, email: str) -> None:
    """Print the link to EMAIL's agenda (creating the document if needed)."""
    click.echo(app.engine().agenda_url(email))


@agenda.command("show")
@click.argument("email")
@pass_app
def show(app: App, email: str) -> None:
    """Print EMAIL's agenda."""
    click.echo(app.engine().agenda_text(email), nl=False)


__all__ = ["agenda", "proposals", "table"]
