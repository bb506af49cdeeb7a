"""The ``cadence`` command: global options, error handling, and the command groups.

Known errors become one line on stderr and exit 1 (runtime) or 2 (usage or
configuration); anything unexpected prints one line and the hint to rerun with
``--verbose``, which shows the traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from cadence.cli.context import App
from cadence.cli.people import person
from cadence.cli.proposals import agenda, proposals
from cadence.cli.sync import init, status, sync
from cadence.daemon import __version__
from cadence.daemon.errors import CadenceError

log = logging.getLogger("cadence")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    app = App(config_path, verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


cli.add_command(init)
cli.add_command(person)
cli.add_command(sync)
cli.add_command(status)
cli.add_command(proposals)
cli.add_command(agenda)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every outcome into an exit code."""
    verbose = "-v" in (argv or sys.argv) or "--verbose" in (argv or sys.argv)
    try:
        result = cli.main(args=argv, prog_name="cadence", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CadenceError as exc:
        click.echo(f"cadence: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        log.debug("unexpected error", exc_info=True)
        click.echo(f"cadence: unexpected error: {exc!r}", err=True)
        if not verbose:
            click.echo("cadence: rerun with --verbose for details", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
