"""The whole loop, end to end, on the demo's calendar extended with an inbox.

The demo's feed (examples/demo/make_feed.py: Alice's weekly 1:1, its instance of
Tuesday 1 December cancelled; Bob's fortnightly one) is served over HTTP; cadence
sends over SMTP to an aiosmtpd server and reads a real Dovecot mailbox over IMAP
with TLS; the owner and the people answer as their mail and calendar clients do.
Everything cadence sends as iCalendar is read back by a second, independent and
strict parser (allenporter's ``ical``). The clock is pinned to Monday 23 November
2026, 09:00 in Berlin.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result
from ical.calendar import Calendar

from tests.support import feeds
from tests.support.configs import by_smtp, write_config
from tests.support.feed_server import FeedServer
from tests.support.ical_check import calendar_parts, method_of, strict_calendar
from tests.support.imap_server import DovecotServer, ImapUser
from tests.support.paths import ROOT
from tests.support.people import ALICE, BERLIN, NOW
from tests.support.replies import reply_fixture
from tests.support.smtp_server import Received, SmtpTestServer

pytestmark = pytest.mark.slow

OWNER = feeds.OWNER
CADENCE = "cadence@example.com"
BOB = "bob@example.com"


def demo_feed(*extra: str) -> bytes:
    """The demo's calendar as of NOW, with ``extra`` VEVENTs added."""
    path = ROOT / "examples" / "demo" / "make_feed.py"
    spec = importlib.util.spec_from_file_location("demo_feed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text: str = module.build(NOW.date())
    return text.replace("END:VCALENDAR\r\n", "".join(extra) + "END:VCALENDAR\r\n").encode()


def cancelled_bob(day: datetime) -> str:
    """Bob's fortnightly instance on ``day`` (Thursday 14:00) cancelled."""
    stamp = day.strftime("%Y%m%dT%H%M%S")
    return (
        "BEGIN:VEVENT\r\nUID:bob-biweekly@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Berlin:{stamp}\r\n"
        f"DTEND;TZID=Europe/Berlin:{(day + timedelta(minutes=30)).strftime('%Y%m%dT%H%M%S')}\r\n"
        f"RECURRENCE-ID;TZID=Europe/Berlin:{stamp}\r\nSTATUS:CANCELLED\r\n"
        "SUMMARY:Bob <> Olivia\r\nORGANIZER;CN=Olivia Owner:mailto:olivia@example.com\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:olivia@example.com\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\nEND:VEVENT\r\n"
    )


@dataclass
class Loop:
    feed: FeedServer
    smtp: SmtpTestServer
    dovecot: DovecotServer
    user: ImapUser
    config: Path
    seen: int = 0

    def run(self, *args: str, now: datetime = NOW) -> Result:
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": now.isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
            "CADENCE_IMAP_PASSWORD": self.user.password,
            "SSL_CERT_FILE": str(self.dovecot.tls.cert),
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def json(self, *args: str, now: datetime = NOW) -> Any:
        result = self.run(*args, "--json", now=now)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def new_mail(self) -> list[Received]:
        """The emails the SMTP server received since the last call."""
        found = self.smtp.messages[self.seen :]
        self.seen = len(self.smtp.messages)
        return list(found)

    def deliver(self, raw: bytes) -> None:
        self.dovecot.deliver(self.user, raw, when=NOW)

    def reply(self, proposal_mail: Received, choice: str, client: str = "gmail") -> None:
        """The owner answers a proposal email from her mail client."""
        name = {"gmail": "gmail_reply_quoted.eml", "apple": "apple_mail_reply_quoted.eml"}
        mid = str(proposal_mail.message["Message-ID"])
        self.deliver(reply_fixture(name[client], CHOICE=choice, PROPOSAL_MESSAGE_ID=mid))


@pytest.fixture
def loop(tmp_path: Path, dovecot: DovecotServer) -> Iterator[Loop]:
    with FeedServer(demo_feed()) as feed, SmtpTestServer() as smtp:
        user = dovecot.add_user()
        config = write_config(
            tmp_path,
            {
                "calendar": {"ics": {"url": feed.url, "timeout": "5s"}},
                "agenda": {
                    "directory": "agendas",
                    "base_url": "https://wiki.example.com/1on1/",
                    "prepare_ahead": "14d",
                },
                "email": {
                    "from": CADENCE,
                    **by_smtp(host=smtp.host, port=smtp.port, security="none"),
                    "inbox": {
                        "transport": "imap",
                        "imap": {"host": dovecot.host, "port": dovecot.imaps_port,
                                 "username": user.name},
                    },
                },
            },
        )  # fmt: skip
        found = Loop(feed, smtp, dovecot, user, config)
        for args in (
            [ALICE, "--name", "Alice Example", "--every", "weekly", "--day", "tue",
             "--time", "10:00", "--kind", "report"],
            [BOB, "--name", "Bob Builder", "--every", "biweekly", "--day", "thu",
             "--time", "14:00", "--kind", "peer"],
        ):  # fmt: skip
            added = found.run("person", "add", *args)
            assert added.exit_code == 0, added.output
        yield found


def calendar_of(received: Received) -> tuple[str, Calendar, str]:
    """The one calendar part of an email: its METHOD (checked against the MIME
    parameter), the strict parse, and the text."""
    ((method, text),) = calendar_parts(received.message)
    assert method_of(text) == method
    return method, strict_calendar(text), text


def topology(received: Received) -> dict[str, Any]:
    """Who is who in an iMIP email: envelope, From, METHOD, ORGANIZER, ATTENDEEs."""
    method, found, _ = calendar_of(received)
    (event,) = found.events
    assert event.organizer is not None
    return {
        "to": list(received.rcpt_tos),
        "from": received.message["From"].addresses[0].addr_spec,
        "method": method,
        "organizer": event.organizer.uri,
        "attendees": {a.uri: (a.status, a.rsvp) for a in event.attendees},
        "uid": event.uid,
        "sequence": event.sequence,
    }


def by_subject(mails: list[Received], start: str) -> list[Received]:
    return [m for m in mails if str(m.message["Subject"]).startswith(start)]


# --- the loop -----------------------------------------------------------------------


def test_the_loop_from_a_reply_to_a_decline_and_a_removal(loop: Loop) -> None:
    assert loop.run("sync").exit_code == 0
    (proposal_mail,) = loop.new_mail()
    assert proposal_mail.message["Subject"].startswith("1:1 with Alice Example: cancelled on")
    (proposal,) = loop.json("proposals", "list")
    slot = proposal["slots"][1]

    # The owner replies "2" from Gmail; the next cycle reads it and books slot 2.
    loop.reply(proposal_mail, "2")
    synced = loop.json("sync")
    assert [a["action"] for a in synced["inbox"]["acted"]] == ["book"]
    mails = loop.new_mail()
    (invitation,) = [m for m in mails if list(m.rcpt_tos) == [ALICE]]
    (copy,) = [m for m in mails if m is not invitation and list(m.rcpt_tos) == [OWNER]
               and str(m.message["Subject"]).startswith("Invitation:")]  # fmt: skip
    (confirmation,) = by_subject(mails, "cadence: booked Alice Example")
    assert "The invitation went to alice@example.com" in confirmation.message.get_content()
    assert len(mails) == 3

    # Who is who: the person's client shows accept/decline; the owner's copy is an
    # invitation she attends (not one to its own organizer), addable in one press;
    # both answer to cadence's address, which both emails come from.
    theirs, mine = topology(invitation), topology(copy)
    for seen in (theirs, mine):
        assert seen["method"] == "REQUEST" and seen["from"] == CADENCE
        assert seen["organizer"] == f"mailto:{CADENCE}"
        assert seen["attendees"] == {
            f"mailto:{ALICE}": ("NEEDS-ACTION", True),
            f"mailto:{OWNER}": ("NEEDS-ACTION", True),
        }
        assert seen["sequence"] == 0
    assert theirs["uid"] == mine["uid"]
    assert invitation.message["Reply-To"].addresses[0].addr_spec == OWNER
    (event,) = calendar_of(invitation)[1].events
    assert event.dtstart == datetime.fromisoformat(slot["start"])
    assert event.url == "https://wiki.example.com/1on1/alice-at-example.com.md"

    (booking,) = loop.json("bookings", "list")
    assert booking["uid"] == theirs["uid"] and booking["status"] == "invited"
    assert booking["proposal"] == proposal["id"] and booking["recurrence"] is None

    # The report counts that week as rescheduled, though the feed never showed it.
    after = datetime.fromisoformat(slot["end"]) + timedelta(hours=1)
    (alice_row,) = [r for r in loop.json("report", "--weeks", "2", now=after)
                    if r["person"] == ALICE]  # fmt: skip
    assert alice_row["cells"][-1]["state"] == "rescheduled"
    assert alice_row["rescheduled"] == 1

    # Another proposal never offers the booked time: Bob's usual time becomes exactly
    # it, and his 1:1 of this fortnight is cancelled.
    booked = datetime.fromisoformat(slot["start"])
    day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][booked.weekday()]
    assert loop.run("person", "set", BOB, "--day", day,
                    "--time", f"{booked:%H:%M}").exit_code == 0  # fmt: skip
    loop.feed.set_body(demo_feed(cancelled_bob(datetime(2026, 11, 26, 14, tzinfo=BERLIN))))
    loop.json("sync")
    (bob_mail,) = loop.new_mail()
    assert bob_mail.message["Subject"].startswith("1:1 with Bob Builder")
    (bobs,) = [p for p in loop.json("proposals", "list") if p["person"] == BOB]
    end = datetime.fromisoformat(slot["end"])
    assert all(
        datetime.fromisoformat(s["end"]) <= booked or datetime.fromisoformat(s["start"]) >= end
        for s in bobs["slots"]
    ), bobs["slots"]
    assert any(datetime.fromisoformat(s["start"]).date() == booked.date() for s in bobs["slots"])

    # Alice declines (Outlook): the owner's copy is cancelled, and one new proposal
    # goes out for that week.
    loop.deliver(reply_fixture("outlook_itip_reply_declined.eml", UID=booking["uid"]))
    synced = loop.json("sync")
    (acted,) = synced["inbox"]["acted"]
    assert acted["action"] == "reply" and acted["booking"] == booking["id"]
    mails = loop.new_mail()
    (cancel,) = by_subject(mails, "Cancelled: 1:1 Alice Example")
    seen = topology(cancel)
    assert seen["method"] == "CANCEL" and seen["to"] == [OWNER] and seen["sequence"] == 1
    assert seen["uid"] == booking["uid"] and seen["organizer"] == f"mailto:{CADENCE}"
    (again,) = by_subject(mails, "1:1 with Alice Example: declined on")
    assert len(mails) == 2
    assert loop.json("sync")["proposals_created"] == 0 and loop.new_mail() == []
    (declined,) = loop.json("bookings", "list", "--all")
    assert declined["status"] == "declined"

    # The new proposal is booked by reply (Apple Mail); then Alice is removed: her
    # booking is cancelled, and both calendars get the CANCEL.
    loop.reply(again, "1", client="apple")
    loop.json("sync")
    assert len(by_subject(loop.new_mail(), "Invitation:")) == 2
    removed = loop.run("person", "remove", ALICE, "--yes")
    assert removed.exit_code == 0, removed.output
    loop.json("sync")
    cancels = by_subject(loop.new_mail(), "Cancelled:")
    assert sorted(tuple(m.rcpt_tos) for m in cancels) == [(ALICE,), (OWNER,)]
    for mail in cancels:
        seen = topology(mail)
        assert seen["method"] == "CANCEL" and seen["sequence"] == 1
        (event,) = calendar_of(mail)[1].events
        assert event.status is not None and event.status.value == "CANCELLED"
    standing = loop.json("bookings", "list")
    assert standing == []
    statuses = [b["status"] for b in loop.json("bookings", "list", "--all")]
    assert statuses == ["declined", "cancelled"]


