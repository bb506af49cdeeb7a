"""``cadence auth google``: authorize cadence to use the owner's Google account."""

from __future__ import annotations

import click
from cadence.cli.context import App, pass_app


@click.group(short_help="Authorize cadence with a calendar provider.")
def auth() -> None:
    """Authorize cadence with a calendar provider."""


@auth.command(short_help="OAuth installed-app flow for Google.")
@click.option(
    "-n",
    "--no-browser",
    is_flag=True,
    help="Print the address to open instead of opening a browser (e.g. over SSH).",
)
@pass_app
def google(app: App, no_browser: bool) -> None:
    """Sign in to Google and save the authorization at calendar.google.token.

    \b
    Needs calendar.google.client_secrets: the OAuth client (type "Desktop app")
    downloaded from the Google Cloud console. The token is written with mode
    0600 and refreshed by cadence as it expires; run this again when cadence
    says Google refused it.
    """
    app.engine().authorize_google(open_browser=not no_browser, say=click.echo)
