"""The CLI over a feed in a file and mail into a maildir: quick end-to-end tests.

    world = FileWorld.make(tmp_path, feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    world.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    world.json("sync")

The clock is pinned with $CADENCE_NOW (NOW unless told otherwise); the state
is a real SQLite file, the emails real files in ``mail/new``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support.configs import Overrides, write_config
from tests.support.people import NOW


@dataclass
class FileWorld:
    tmp: Path
    config: Path
    now: datetime = NOW

    @classmethod
    def make(cls, tmp: Path, feed: bytes, *overrides: Overrides) -> FileWorld:
        world = cls(tmp, tmp / "config.toml")
        world.feed(feed)
        base = {"calendar": {"ics": {"url": "calendar.ics"}}, "agenda": {"directory": "agendas"}}
        write_config(tmp, base, *overrides)
        return world

    def feed(self, body: bytes) -> None:
        (self.tmp / "calendar.ics").write_bytes(body)

    def run(self, *args: str, now: datetime | None = None) -> Result:
        env = {"CADENCE_CONFIG": str(self.config), "CADENCE_NOW": (now or self.now).isoformat()}
        return CliRunner().invoke(cli, list(args), env=env)

    def json(self, *args: str, now: datetime | None = None) -> Any:
        result = self.run(*args, "--json", now=now)
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    def mails(self) -> list[EmailMessage]:
        folder = self.tmp / "mail" / "new"
        found = sorted(folder.iterdir()) if folder.exists() else []
        parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in found]
        return [m for m in parsed if isinstance(m, EmailMessage)]
