"""``cadence outbox list|resend|confirm``, and the unconfirmed email in ``status``,
``doctor`` and the weekly digest: the one uncertain case is shown with the
command that settles it.

A feed file, a real SMTP server that keeps the message and hangs up before
answering its final ".", a real state file; the clock pinned with $CADENCE_NOW.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import by_smtp, write_config
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series
from tests.support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow

KEYS = {"id", "key", "to", "subject", "status", "attempts", "next_try"}


@dataclass
class World:
    tmp: Path
    smtp: SmtpTestServer
    config: Path

    def run(self, *args: str) -> Result:
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": NOW.isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        return json.loads(result.stdout)

    def received(self) -> list[str]:
        return [str(m.message["Message-ID"]) for m in self.smtp.messages]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    (tmp_path / "calendar.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    with SmtpTestServer() as smtp:
        config = write_config(
            tmp_path,
            {
                "calendar": {"ics": {"url": "calendar.ics"}},
                "agenda": {"directory": "agendas"},
                "email": {
                    "from": "cadence@example.com",
                    **by_smtp(host=smtp.host, port=smtp.port, security="none", timeout="5s"),
                },
            },
        )
        w = World(tmp_path, smtp, config)
        added = w.run("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
        assert added.exit_code == 0, added.output
        yield w


def unconfirmed_sync(world: World) -> dict[str, Any]:
    """Run a cycle whose proposal email the server keeps without answering."""
    world.smtp.drop_after_data = True
    synced = world.run("sync")
    world.smtp.drop_after_data = False
    assert synced.exit_code == 1
    assert "may have taken it" in synced.output
    (email,) = world.json("outbox", "list")
    return dict(email)


def test_an_unconfirmed_email_is_listed_shown_and_never_sent_again_by_itself(
    world: World,
) -> None:
    email = unconfirmed_sync(world)
    assert set(email) >= KEYS
    assert email["status"] == "unconfirmed"
    assert email["to"] == [feeds.OWNER]
    assert email["key"].startswith("proposal:")
    assert "Alice Example" in email["subject"]
    assert (email["attempts"], email["next_try"]) == (1, None)
    assert len(world.received()) == 1

    # More cycles send nothing more.
    assert world.json("sync")["emails_sent"] == 0
    assert len(world.received()) == 1

    status = world.json("status")
    assert status["outbox"]["unconfirmed"] == 1
    (shown,) = status["unconfirmed_emails"]
    assert shown["id"] == email["id"]
    assert shown["resend"] == f"cadence outbox resend {email['id']}"
    text = world.run("status").output
    assert f"#{email['id']} to {feeds.OWNER}" in text
    assert f"`cadence outbox resend {email['id']}`" in text

    doctor = world.run("doctor")
    assert doctor.exit_code == 1
    (line,) = [x for x in doctor.output.splitlines() if x.startswith("FAIL  outbox")]
    assert "may or may not have arrived" in line
    assert f"cadence outbox resend {email['id']}" in doctor.output

    listing = world.run("outbox", "list").output
    assert "unconfirmed" in listing and "connection lost" in listing


def test_resend_sends_it_again_on_purpose(world: World) -> None:
    email = unconfirmed_sync(world)
    resent = world.run("outbox", "resend", str(email["id"]))
    assert resent.exit_code == 0, resent.output
    assert resent.output.startswith(f"Sent #{email['id']} to {feeds.OWNER}")
    # Same message, same Message-ID: the copy can be told apart as one.
    first, second = world.received()
    assert first == second
    assert world.json("outbox", "list") == []
    (sent,) = world.json("outbox", "list", "--all")
    assert (sent["status"], sent["attempts"]) == ("sent", 1)
    assert world.json("status")["unconfirmed_emails"] == []
    again = world.run("outbox", "resend", str(email["id"]))
    assert again.exit_code == 2
    assert "is sent; only unconfirmed or failed emails are re-sent" in again.output


def test_resend_that_fails_again_keeps_the_email_queued(world: World) -> None:
    email = unconfirmed_sync(world)
    world.smtp.data_reply = "451 4.3.0 Try again later"
    resent = world.run("outbox", "resend", str(email["id"]))
    assert resent.exit_code == 1
    assert "Not delivered yet" in resent.output and "451" in resent.output
    (queued,) = world.json("outbox", "list")
    assert queued["status"] == "pending" and queued["next_try"] is not None


def test_confirm_records_that_it_arrived(world: World) -> None:
    email = unconfirmed_sync(world)
    confirmed = world.run("outbox", "confirm", str(email["id"]))
    assert confirmed.exit_code == 0, confirmed.output
    assert world.json("outbox", "list") == []
    assert world.json("status")["outbox"]["unconfirmed"] == 0
    assert world.run("doctor").output.count("FAIL") == 0
    assert len(world.received()) == 1


def test_unknown_ids_say_where_to_look(world: World) -> None:
    for command in ("resend", "confirm"):
        result = world.run("outbox", command, "99")
        assert result.exit_code == 2  # unknown ids are usage errors, as everywhere
        assert "no email 99 in the outbox; see `cadence outbox list`" in result.output
        assert "Traceback" not in result.output
