"""The ``cadence`` command: global options, error handling, and the command groups.

Known errors become one line on stderr and the exit code
:mod:`cadence.cli.exit_codes` gives them; anything unexpected prints one line
and the hint to rerun with ``--verbose``, which shows the traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import IO, Any

import click
from cadence.cli.auth import auth
from cadence.cli.bookings import bookings
from cadence.cli.context import App
from cadence.cli.daemon import daemon
from cadence.cli.doctor import doctor
from cadence.cli.exit_codes import FAILURE, USAGE, end_for_closed_pipe, exit_code
from cadence.cli.inbox import inbox
from cadence.cli.outbox import outbox
from cadence.cli.people import person
from cadence.cli.proposals import agenda, proposals
from cadence.cli.report import report
from cadence.cli.status import status
from cadence.cli.sync import init, sync
from cadence.cli.web import web
from cadence.daemon import __version__, logs
from cadence.daemon.core.errors import CadenceError

log = logging.getLogger("cadence")


class CadenceFailure(click.ClickException):
    """A known runtime error, shown as one line."""

    exit_code = FAILURE

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"cadence: {self.format_message()}", err=True)


class CadenceUsageFailure(CadenceFailure):
    """A known usage or configuration error, shown as one line."""

    exit_code = USAGE


class CadenceGroup(click.Group):
    """The root group: turns every error below it into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CadenceError as exc:
            failure = CadenceUsageFailure if exit_code(exc) == USAGE else CadenceFailure
            raise failure(str(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            end_for_closed_pipe()
        except Exception as exc:
            log.debug("unexpected error", exc_info=True)
            verbose = isinstance(ctx.obj, App) and ctx.obj.verbose
            hint = "" if verbose else " (rerun with --verbose for details)"
            raise CadenceFailure(f"unexpected error: {exc!r}{hint}") from exc


@click.group(
    cls=CadenceGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: $CADENCE_CONFIG, else $XDG_CONFIG_HOME/cadence/config.toml].",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug details (and tracebacks).")
@click.version_option(__version__, prog_name="cadence")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """cadence keeps your 1:1s alive.

    It watches your calendar, makes sure everyone you have 1:1s with gets one
    in every period of their cadence, turns cancellations into proposals of
    new times sent by email, and keeps a living agenda per person.

    \b
    Start with:
      cadence init                  write a starter config
      cadence person add EMAIL ...  say who you have 1:1s with
      cadence sync                  one cycle: find gaps, propose times
    """
    logs.configure(logging.DEBUG if verbose else logging.WARNING, timestamps=False)
    app = App(config_path, verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


cli.add_command(init)
cli.add_command(auth)
cli.add_command(person)
cli.add_command(sync)
cli.add_command(daemon)
cli.add_command(status)
cli.add_command(proposals)
cli.add_command(bookings)
cli.add_command(agenda)
cli.add_command(doctor)
cli.add_command(report)
cli.add_command(inbox)
cli.add_command(outbox)
cli.add_command(web)


def main() -> None:
    """Entry point of the ``cadence`` console script."""
    try:
        try:
            cli.main(prog_name="cadence")
        finally:
            sys.stdout.flush()  # here, where a closed pipe can still end quietly
    except BrokenPipeError:
        end_for_closed_pipe()
