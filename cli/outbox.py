"""``cadence outbox``: the emails waiting, failed or unconfirmed, and sending one
again on purpose."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from cadence.cli.context import App, pass_app, print_json, table
from cadence.daemon.queued_mail import QueuedEmail

_SUBJECT_WIDTH = 60


def unconfirmed_line(email: QueuedEmail) -> str:
    """What ``status`` says of an email that may not have arrived."""
    return (
        f"{email.describe()} may or may not have arrived; check, then "
        f"`{email.resend_command}` sends it again, `{email.confirm_command}` records it arrived"
    )


def unconfirmed_json(email: QueuedEmail, zone: ZoneInfo) -> dict[str, object]:
    return {**email.as_json(zone), "resend": email.resend_command}


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S}" if moment else "-"


def _short(text: str) -> str:
    return text if len(text) <= _SUBJECT_WIDTH else text[: _SUBJECT_WIDTH - 1] + "…"


@click.group()
def outbox() -> None:
    """See the emails cadence has queued, and send one again on purpose."""


@outbox.command("list")
@click.option("--all", "include_sent", is_flag=True, help="Include the emails already sent.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
def list_(app: App, include_sent: bool, as_json: bool) -> None:
    """List the emails waiting, failed or unconfirmed (the sent ones too with --all).

    \b
    pending      not handed over yet; tried again at NEXT TRY
    sending      being handed over right now
    unconfirmed  handed over, but the server never answered: it may or may not
                 have arrived; never sent again by itself (see `outbox resend`)
    failed       refused by the server, or tried too often
    sent         taken by the server
    """
    engine = app.engine()
    zone = engine.config.owner.zone
    found = engine.outbox(include_sent=include_sent)
    if as_json:
        print_json([e.as_json(zone) for e in found])
        return
    if not found:
        click.echo("The outbox is empty." if include_sent else "No email waiting.")
        return
    rows = [
        [
            str(e.id),
            e.status,
            str(e.attempts),
            _when(e.next_try, zone),
            ", ".join(e.to),
            _short(e.subject),
        ]
        for e in found
    ]
    click.echo(table(rows, ["id", "status", "tries", "next try", "to", "subject"]))
    for e in found:
        if e.status in ("failed", "unconfirmed") and e.last_error:
            click.echo(f"#{e.id}: {e.last_error}")


@outbox.command("resend")
@click.argument("item_id", metavar="ID", type=click.IntRange(min=1))
@pass_app
@click.pass_context
def resend(ctx: click.Context, app: App, item_id: int) -> None:
    """Send the unconfirmed or failed email ID again, now.

    An unconfirmed email may have arrived already: check first. The copy keeps
    its Message-ID, so mail clients that do get both can tell it is the same.
    Exits 1 when it could not be delivered (it then stays queued).
    """
    engine = app.engine()
    email = engine.resend(item_id)
    zone = engine.config.owner.zone
    if email.status == "sent":
        click.echo(f"Sent {email.describe()}.")
        return
    if email.status == "pending":
        click.echo(
            f"Not delivered yet: {email.last_error}; it stays queued, next try "
            f"{_when(email.next_try, zone)}.",
            err=True,
        )
    elif email.status == "unconfirmed":
        click.echo(f"Again no answer from the server: {email.last_error}", err=True)
    else:
        click.echo(f"Not delivered: {email.last_error}", err=True)
    ctx.exit(1)


@outbox.command("confirm")
@click.argument("item_id", metavar="ID", type=click.IntRange(min=1))
@pass_app
def confirm(app: App, item_id: int) -> None:
    """Record that the unconfirmed email ID did arrive (it is not sent again)."""
    email = app.engine().confirm(item_id)
    click.echo(f"Recorded as arrived: {email.describe()}.")
