"""``cadence inbox check``: read the inbox once now."""

from __future__ import annotations

from typing import Any

import click
from cadence.cli.context import App, pass_app, print_json


def describe(found: dict[str, Any]) -> list[str]:
    """Given what a read of the inbox found (its JSON), return it as lines of text."""
    read = found["read"]
    lines = [f"Read {read} new message{'' if read == 1 else 's'}."]
    for item in found["acted"]:
        lines.append(
            f"  acted    {item['message_id'] or '-'}  {item['from'] or '-'}  {item['detail']}"
        )
    for item in found["ignored"]:
        lines.append(
            f"  ignored  {item['message_id'] or '-'}  {item['from'] or '-'}  {item['why']}"
        )
    return lines


@click.group()
def inbox() -> None:
    """The inbox cadence reads for replies to what it sent."""


@inbox.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_app
@click.pass_context
def check(ctx: click.Context, app: App, as_json: bool) -> None:
    """Read the inbox once now: act on your replies to proposals and on the
    invitation replies of the people, mark what was handled.

    Only your own replies that carry a proposal's reference act (replying to the
    proposal email, or using its links); everything else is listed as ignored
    and left as it is. Exits 1 when the inbox cannot be read, or a message could
    not be handled (it is tried again next time).
    """
    report = app.engine().check_inbox()
    found = report.as_json()
    if as_json:
        print_json(found)
    else:
        for line in describe(found):
            click.echo(line)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        ctx.exit(1)
