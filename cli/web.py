"""``cadence web``: serve the web app in the foreground; ``cadence web login``."""

from __future__ import annotations

import logging
from datetime import timedelta

import click
from cadence.cli.context import App, pass_app
from cadence.daemon import logs
from cadence.daemon.clock import system_clock
from cadence.daemon.web.server import serve_forever


@click.group(invoke_without_command=True, short_help="Serve the web app (see README).")
@pass_app
@click.pass_context
def web(ctx: click.Context, app: App) -> None:
    """Serve the web app on web.listen until SIGTERM or SIGINT.

    `cadence daemon` serves it too when [web] enabled = true; this command is
    for running it on its own. Put it behind an https reverse proxy and set
    web.base_url to the address people reach it at.
    """
    if ctx.invoked_subcommand is not None:
        return
    logs.configure(logging.DEBUG if app.verbose else logging.INFO, timestamps=True)
    serve_forever(app.config(), system_clock(running=True))


@web.command("login")
@click.option(
    "--minutes",
    type=click.IntRange(1, 24 * 60),
    default=15,
    show_default=True,
    help="How long the link works.",
)
@pass_app
def login(app: App, minutes: int) -> None:
    """Print a link that signs you in to the web app (open it in your browser)."""
    link = app.engine().sign_in_link(timedelta(minutes=minutes))
    click.echo(link)
    click.echo(f"The link works for {minutes} minutes; keep it to yourself.", err=True)
