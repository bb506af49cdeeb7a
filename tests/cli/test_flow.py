"""End to end through the CLI: a feed served over HTTP, a real SMTP server, a real state file.

The clock is pinned with $CADENCE_NOW to Monday 23 November 2026, 09:00 in
Berlin; the feed holds a weekly 1:1 with Alice on Tuesdays at 10:00.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import by_smtp, write_config
from tests.support.feed_server import FeedServer
from tests.support.people import ALICE, BERLIN, NEXT_WEEK, NOW, alice_series
from tests.support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow


@dataclass
class World:
    tmp: Path
    feed: FeedServer
    smtp: SmtpTestServer
    config: Path
    now: datetime = NOW

    def run(self, *args: str, now: datetime | None = None) -> Result:
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": (now or self.now).isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def json(self, *args: str, now: datetime | None = None) -> object:
        result = self.run(*args, "--json", now=now)
        return json.loads(result.stdout)

    def mails(self) -> list[EmailMessage]:
        return [m.message for m in self.smtp.messages]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
    ):
        config = write_config(
            tmp_path,
            {
                "calendar": {"ics": {"url": feed.url, "timeout": "5s"}},
                "agenda": {"directory": "agendas", "base_url": "https://wiki.example.com/1on1/"},
                "email": {
                    "from": "cadence@example.com",
                    **by_smtp(host=smtp.host, port=smtp.port, security="none"),
                },
            },
        )
        w = World(tmp_path, feed, smtp, config)
        added = w.run(
            "person", "add", ALICE, "--name", "Alice Example", "--every", "weekly",
            "--day", "tue", "--time", "10:00", "--duration", "30m",
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        yield w


def test_a_cancelled_instance_becomes_one_proposal_email(world: World) -> None:
    result = world.json("sync")
    assert result == {
        "gaps": 1,
        "proposals_created": 1,
        "emails_sent": 1,
        "agenda_sections": 1,  # tomorrow's 1:1 is within prepare_ahead
        "series_created": 0,  # a feed is read-only
        "errors": [],
        "held": [],  # no read held back as suspect
        "unanswered_gaps": [],
        "plan": result["plan"],  # type: ignore[index]
    }
    (mail,) = world.mails()
    assert mail["To"].addresses[0].addr_spec == feeds.OWNER
    assert mail["From"].addresses[0].addr_spec == "cadence@example.com"
    assert "Alice Example" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "cadence proposals accept 1 --slot 1" in text
    assert "https://wiki.example.com/1on1/alice-at-example.com.md" in text

    (proposal,) = world.json("proposals", "list")  # type: ignore[misc]
    assert set(proposal) >= {
        "id", "person", "reason", "status", "period_start", "period_end",
        "cancelled_start", "slots",
    }  # fmt: skip
    assert proposal["reason"] == "cancelled" and proposal["status"] == "sent"
    assert proposal["cancelled_start"] == NEXT_WEEK.isoformat()
    assert proposal["period_start"] == "2026-11-30T00:00:00+01:00"
    for slot in proposal["slots"]:
        start = datetime.fromisoformat(slot["start"])
        assert datetime(2026, 11, 30, tzinfo=BERLIN) <= start < datetime(2026, 12, 7, tzinfo=BERLIN)


def test_running_again_or_later_never_sends_a_second_email(world: World) -> None:
    world.run("sync")
    for hours in (0, 1, 30):
        again = world.json("sync", now=NOW + timedelta(hours=hours))
        assert again["proposals_created"] == 0 and again["emails_sent"] == 0  # type: ignore[index]
    assert len(world.mails()) == 1


def test_an_unchanged_feed_is_answered_304_and_not_reconsidered(world: World) -> None:
    world.run("sync")
    before = world.feed.request_count
    result = world.run("sync")
    assert result.exit_code == 0
    assert world.feed.request_count == before + 1
    assert "unchanged" in result.output


def test_accepting_sends_an_imip_invitation_to_the_person(world: World) -> None:
    world.run("sync")
    (proposal,) = world.json("proposals", "list")  # type: ignore[misc]
    accepted = world.run("proposals", "accept", str(proposal["id"]), "--slot", "2")
    assert accepted.exit_code == 0, accepted.output
    invite, copy = world.smtp.messages[-2:]
    # Each gets an email of their own (DESIGN rule 8): the person, and the owner.
    assert list(invite.rcpt_tos) == [ALICE] and list(copy.rcpt_tos) == [feeds.OWNER]
    assert invite.message["To"].addresses[0].addr_spec == ALICE
    assert "Cc" not in invite.message
    assert copy.message["To"].addresses[0].addr_spec == feeds.OWNER
    part = next(p for p in invite.message.walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "REQUEST"
    cal = icalendar.Calendar.from_ical(part.get_content())
    event = next(iter(cal.walk("VEVENT")))
    assert event.decoded("DTSTART") == datetime.fromisoformat(proposal["slots"][1]["start"])
    assert world.json("proposals", "list") == []
    again = world.run("proposals", "accept", str(proposal["id"]))
    assert again.exit_code == 2 and "accepted" in again.output


def test_a_slot_taken_meanwhile_is_refused_on_accept(world: World) -> None:
    world.run("sync")
    (proposal,) = world.json("proposals", "list")  # type: ignore[misc]
    taken = datetime.fromisoformat(proposal["slots"][0]["start"])
    world.feed.set_body(
        feeds.calendar(
            alice_series(cancelled=[NEXT_WEEK]), feeds.single("x@google.com", "Board", taken)
        )
    )
    refused = world.run("proposals", "accept", str(proposal["id"]), "--slot", "1")
    assert refused.exit_code == 1 and "no longer free" in refused.output
    assert len(world.mails()) == 1


def test_the_calendar_filling_the_gap_supersedes_the_proposal(world: World) -> None:
    world.run("sync")
    moved = {NEXT_WEEK: NEXT_WEEK + timedelta(days=2)}
    world.feed.set_body(feeds.calendar(alice_series(moved=moved)))
    result = world.json("sync")
    assert result["gaps"] == 0  # type: ignore[index]
    (proposal,) = world.json("proposals", "list", "--all")  # type: ignore[misc]
    assert proposal["status"] == "superseded"
    assert len(world.mails()) == 1


def test_a_failing_feed_is_reported_and_invents_no_gap(world: World) -> None:
    world.feed.set_body(feeds.calendar(alice_series()))
    assert world.json("sync")["gaps"] == 0  # type: ignore[index]
    world.feed.fail_with(500)
    result = world.run("sync", "--json", now=NOW + timedelta(days=1))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["gaps"] == 0 and report["proposals_created"] == 0
    (error,) = report["errors"]
    assert "500" in error["message"] and "SECRET" not in json.dumps(report)
    status = world.json("status")
    (source,) = status["sources"]  # type: ignore[index]
    assert source["healthy"] is False and "500" in source["last_error"]


def test_dry_run_prints_the_plan_and_changes_nothing(world: World) -> None:
    result = world.run("sync", "--dry-run")
    assert result.exit_code == 0
    assert "propose" in result.output and "alice@example.com" in result.output
    assert world.json("proposals", "list", "--all") == []
    assert world.mails() == []
    assert not (world.tmp / "agendas").exists()


def test_agenda_url_and_show(world: World) -> None:
    world.run("sync")
    url = world.run("agenda", "url", ALICE)
    assert url.output.strip() == "https://wiki.example.com/1on1/alice-at-example.com.md"
    shown = world.run("agenda", "show", ALICE).output
    assert "## 2026-11-24" in shown


def test_a_paused_person_gets_no_proposal(world: World) -> None:
    assert world.run("person", "pause", ALICE, "--until", "2027-01-10").exit_code == 0
    result = world.json("sync")
    assert result["gaps"] == 0 and world.mails() == []  # type: ignore[index]
    (person,) = world.json("person", "list")  # type: ignore[misc]
    assert person["paused_until"] == "2027-01-10"


def test_dismissed_proposals_stay_dismissed(world: World) -> None:
    world.run("sync")
    assert world.run("proposals", "dismiss", "1").exit_code == 0
    world.json("sync", now=NOW + timedelta(hours=3))
    (proposal,) = world.json("proposals", "list", "--all")  # type: ignore[misc]
    assert proposal["status"] == "dismissed"
    assert len(world.mails()) == 1


def test_a_decline_by_the_person_is_a_gap(world: World) -> None:
    world.feed.set_body(feeds.calendar(alice_series(declined={NEXT_WEEK: ALICE})))
    result = world.json("sync")
    assert result["gaps"] == 1  # type: ignore[index]
    (proposal,) = world.json("proposals", "list")  # type: ignore[misc]
    assert proposal["reason"] == "declined"


def test_a_deleted_single_meeting_is_a_gap(world: World) -> None:
    bob = "bob@example.com"
    held = feeds.single("bob-nov@google.com", "Bob", datetime(2026, 11, 12, 15, tzinfo=BERLIN),
                        30, attendees=[feeds.OWNER, bob])  # fmt: skip
    planned = feeds.single("bob-dec@google.com", "Bob", datetime(2026, 12, 10, 15, tzinfo=BERLIN),
                           30, attendees=[feeds.OWNER, bob])  # fmt: skip
    world.feed.set_body(feeds.calendar(alice_series(), held, planned))
    world.run("person", "add", bob, "--name", "Bob", "--every", "monthly", "--kind", "peer")
    first = world.json("sync")
    assert first["gaps"] == 1  # type: ignore[index]  # January: nothing planned yet
    world.feed.set_body(feeds.calendar(alice_series(), held))
    world.json("sync")
    reasons = {(p["person"], p["reason"]) for p in world.json("proposals", "list")}  # type: ignore[attr-defined]
    assert (bob, "deleted") in reasons and (bob, "missing") in reasons


def test_someone_without_any_series_gets_one_recurring_proposal(world: World) -> None:
    carol = "carol@example.com"
    world.run("person", "add", carol, "--name", "Carol", "--every", "biweekly", "--day", "wed")
    world.json("sync")
    proposals = [p for p in world.json("proposals", "list") if p["person"] == carol]  # type: ignore[attr-defined]
    (proposal,) = proposals
    assert proposal["reason"] == "no-series"
    world.run("proposals", "accept", str(proposal["id"]))
    invite = world.smtp.messages[-1].message
    part = next(p for p in invite.walk() if p.get_content_type() == "text/calendar")
    event = next(iter(icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")))
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["INTERVAL"] == [2]


def test_a_busy_feed_keeps_the_persons_busy_time_clear(world: World, tmp_path: Path) -> None:
    world.run("sync", "--dry-run")
    # Alice is busy all of Monday to Wednesday next week: slots must avoid those days.
    busy = tmp_path / "alice-busy.ics"
    busy.write_bytes(
        feeds.calendar(
            feeds.single("offsite@x", "Offsite", datetime(2026, 11, 30, 0, tzinfo=BERLIN), 72 * 60)
        )
    )
    world.run("person", "set", ALICE, "--busy-feed", str(busy))
    world.json("sync")
    (proposal,) = world.json("proposals", "list")  # type: ignore[misc]
    days = {datetime.fromisoformat(s["start"]).date().isoformat() for s in proposal["slots"]}
    assert days and days.isdisjoint({"2026-11-30", "2026-12-01", "2026-12-02"})


def test_a_proposal_expires_when_its_period_ends(world: World) -> None:
    world.run("sync")
    world.json("sync", now=datetime(2026, 12, 8, 9, tzinfo=BERLIN))
    (proposal,) = world.json("proposals", "list", "--all")  # type: ignore[misc]
    assert proposal["status"] == "expired"


def test_a_mail_outage_keeps_the_email_queued_until_it_heals(world: World) -> None:
    world.smtp.data_reply = "451 4.3.0 Try again later"
    failed = world.run("sync", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["proposals_created"] == 1
    assert world.json("status")["outbox"]["pending"] == 1  # type: ignore[index]
    world.smtp.data_reply = None
    too_soon = world.json("sync", now=NOW + timedelta(seconds=5))
    assert too_soon["emails_sent"] == 0  # type: ignore[index]  # backing off
    healed = world.json("sync", now=NOW + timedelta(minutes=5))
    assert healed["emails_sent"] == 1 and healed["errors"] == []  # type: ignore[index]
    world.json("sync", now=NOW + timedelta(minutes=30))
    assert len(world.mails()) == 1
    (proposal,) = world.json("proposals", "list")  # type: ignore[misc]
    assert proposal["status"] == "sent"
