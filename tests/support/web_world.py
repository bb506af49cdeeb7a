"""A lead's world with the web app on: a feed over HTTP, an SMTP server, and the
real ``cadence daemon`` serving the web app on a free port of 127.0.0.1.

The clock is pinned with $CADENCE_NOW to Monday 23 November 2026, 09:00 in
Berlin (the daemon's clock starts there and runs on). The feed holds a weekly
1:1 with Alice on Tuesdays at 10:00 (the instance of 1 December cancelled: one
proposal) and a fortnightly one with Bob (one in the past cancelled: a missed
period). Alice's agenda holds an open action item.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.daemon import DaemonProcess, daemon_config, wait_until
from tests.support.feed_server import FeedServer
from tests.support.people import ALICE, BERLIN, FIRST, NEXT_WEEK, NOW, alice_series
from tests.support.smtp_server import SmtpTestServer, free_port

BOB = "bob@example.com"
EARLIER_AGENDA = """# 1:1 agenda: Alice Example and Olivia Owner

## 2026-11-17 Tue 10:00, 30 min

### Alice's topics

- the on-call rota

### Olivia's topics

### New action items

- [ ] @alice: draft the on-call proposal (due 2026-11-30)
- [ ] @olivia: ask finance about the conference budget
"""
LINK = re.compile(r"https?://127\.0\.0\.1:\d+/[^\s\"'<>]+")


def bob_series() -> list[str]:
    return feeds.weekly(
        "bob-1on1@google.com",
        "Bob / Olivia",
        FIRST + timedelta(days=1, hours=4),  # Wednesdays at 14:00, every other week
        attendees=[feeds.OWNER, BOB],
        interval=2,
        cancelled=[datetime(2026, 11, 4, 14, 0, tzinfo=BERLIN)],
    )


@dataclass
class WebWorld:
    tmp: Path
    feed: FeedServer
    smtp: SmtpTestServer
    config: Path
    base_url: str
    daemon: DaemonProcess | None = None

    def env(self, now: datetime = NOW) -> dict[str, str]:
        return {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": now.isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
        }

    def run(self, *args: str, now: datetime = NOW) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env(now), catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def proposals(self) -> list[dict[str, Any]]:
        return list(self.json("proposals", "list", "--all"))

    def mails(self) -> list[EmailMessage]:
        return [m.message for m in self.smtp.messages]

    def proposal_mail(self) -> EmailMessage:
        (found,) = [m for m in self.mails() if str(m["Subject"]).startswith("1:1 with")]
        return found

    def invitation(self, to: str = ALICE) -> EmailMessage:
        """The invitation sent to ``to`` (the person and the owner each get their own)."""
        (found,) = [
            m
            for m in self.mails()
            if str(m["Subject"]).startswith("Invitation:") and to in str(m["To"])
        ]
        return found

    @staticmethod
    def links(mail: EmailMessage) -> list[str]:
        """Every web address in the email's text and HTML, first seen first."""
        found: list[str] = []
        for part in mail.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                text = part.get_content().replace("&amp;", "&")
                found += LINK.findall(text)
        return list(dict.fromkeys(found))

    @staticmethod
    def labelled(mail: EmailMessage, label: str) -> list[str]:
        """The addresses that follow ``label`` in the email's text part."""
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        return re.findall(rf"{re.escape(label)} (\S+)", text)

    def agenda_text(self, email: str = ALICE) -> str:
        name = email.replace("@", "-at-") + ".md"
        return (self.tmp / "agendas" / name).read_text(encoding="utf-8")

    def write_agenda(self, text: str, email: str = ALICE) -> None:
        name = email.replace("@", "-at-") + ".md"
        (self.tmp / "agendas").mkdir(exist_ok=True)
        (self.tmp / "agendas" / name).write_text(text, encoding="utf-8")


def start_daemon(world: WebWorld) -> DaemonProcess:
    daemon = DaemonProcess(
        world.config, env={"CADENCE_NOW": NOW.isoformat()}, args=("--verbose",)
    ).start()
    world.daemon = daemon

    def answers() -> bool:
        try:
            return httpx.get(world.base_url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout=30, what="the web app to answer")
    wait_until(lambda: any(world.smtp.messages), timeout=30, what="the proposal email")
    return daemon


@contextmanager
def web_world(tmp: Path) -> Iterator[WebWorld]:
    """Start the world and the daemon; the proposal email has arrived when it yields."""
    with ExitStack() as stack:
        feed = stack.enter_context(
            FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]), bob_series()))
        )
        smtp = stack.enter_context(SmtpTestServer())
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        config = daemon_config(
            tmp,
            feed.url,
            smtp.port,
            interval="1h",
            extra={
                "agenda": {"directory": "agendas", "base_url": None},
                "web": {"enabled": True, "listen": f"127.0.0.1:{port}", "base_url": base},
            },
        )
        world = WebWorld(tmp, feed, smtp, config, base)
        for email, name, every, day, at in (
            (ALICE, "Alice Example", "weekly", "tue", "10:00"),
            (BOB, "Bob Builder", "biweekly", "wed", "14:00"),
        ):
            added = world.run(
                "person", "add", email, "--name", name, "--every", every,
                "--day", day, "--time", at, "--duration", "30m",
            )  # fmt: skip
            assert added.exit_code == 0, added.output
        world.write_agenda(EARLIER_AGENDA)
        daemon = start_daemon(world)
        stack.callback(daemon.__exit__, None, None, None)
        try:
            yield world
        finally:
            daemon.stop()


def wait_for_mail(world: WebWorld, count: int, timeout: float = 20.0) -> None:
    wait_until(lambda: len(world.smtp.messages) >= count, timeout=timeout, what=f"{count} emails")
    time.sleep(0.05)