def test_a_recurring_booking_its_update_and_its_end(loop: Loop) -> None:
    # Carol has no 1:1 at all: one proposal of a weekly series.
    added = loop.run("person", "add", "carol@example.com", "--name", "Carol Chen",
                     "--every", "weekly", "--day", "wed", "--time", "11:00")  # fmt: skip
    assert added.exit_code == 0
    loop.json("sync")
    (proposal_mail,) = by_subject(loop.new_mail(), "1:1 with Carol Chen: no recurring 1:1")
    loop.reply(proposal_mail, "1")
    loop.json("sync")
    mails = by_subject(loop.new_mail(), "Invitation: 1:1 Carol Chen")
    assert len(mails) == 2
    method, found, text = calendar_of(mails[0])
    assert method == "REQUEST"
    (event,) = found.events
    assert event.rrule is not None and event.rrule.as_rrule_str() == "FREQ=WEEKLY"
    (timezone,) = found.timezones
    assert timezone.tz_id == "Europe/Berlin"
    assert {o.rrule.as_rrule_str() for o in timezone.standard + timezone.daylight if o.rrule} == {
        "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    }
    assert "RDATE" not in text

    # Carol is removed: the series ends with an UNTIL before its next meeting.
    (booking,) = [b for b in loop.json("bookings", "list") if b["person"] == "carol@example.com"]
    later = datetime.fromisoformat(booking["start"]) + timedelta(days=8)
    assert loop.run("person", "remove", "carol@example.com", "--yes", now=later).exit_code == 0
    loop.json("sync", now=later)
    updates = by_subject(loop.new_mail(), "Updated invitation: 1:1 Carol Chen")
    assert sorted(tuple(m.rcpt_tos) for m in updates) == [("carol@example.com",), (OWNER,)]
    for mail in updates:
        method, found, _ = calendar_of(mail)
        (event,) = found.events
        assert method == "REQUEST" and event.sequence == 1 and event.uid == booking["uid"]
        assert event.rrule is not None and event.rrule.until is not None
        first = datetime.fromisoformat(booking["start"])
        assert event.rrule.until == first + timedelta(weeks=2, seconds=-1)


def test_a_week_with_no_free_time_gets_exactly_one_email_saying_so(loop: Loop) -> None:
    offsite = feeds.single("offsite@x", "Offsite", datetime(2026, 11, 30, 0, tzinfo=BERLIN),
                           6 * 24 * 60)  # fmt: skip
    loop.feed.set_body(demo_feed("\r\n".join(offsite) + "\r\n"))
    for hours in (0, 1, 2):
        assert loop.run("sync", now=NOW + timedelta(hours=hours)).exit_code == 0
    (told,) = loop.new_mail()
    subject = str(told.message["Subject"])
    assert subject.startswith("1:1 with Alice Example: cancelled on Tue 01 Dec — no free time")
    text = told.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "No free time fits your rules in the week of Mon 30 Nov" in text
    assert "Reply to this email with 1 to book that time" in text
    (proposal,) = loop.json("proposals", "list")
    assert proposal["no_free_time"] is True
    assert [s["bends"] for s in proposal["slots"]] == ["next-period"]
    assert loop.json("status")["unanswered_gaps"] == []
    # Bookable by reply, like any proposal's slot.
    loop.reply(told, "1")
    loop.json("sync", now=NOW + timedelta(hours=3))
    assert len(by_subject(loop.new_mail(), "Invitation: 1:1 Alice Example")) == 2
