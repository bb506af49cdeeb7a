"""A cadence set up against the Google emulator, driven through the CLI."""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cadence.cli.main import cli
from cadence.daemon.google.auth import SCOPES
from click.testing import CliRunner, Result

from tests.google_emulator import GoogleEmulator

OWNER = "olivia@example.com"
ALICE = "alice@example.com"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday

MARKDOWN_AGENDAS = """
[agenda]
directory = "agendas"
base_url = "https://wiki.example.com/1on1/"
"""


@dataclass
class World:
    tmp: Path
    google: GoogleEmulator
    config: Path
    now: datetime = NOW
    series: dict[str, Any] = field(default_factory=dict)

    def run(self, *args: str, input: str | None = None) -> Result:
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": self.now.isoformat(),
            "CADENCE_GOOGLE_ROOT": self.google.root,
        }
        return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def mails(self) -> list[Path]:
        return sorted((self.tmp / "mail" / "new").glob("*"))

    def messages(self) -> list[EmailMessage]:
        out = []
        for path in self.mails():
            message = email.message_from_bytes(path.read_bytes(), policy=default)
            assert isinstance(message, EmailMessage)
            out.append(message)
        return out

    def at(self, moment: datetime) -> None:
        """Move both clocks, cadence's and Google's."""
        self.now = moment
        self.google.now = moment.astimezone(UTC)


def google_world(tmp: Path, google: GoogleEmulator, agendas: str = MARKDOWN_AGENDAS) -> World:
    """Given a running emulator, register the owner and Alice and write a config for
    calendar.backend = google with the owner's token; return the world at NOW."""
    google.now = NOW.astimezone(UTC)
    google.add_user(OWNER, timezone="Europe/Berlin")
    google.add_user(ALICE, timezone="Europe/Berlin")
    token = tmp / "google-token.json"
    token.write_text(google.user_credentials(OWNER, scopes=list(SCOPES)).to_json())
    token.chmod(0o600)
    config = tmp / "config.toml"
    config.write_text(
        f"""
[owner]
name = "Olivia Owner"
email = "{OWNER}"
timezone = "Europe/Berlin"
[state]
path = "state.db"
[calendar]
backend = "google"
[calendar.google]
token = "{token.name}"
{agendas}
[email]
transport = "maildir"
[email.maildir]
path = "mail"
""",
        encoding="utf-8",
    )
    return World(tmp, google, config)
