"""``cadence bookings list``: the meetings cadence arranged by invitation itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from cadence.cli.context import App, pass_app, print_json
from cadence.daemon.core.bookings import Booking
from cadence.daemon.core.dates import day_time
from cadence.daemon.core.itip import rrule_text, when_text


def booking_json(b: Booking, zone: ZoneInfo) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    return {
        "id": b.id,
        "person": b.person,
        "uid": b.uid,
        "sequence": b.sequence,
        "start": iso(b.start),
        "end": iso(b.end),
        "recurrence": rrule_text(b),
        "status": b.status.value,
        "proposal": b.proposal,
        "organizer": b.organizer,
        "person_answer": b.person_partstat.value,
        "owner_answer": b.owner_partstat.value,
        "declined": [iso(d) for d in b.declined],
        "ends": iso(b.ends),
        "closed_reason": b.closed_reason,
    }


@click.group()
def bookings() -> None:
    """The meetings cadence arranged by invitation (on a calendar it cannot write)."""


@bookings.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include declined and cancelled ones.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def list_(app: App, include_closed: bool, as_json: bool) -> None:
    """List the bookings still standing: invited, accepted or tentative (all with --all).

    A booking counts as the 1:1 it arranges (for gaps, free time, the report and
    the digest) until the person answers or your calendar shows it."""
    engine = app.engine()
    zone = engine.config.owner.zone
    found = engine.bookings(include_closed=include_closed)
    if as_json:
        print_json([booking_json(b, zone) for b in found])
        return
    if not found:
        click.echo("No bookings." if include_closed else "No bookings standing.")
        return
    for b in found:
        why = f": {b.closed_reason}" if b.closed_reason else ""
        origin = f"  from proposal #{b.proposal}" if b.proposal is not None else ""
        click.echo(f"#{b.id}  {b.person}  [{b.status}{why}]{origin}")
        if b.recurring:
            click.echo(f"   {when_text(b, zone)}")
        else:
            click.echo(f"   {day_time(b.start, zone)}–{b.end.astimezone(zone):%H:%M}")
        click.echo(f"   UID {b.uid}, SEQUENCE {b.sequence}")
