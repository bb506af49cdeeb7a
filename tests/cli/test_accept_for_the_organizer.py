"""With a feed: accepting a proposal for a 1:1 the person organizes (a manager's) asks
them to move it by email, with a COUNTER their calendar can accept (an Outlook
event's UID), instead of inviting them to a second meeting; the CLI says so."""

from __future__ import annotations

import email
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.feed_server import FeedServer
from tests.support.ical_check import calendar_parts, method_of, strict_calendar
from tests.support.people import ALICE, FIRST, NEXT_WEEK, NOW

pytestmark = pytest.mark.slow

UID = "040000008200E00074C5B7101A82E00800000000A1B2C3D4E5F60718@example.com"


def managers_series() -> bytes:
    """Alice (the owner's manager) organizes the weekly 1:1, changed twice since she
    made it (SEQUENCE:2); the owner declined the meeting of NEXT_WEEK, which Alice's
    calendar wrote as that meeting's own update (SEQUENCE:3)."""
    lines = feeds.weekly(
        UID,
        "Alice / Olivia",
        FIRST,
        attendees=(ALICE, feeds.OWNER),
        declined={NEXT_WEEK: feeds.OWNER},
    )
    mine = f"ORGANIZER:mailto:{feeds.OWNER}"
    lines = [f"ORGANIZER:mailto:{ALICE}" if line == mine else line for line in lines]
    lines = ["SEQUENCE:3" if line == "SEQUENCE:1" else line for line in lines]
    lines.insert(lines.index(f"UID:{UID}") + 1, "SEQUENCE:2")  # the series itself
    return feeds.calendar(lines)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[tuple[Path, Callable[..., Result]]]:
    with FeedServer(managers_series()) as feed:
        config = write_config(tmp_path, {"calendar": {"ics": {"url": feed.url}}})

        def invoke(*args: str) -> Result:
            env = {"CADENCE_CONFIG": str(config), "CADENCE_NOW": NOW.isoformat()}
            return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

        yield tmp_path, invoke


def test_accepting_asks_the_organizer_with_a_counter(
    run: tuple[Path, Callable[..., Result]],
) -> None:
    tmp, invoke = run
    added = invoke("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly",
                   "--kind", "manager")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert invoke("sync").exit_code == 0
    (proposal,) = json.loads(invoke("proposals", "list", "--json").stdout)
    assert proposal["reason"] == "declined"
    accepted = invoke("proposals", "accept", str(proposal["id"]), "--slot", "1")
    assert accepted.exit_code == 0, accepted.output
    assert "Not moved: the 1:1 is alice@example.com's meeting" in accepted.output
    assert "Invitation sent" not in accepted.output

    messages = []
    for path in sorted((tmp / "mail" / "new").glob("*")):
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    (request,) = [m for m in messages if m["Subject"].startswith("New time proposed")]
    assert request["To"] == ALICE
    assert all(method != "REQUEST" for m in messages for method, _ in calendar_parts(m))
    ((method, text),) = calendar_parts(request)
    assert method == "COUNTER" and method_of(text) == "COUNTER"
    (vevent,) = strict_calendar(text).events
    assert vevent.uid == UID
    # RFC 5546 3.2.7: a COUNTER echoes the SEQUENCE of the meeting it counters.
    assert vevent.sequence == 3
    assert vevent.recurrence_id == NEXT_WEEK.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert vevent.dtstart == datetime.fromisoformat(proposal["slots"][0]["start"])
    assert vevent.organizer is not None and vevent.organizer.uri == f"mailto:{ALICE}"
