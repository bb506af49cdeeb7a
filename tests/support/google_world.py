"""A cadence set up against the Google emulator, driven through the CLI, and the
owner's weekly 1:1 with Alice as a Google event."""

from __future__ import annotations

import email
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cadence.cli.main import cli
from cadence.daemon.calendars.google import GoogleCalendar
from cadence.daemon.google.api import service
from cadence.daemon.google.auth import SCOPES
from click.testing import CliRunner, Result

from tests.google_emulator import GoogleEmulator
from tests.support.configs import write_config

OWNER = "olivia@example.com"
ALICE = "alice@example.com"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday

FIRST = datetime(2026, 10, 6, 10, 0, tzinfo=BERLIN)  # a Tuesday
NEXT_WEEK = datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)

MARKDOWN_AGENDAS = {"directory": "agendas", "base_url": "https://wiki.example.com/1on1/"}


@contextmanager
def emulator_with(*users: str, now: datetime) -> Iterator[GoogleEmulator]:
    """The Google API emulator at ``now``, with an account (in Berlin) for each user."""
    with GoogleEmulator() as google:
        google.now = now
        for user in users:
            google.add_user(user, timezone="Europe/Berlin")
        yield google


def primary_calendar(google: GoogleEmulator, owner: str = OWNER) -> GoogleCalendar:
    """The owner's primary calendar through the emulator, as cadence reads it."""
    creds = google.user_credentials(owner)
    env = {"CADENCE_GOOGLE_ROOT": google.root}

    def connect() -> object:
        return service("calendar", "v3", creds, env=env)

    return GoogleCalendar(connect, "primary", BERLIN, owner)


def weekly_with(attendees: list[str]) -> dict[str, Any]:
    """The owner's weekly 1:1 on Tuesdays at 10:00 since FIRST, as an events.insert body."""
    return {
        "summary": "Alice / Olivia",
        "start": {"dateTime": FIRST.isoformat(), "timeZone": "Europe/Berlin"},
        "end": {
            "dateTime": (FIRST + timedelta(minutes=30)).isoformat(),
            "timeZone": "Europe/Berlin",
        },
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
        "attendees": [{"email": a} for a in attendees],
        "organizer": {"email": OWNER},
    }


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


def google_world(
    tmp: Path, google: GoogleEmulator, agenda: Mapping[str, Any] = MARKDOWN_AGENDAS
) -> World:
    """Given a running emulator, register the owner and Alice and write a config for
    calendar.backend = google with the owner's token and ``agenda`` as its [agenda]
    table; return the world at NOW."""
    google.now = NOW.astimezone(UTC)
    google.add_user(OWNER, timezone="Europe/Berlin")
    google.add_user(ALICE, timezone="Europe/Berlin")
    token = tmp / "google-token.json"
    token.write_text(google.user_credentials(OWNER, scopes=list(SCOPES)).to_json())
    token.chmod(0o600)
    config = write_config(
        tmp,
        {
            "owner": {"email": OWNER},
            "calendar": {"backend": "google", "google": {"token": token.name}},
            "agenda": agenda,
        },
    )
    return World(tmp, google, config)
