"""The weekly digest: due once a week at the configured time in the owner's timezone,
sent exactly once through a real SMTP server, by ``cadence sync`` runs (each one a
fresh process state) and by the real daemon, also after it was down at that time.

The owner is in Berlin; the feed holds a weekly 1:1 with Alice on Tuesdays at
10:00 whose instance of 1 December is cancelled (see tests/support/people.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from email.message import EmailMessage
from pathlib import Path

import pytest
from cadence.cli.main import cli
from cadence.daemon.config import DigestConfig
from cadence.daemon.digest import digest_due, scheduled_at, week_key
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from tests.support import feeds
from tests.support.daemon import DaemonProcess, NotifyListener, daemon_config, wait_until
from tests.support.feed_server import FeedServer
from tests.support.people import ALICE, BERLIN, NEXT_WEEK, alice_series
from tests.support.smtp_server import SmtpTestServer

MONDAY_8 = DigestConfig(enabled=True, day=0, time=clock(8, 0))
W48 = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)  # Monday of ISO week 48


# -- when it is due (pure) ----------------------------------------------------------


def due(now: datetime, last: str | None = None, digest: DigestConfig = MONDAY_8) -> str | None:
    return digest_due(now, digest, BERLIN, last)


def test_due_from_the_scheduled_time_until_sent() -> None:
    assert due(W48 - timedelta(seconds=1)) is None
    assert due(W48) == "2026-W48"
    assert due(W48 + timedelta(days=4)) == "2026-W48"
    assert due(W48 + timedelta(days=4), last="2026-W48") is None
    assert due(W48 + timedelta(weeks=1), last="2026-W48") == "2026-W49"


def test_after_weeks_down_only_the_latest_week_is_due() -> None:
    later = W48 + timedelta(weeks=3, days=2)
    assert due(later, last="2026-W47") == "2026-W51"
    assert due(later + timedelta(hours=1), last="2026-W51") is None


def test_a_missed_digest_is_not_caught_up_hours_before_the_next() -> None:
    assert due(W48 - timedelta(hours=1), last="2026-W46") is None
    assert due(W48 - timedelta(hours=13), last="2026-W46") == "2026-W47"


def test_disabled_or_a_clock_set_back_sends_nothing() -> None:
    assert due(W48, digest=DigestConfig(False, 0, clock(8))) is None
    assert due(W48 - timedelta(weeks=2), last="2026-W48") is None


def test_the_scheduled_time_is_local_and_survives_a_dst_change() -> None:
    sunday = DigestConfig(True, 6, clock(2, 30))  # 02:30 does not exist on 28 March 2027
    moment = scheduled_at(datetime(2027, 3, 24).date(), sunday, BERLIN)
    assert moment.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert week_key(moment.date()) == "2027-W12"
    autumn = scheduled_at(datetime(2027, 10, 27).date(), DigestConfig(True, 6, clock(9)), BERLIN)
    assert autumn.astimezone(UTC) == datetime(2027, 10, 31, 8, tzinfo=UTC)  # CET again


@given(
    st.lists(st.integers(min_value=1, max_value=60 * 24 * 20), min_size=1, max_size=60),
    st.integers(0, 6),
    st.integers(0, 23),
)
def test_cycles_at_any_times_send_at_most_one_digest_a_week(
    gaps: list[int], day: int, hour: int
) -> None:
    digest = DigestConfig(True, day, clock(hour, 15))
    now, last, sent = W48, None, []
    for minutes in gaps:
        now += timedelta(minutes=minutes)
        week = digest_due(now, digest, BERLIN, last)
        if week is not None:
            sent.append((week, now))
            last = week
    weeks = [w for w, _ in sent]
    assert weeks == sorted(set(weeks))
    for week, moment in sent:
        # Sent at or after its own scheduled time, before the next week's.
        scheduled = scheduled_at(moment.astimezone(BERLIN).date(), digest, BERLIN)
        if scheduled > moment:
            scheduled = scheduled_at(scheduled.date() - timedelta(weeks=1), digest, BERLIN)
        assert week == week_key(scheduled.date()) and scheduled <= moment
    if max(gaps) <= 60:  # running all along: every scheduled time passed got its digest
        first, last = W48 + timedelta(minutes=gaps[0]), now
        expected = {
            week_key(d.date())
            for n in range(-1, len(gaps) // (7 * 24) + 2)
            if first <= (d := scheduled_at((W48 + timedelta(weeks=n)).date(), digest, BERLIN))
            and d <= last
        }
        assert set(weeks) >= expected


# -- through the CLI and a real SMTP server -----------------------------------------

AGENDA = """# 1:1 agenda: Alice Example and Olivia Owner

