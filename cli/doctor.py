"""``cadence doctor``: check the config, state, calendar, mail and agendas."""

from __future__ import annotations

import click
from cadence.cli.context import App, pass_app, print_json
from cadence.cli.exit_codes import FAILURE, USAGE
from cadence.daemon.core.errors import ConfigError
from cadence.daemon.doctor import Check, config_failures, run_checks

# Wide enough for the usual names; a longer one (a busy feed) just pushes its detail.
_NAME_WIDTH = 10


def _line(check: Check) -> str:
    if not check.ok:
        status = click.style("FAIL", fg="red", bold=True)
    elif check.warning:
        status = click.style("WARN", fg="yellow", bold=True)
    else:
        status = click.style("ok  ", fg="green")
    line = f"{status}  {check.name.ljust(_NAME_WIDTH)}  {check.detail}"
    if check.fix:
        line += f"\n      → {check.fix}"
    return line


def _summary(checks: list[Check]) -> str:
    failures = sum(not c.ok for c in checks)
    warnings = sum(c.warning for c in checks)
    noted = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
    if not failures:
        return f"All {len(checks)} checks passed{noted}."
    return f"{failures} of {len(checks)} checks failed{noted}."


@click.command(short_help="Check the config, state, calendar, mail and agendas.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
@click.pass_context
def doctor(ctx: click.Context, app: App, as_json: bool) -> None:
    """Check that everything a cycle needs works, without running one.

    \b
    Checks, one line each:
      config     the config file loads
      state      the state database opens and takes writes
      calendar   the feed answers and parses as iCalendar
      busy feed  each person's busy feed, likewise
      smtp       the mail server answers: connect, EHLO, STARTTLS and login
                 as configured; no mail is sent (maildir: it is writable)
      inbox      with [email.inbox]: connect, log in, open the folder;
                 nothing is read or marked
      outbox     no email unconfirmed (it may not have arrived) or failed
      agendas    files can be created in the agenda directory
      agenda link  the agendas have a web address others can open (a warning
                 otherwise: invitations then carry no agenda link)

    No mail is sent, no agenda is written and no source's health changes (the
    state database is created if it is missing). A failed check says what to
    do; a warning (WARN) says what works less well and how to mend it, and
    fails nothing. Exits 1 when a check failed, 2 when the config cannot be loaded (then
    nothing else can be checked).
    """
    try:
        engine = app.engine()
    except ConfigError as error:
        _report_config(config_failures(error, app.path), as_json)
        ctx.exit(USAGE)
    checks: list[Check] = []
    for check in run_checks(engine):
        checks.append(check)
        if not as_json:
            # Printed as soon as known: the network checks can take a while.
            click.echo(_line(check))
    if as_json:
        print_json([c.as_json() for c in checks])
    else:
        click.echo(_summary(checks))
    if not all(c.ok for c in checks):
        ctx.exit(FAILURE)


def _report_config(checks: list[Check], as_json: bool) -> None:
    if as_json:
        print_json([c.as_json() for c in checks])
        return
    for check in checks:
        click.echo(_line(check))
    click.echo("The config cannot be loaded; nothing else was checked.")
