"""``cadence daemon``: the long-running service (see cadence.daemon.service)."""

from __future__ import annotations

import logging

import click
from cadence.cli.context import App, pass_app
from cadence.daemon import logs
from cadence.daemon.service import Service


@click.command(short_help="Run cycles forever (for systemd).")
@pass_app
@click.pass_context
def daemon(ctx: click.Context, app: App) -> None:
    """Run a cycle now and then every daemon.interval, until SIGTERM or SIGINT.

    \b
    Logs one line per event to stderr (journald adds the time under systemd).
    SIGHUP reloads the config; a broken new config is reported and the
    running one kept. Speaks the systemd notify protocol (READY, STATUS,
    WATCHDOG, STOPPING) when $NOTIFY_SOCKET is set.
    """
    logs.configure(logging.DEBUG if app.verbose else logging.INFO, timestamps=True)
    ctx.exit(Service(app.path).run())