## 2026-11-17 Tue 10:00, 30 min

### New action items

- [ ] @alice: draft the <on-call> proposal (due 2026-11-30)
- [x] @olivia: share the notes
"""


def digest_config(time: str) -> dict[str, object]:
    return {"digest": {"enabled": True, "day": "mon", "time": time}}


@dataclass
class World:
    smtp: SmtpTestServer
    config: Path

    def sync(self, now: datetime, *, check: bool = True) -> Result:
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": now.isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
        }
        result = CliRunner().invoke(cli, ["sync"], env=env, catch_exceptions=False)
        assert result.exit_code == 0 or not check, result.output
        return result

    def digests(self) -> list[EmailMessage]:
        return [m.message for m in self.smtp.messages if m.message["X-Cadence-Digest"]]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with (
        FeedServer(feeds.calendar(alice_series(cancelled=[NEXT_WEEK]))) as feed,
        SmtpTestServer() as smtp,
    ):
        config = daemon_config(
            tmp_path, feed.url, smtp.port, interval="1s", extra=digest_config("08:00")
        )
        (tmp_path / "agendas").mkdir()
        (tmp_path / "agendas" / "alice-at-example.com.md").write_text(AGENDA, encoding="utf-8")
        world = World(smtp, config)
        added = CliRunner().invoke(
            cli,
            ["person", "add", ALICE, "--name", "Alice <Example>", "--every", "weekly",
             "--day", "tue", "--time", "10:00"],
            env={"CADENCE_CONFIG": str(config), "CADENCE_NOW": "2026-10-01T12:00:00+02:00"},
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        yield world


@pytest.mark.slow
def test_the_digest_arrives_once_a_week_with_the_heatmap_and_the_week_ahead(
    world: World,
) -> None:
    world.sync(W48 - timedelta(minutes=30))
    assert world.digests() == []
    for later in (timedelta(seconds=30), timedelta(hours=1), timedelta(days=3)):
        world.sync(W48 + later)
    (digest,) = world.digests()
    assert digest["X-Cadence-Digest"] == "2026-W48"
    assert digest["To"].addresses[0].addr_spec == feeds.OWNER
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Alice <Example>  weekly" in text
    assert "Tue 24 Nov 10:00–10:30  Alice <Example>" in text
    assert "Agenda: https://wiki.example.com/1on1/alice-at-example.com.md" in text
    assert "- [ ] @alice: draft the <on-call> proposal (due 2026-11-30)" in text
    assert "share the notes" not in text
    assert "#1 Alice <Example>: cancelled, was Tue 01 Dec 10:00" in text
    html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Alice &lt;Example&gt;" in html and "<Example>" not in html
    assert "draft the &lt;on-call&gt; proposal" in html
    assert 'href="https://wiki.example.com/1on1/alice-at-example.com.md"' in html
    assert html.count('title="Mon ') == 12  # one cell per weekly period, 12 weeks

    world.sync(W48 + timedelta(weeks=1, minutes=5))
    assert [d["X-Cadence-Digest"] for d in world.digests()] == ["2026-W48", "2026-W49"]


@pytest.mark.slow
def test_an_email_that_may_not_have_arrived_is_in_the_digest_with_its_commands(
    world: World,
) -> None:
    # The server keeps the proposal email and hangs up before answering.
    world.smtp.drop_after_data = True
    world.sync(W48 - timedelta(minutes=30), check=False)
    world.smtp.drop_after_data = False
    world.sync(W48 + timedelta(minutes=1))
    (digest,) = world.digests()
    assert "1 email unconfirmed" in digest["Subject"]
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Emails that may not have arrived" in text
    assert f"#1 to {feeds.OWNER}: “1:1 with Alice <Example>" in text
    assert "cadence outbox resend 1" in text and "cadence outbox confirm 1" in text
    html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "cadence outbox resend 1</code>" in html and "<Example>" not in html


@pytest.mark.slow
def test_after_downtime_one_digest_catches_up_not_one_per_missed_week(world: World) -> None:
    world.sync(W48 - timedelta(hours=1))  # nothing due: next one in an hour
    world.sync(W48 + timedelta(weeks=3, days=3))  # down through four scheduled times
    world.sync(W48 + timedelta(weeks=3, days=3, hours=2))
    assert [d["X-Cadence-Digest"] for d in world.digests()] == ["2026-W51"]


# -- the real daemon -------------------------------------------------------------------


def cycles_after(systemd: NotifyListener, moment: float, count: int) -> None:
    """Wait until ``count`` cycles have finished since the monotonic time ``moment``."""
    for _ in range(count):
        moment = systemd.wait_for("STATUS", containing="last cycle", after=moment).at


@pytest.mark.slow
def test_the_daemon_sends_it_once_also_across_a_restart_and_after_being_down(
    tmp_path: Path,
) -> None:
    with (
        FeedServer(feeds.calendar(alice_series())) as feed,
        SmtpTestServer() as smtp,
    ):
        config = daemon_config(
            tmp_path, feed.url, smtp.port, interval="1s", extra=digest_config("09:00")
        )
        added = CliRunner().invoke(
            cli,
            ["person", "add", ALICE, "--name", "Alice", "--every", "weekly", "--day", "tue"],
            env={"CADENCE_CONFIG": str(config), "CADENCE_NOW": "2026-10-01T12:00:00+02:00"},
        )
        assert added.exit_code == 0, added.output

        def digests() -> list[str]:
            return [str(m.message["X-Cadence-Digest"]) for m in smtp.messages]

        starts = [
            datetime(2026, 11, 23, 8, 59, 59, tzinfo=BERLIN),  # the time comes while it runs
            datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN),  # restarted the same week
            datetime(2026, 12, 2, 12, 0, tzinfo=BERLIN),  # down on Monday 30 November
        ]
        expected = [["2026-W48"], ["2026-W48"], ["2026-W48", "2026-W49"]]
        for start, wanted in zip(starts, expected, strict=True):
            env = {"CADENCE_NOW": start.isoformat()}
            with NotifyListener() as systemd, DaemonProcess(config, systemd, env=env) as daemon:
                count = len(wanted)
                wait_until(lambda: len(digests()) >= count, what="the digest")  # noqa: B023
                cycles_after(systemd, time.monotonic(), 2)
                assert daemon.stop() == 0
            assert digests() == wanted, daemon.log()


@pytest.mark.slow
def test_an_unreadable_agenda_is_noted_and_the_digest_still_goes_out(
    world: World, tmp_path: Path
) -> None:
    (tmp_path / "agendas" / "alice-at-example.com.md").write_bytes(b"# caf\xe9 latin-1\n")
    result = world.sync(W48 + timedelta(minutes=1), check=False)
    assert result.exit_code == 1  # the cycle reports the agenda it cannot prepare
    (digest,) = world.digests()
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Tue 24 Nov 10:00–10:30  Alice <Example>" in text
    assert "(agenda unreadable: agenda " in text and "is not valid UTF-8" in text
