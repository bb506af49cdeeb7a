"""``cadence doctor`` against real things: an HTTP feed server, an SMTP server
(plain, and STARTTLS with login), SQLite files and directories.

Paths are made unwritable by putting a regular file where a directory must be:
the tests may run as root, for whom permission bits stop nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cadence.cli.main import cli
from cadence.daemon.config import load_config
from cadence.daemon.doctor import run_checks
from cadence.daemon.engine import Engine
from click.testing import CliRunner, Result

from tests.support import feeds
from tests.support.configs import by_smtp, write_config
from tests.support.feed_server import SECRET, FeedServer
from tests.support.smtp_server import SmtpTestServer, free_port, make_tls

pytestmark = pytest.mark.slow

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
ALICE = "alice@example.com"
BOB = "bob@example.com"
PASSWORD = "pw-Xq7-never-shown"
FEED = feeds.calendar(
    feeds.weekly(
        "alice-1on1@google.com",
        "Alice / Olivia",
        datetime(2026, 10, 6, 10, 0, tzinfo=BERLIN),
        attendees=[feeds.OWNER, ALICE],
    )
)
NAMES = ["config", "state", "calendar", "smtp", "outbox", "agendas", "agenda link"]


@dataclass
class Setup:
    """One config file over the test's servers; parts can be swapped before ``run``."""

    tmp: Path
    feed: FeedServer
    smtp: SmtpTestServer
    state: str = "state.db"
    calendar: dict[str, Any] | None = None  # the [calendar] table; None: the feed server
    agenda: dict[str, Any] = field(default_factory=lambda: {"directory": "agendas"})
    email: dict[str, Any] | None = None  # merged into [email]; None: the SMTP server
    timezone: str = "Europe/Berlin"
    extra: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.tmp / "config.toml"

    def write(self) -> None:
        calendar = self.calendar or {"ics": {"url": self.feed.url, "timeout": "5s"}}
        email = self.email or by_smtp(host=self.smtp.host, port=self.smtp.port, security="none")
        write_config(
            self.tmp,
            {
                "owner": {"timezone": self.timezone},
                "state": {"path": self.state},
                "calendar": calendar,
                "agenda": self.agenda,
                "email": {"from": "cadence@example.com", **email},
            },
            self.extra,
        )

    def run(self, *args: str) -> Result:
        self.write()
        env = {
            "CADENCE_CONFIG": str(self.config),
            "CADENCE_NOW": NOW.isoformat(),
            "CADENCE_SMTP_PASSWORD": "",
            **self.env,
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def doctor(self) -> Result:
        return self.run("doctor")

    def doctor_json(self) -> list[dict[str, object]]:
        result = self.run("doctor", "--json")
        checks = json.loads(result.stdout)
        assert isinstance(checks, list)
        return checks


def lines(result: Result) -> dict[str, str]:
    """Given doctor's output, return each check's line (and fix line) by check name."""
    found: dict[str, str] = {}
    current = ""
    for line in result.output.splitlines():
        if line.startswith(("ok ", "FAIL ", "WARN ")):
            status, rest = line.split(None, 1)
            current = rest.split("  ")[0]
            found[current] = f"{status} {rest}"
        elif line.startswith("      → ") and current:
            found[current] += "\n" + line.strip()
    return found


def ok(result: Result, name: str) -> bool:
    return lines(result)[name].startswith("ok ")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with FeedServer(FEED) as feed, SmtpTestServer() as smtp:
        yield Setup(tmp_path, feed, smtp)


def test_all_checks_pass_and_nothing_changes(setup: Setup) -> None:
    setup.extra = {"agenda": {"base_url": "https://wiki.example.com/1on1/"}}
    result = setup.doctor()
    assert result.exit_code == 0, result.output
    found = lines(result)
    assert list(found) == NAMES
    assert all(line.startswith("ok ") for line in found.values())
    assert "events" in found["calendar"]
    assert str(setup.config) in found["config"]
    # No mail, no agenda, no cycle, no source health: doctor only looked.
    assert setup.smtp.messages == []
    assert not (setup.tmp / "agendas").exists()
    status = json.loads(setup.run("status", "--json").stdout)
    assert status["last_cycle"] is None and status["sources"] == []
    with closing(sqlite3.connect(setup.tmp / "state.db")) as db:
        assert db.execute("SELECT key FROM meta").fetchall() == []  # the probe row is gone


def test_run_checks_yields_each_check_as_soon_as_it_is_known(setup: Setup) -> None:
    setup.write()
    engine = Engine(load_config(setup.config), clock=lambda: NOW)
    try:
        checks = run_checks(engine)
        first = next(checks)
        assert (first.name, first.ok) == ("config", True)
        assert setup.feed.request_count == 0  # the slow ones have not started yet
        assert [c.name for c in checks] == NAMES[1:]
    finally:
        engine.close()


def test_a_failing_feed_fails_its_check_and_the_others_still_run(setup: Setup) -> None:
    setup.feed.fail_with(500)
    result = setup.doctor()
    assert result.exit_code == 1
    calendar = lines(result)["calendar"]
    assert calendar.startswith("FAIL") and "500" in calendar
    assert "→" in calendar and "calendar.ics.url" in calendar
    assert all(ok(result, name) for name in ["config", "state", "smtp", "agendas"])
    assert "1 of 7 checks failed (1 warning)" in result.output
    # The failure is not recorded as the source's health: that is the cycle's job.
    assert json.loads(setup.run("status", "--json").stdout)["sources"] == []


def test_a_feed_serving_html_fails(setup: Setup) -> None:
    setup.feed.serve_html()
    result = setup.doctor()
    assert result.exit_code == 1
    assert "not iCalendar" in lines(result)["calendar"]


def test_smtp_not_answering_fails(setup: Setup) -> None:
    setup.email = by_smtp(host="127.0.0.1", port=free_port(), security="none")
    result = setup.doctor()
    assert result.exit_code == 1
    smtp = lines(result)["smtp"]
    assert smtp.startswith("FAIL") and "refused" in smtp and "email.smtp.host" in smtp
    assert ok(result, "calendar") and ok(result, "agendas")


def test_the_example_mail_server_is_named_as_the_example(setup: Setup) -> None:
    setup.email = by_smtp(host="smtp.example.com", security="starttls")
    smtp = lines(setup.doctor())["smtp"]
    assert smtp.startswith("FAIL") and "this is the example address" in smtp
    assert "email.smtp.host" in smtp


def test_mail_failures_are_said_as_feed_failures_are(setup: Setup) -> None:
    # The same words as a feed's: what happened, what to check, and that it may heal.
    setup.email = by_smtp(host="mail.nowhere.invalid", port=2525, security="none")
    smtp = lines(setup.doctor())["smtp"]
    assert "cannot resolve the host mail.nowhere.invalid: check email.smtp.host" in smtp
    assert "will retry" in smtp and "try again later; if it persists" in smtp
    assert "Errno" not in smtp and "gaierror" not in smtp
    setup.email = by_smtp(host="127.0.0.1", port=free_port(), security="none")
    refused = lines(setup.doctor())["smtp"]
    assert "cannot connect to 127.0.0.1:" in refused and "(refused); will retry" in refused


@pytest.fixture
def tls_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    tls = make_tls(tmp_path)
    # The engine verifies the server with the default trust store; trust the test's.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.cert))
    with FeedServer(FEED) as feed, SmtpTestServer(tls=tls, users={"me": PASSWORD}) as smtp:
        setup = Setup(tmp_path, feed, smtp, env={"CADENCE_SMTP_PASSWORD": PASSWORD})
        setup.email = by_smtp(host=smtp.host, port=smtp.port, security="starttls", username="me")
        yield setup


def test_starttls_and_login_are_verified_without_sending(tls_setup: Setup) -> None:
    result = tls_setup.doctor()
    assert result.exit_code == 0, result.output
    smtp = lines(result)["smtp"]
    assert "STARTTLS" in smtp and "logged in as me" in smtp
    assert tls_setup.smtp.messages == []
    assert PASSWORD not in result.output


def test_a_wrong_password_fails_naming_the_login(tls_setup: Setup) -> None:
    wrong = "wrong-Zk3-password"
    tls_setup.env["CADENCE_SMTP_PASSWORD"] = wrong
    result = tls_setup.doctor()
    assert result.exit_code == 1
    smtp = lines(result)["smtp"]
    assert smtp.startswith("FAIL") and "login as me" in smtp
    assert "CADENCE_SMTP_PASSWORD" in smtp  # the fix says where the password comes from
    assert wrong not in result.output
    assert wrong not in json.dumps(tls_setup.doctor_json())


@pytest.mark.parametrize("state", ["afile/cadence.db", "adir"])
def test_an_unwritable_state_path_fails(setup: Setup, state: str) -> None:
    (setup.tmp / "afile").write_text("not a directory\n")
    (setup.tmp / "adir").mkdir()  # a directory where the database file should be
    setup.state = state
    result = setup.doctor()
    assert result.exit_code == 1
    state = lines(result)["state"]
    assert state.startswith("FAIL") and "state.path" in state
    assert all(ok(result, name) for name in ["calendar", "smtp", "agendas"])


@pytest.mark.parametrize("directory", ["afile", "afile/agendas"])
def test_an_unwritable_agenda_directory_fails(setup: Setup, directory: str) -> None:
    (setup.tmp / "afile").write_text("not a directory\n")
    setup.agenda = {"directory": directory}
    result = setup.doctor()
    assert result.exit_code == 1
    agendas = lines(result)["agendas"]
    assert agendas.startswith("FAIL") and "agenda.directory" in agendas
    assert (setup.tmp / "afile").read_text() == "not a directory\n"


def test_agendas_turned_off_pass(setup: Setup) -> None:
    setup.agenda = {"backend": "none"}
    result = setup.doctor()
    assert result.exit_code == 0, result.output
    assert "turned off" in lines(result)["agendas"]


def test_a_maildir_transport_is_checked_for_writing(setup: Setup) -> None:
    setup.email = {"transport": "maildir", "maildir": {"path": "mail"}}
    result = setup.doctor()
    assert result.exit_code == 0, result.output
    assert "(writable)" in lines(result)["maildir"]
    assert not any(any((setup.tmp / "mail" / sub).iterdir()) for sub in ("tmp", "new", "cur"))


def test_an_unwritable_maildir_fails(setup: Setup) -> None:
    (setup.tmp / "afile").write_text("not a directory\n")
    setup.email = {"transport": "maildir", "maildir": {"path": "afile/mail"}}
    result = setup.doctor()
    assert result.exit_code == 1
    maildir = lines(result)["maildir"]
    assert maildir.startswith("FAIL") and "email.maildir.path" in maildir


def test_people_with_busy_feeds_get_a_check_each(setup: Setup) -> None:
    def add(email: str, name: str, busy: str) -> None:
        added = setup.run("person", "add", email, "--name", name, "--every", "weekly",
                          "--busy-feed", busy)  # fmt: skip
        assert added.exit_code == 0, added.output

    add(ALICE, "Alice Example", setup.feed.url)
    add(BOB, "Bob Example", str(setup.tmp / "missing-busy.ics"))
    result = setup.doctor()
    assert result.exit_code == 1
    found = lines(result)
    assert found[f"busy feed {ALICE}"].startswith("ok ")
    bob = found[f"busy feed {BOB}"]
    assert bob.startswith("FAIL") and f"cadence person set {BOB} --busy-feed" in bob
    assert "calendar.ics.url" not in bob  # the advice points at Bob's feed, not the owner's


def test_a_broken_config_exits_2_naming_every_key(setup: Setup) -> None:
    setup.timezone = "Europe/Berlni"
    setup.extra = {"schedule": {"buffr": "10m"}}
    result = setup.doctor()
    assert result.exit_code == 2
    assert "owner.timezone" in result.output and "schedule.buffr" in result.output
    assert str(setup.config) in result.output  # where to fix them
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
    assert setup.feed.request_count == 0  # nothing else can be checked without a config


def test_the_google_backend_fails_the_calendar_check_clearly(setup: Setup) -> None:
    setup.calendar = {"backend": "google", "google": {"token": "token.json"}}
    result = setup.doctor()
    assert result.exit_code == 1
    calendar = lines(result)["calendar"]
    # No token saved yet: the check says so and how to get one.
    assert calendar.startswith("FAIL") and "no Google authorization" in calendar
    assert "cadence auth google" in result.output
    assert all(ok(result, name) for name in ["state", "smtp", "agendas"])


@pytest.mark.parametrize("mode", ["ok", "404", "html"])
def test_secrets_never_show(tls_setup: Setup, mode: str) -> None:
    if mode == "404":
        tls_setup.feed.fail_with(404)
    elif mode == "html":
        tls_setup.feed.serve_html()
    for output in (tls_setup.doctor().output, tls_setup.run("doctor", "--json").stdout):
        assert SECRET not in output
        assert PASSWORD not in output
        assert tls_setup.feed.base.removeprefix("http://") in output  # named by its host


def test_json_lists_every_check_with_fixed_keys(setup: Setup) -> None:
    setup.feed.fail_with(500)
    result = setup.run("doctor", "--json")
    assert result.exit_code == 1
    checks = json.loads(result.stdout)  # stdout holds JSON only
    assert [c["check"] for c in checks] == NAMES
    for check in checks:
        assert set(check) == {"check", "ok", "detail", "fix", "warning"}
        assert isinstance(check["ok"], bool) and isinstance(check["detail"], str)
        assert (check["fix"] is None) == (check["ok"] and not check["warning"])
    assert [c["check"] for c in checks if not c["ok"]] == ["calendar"]


def test_json_reports_a_broken_config_too(setup: Setup) -> None:
    setup.extra = {"schedule": {"buffr": "10m"}}
    result = setup.run("doctor", "--json")
    assert result.exit_code == 2
    (check,) = json.loads(result.stdout)
    assert check["check"] == "config" and not check["ok"]
    assert "schedule.buffr" in check["detail"] and check["fix"]


def test_the_web_app_is_checked_when_it_is_on(setup: Setup) -> None:
    from cadence.daemon.web.server import WebServer

    port = free_port()
    web = {"enabled": True, "listen": f"127.0.0.1:{port}"}
    setup.extra = {"web": web}
    found = lines(setup.doctor())
    assert found["web"].startswith("FAIL") and f"127.0.0.1:{port}" in found["web"]
    assert "`cadence daemon`" in found["web"] and "web.listen" in found["web"]

    setup.write()
    config = load_config(setup.config)
    server = WebServer(lambda: config, lambda: NOW)
    server.start()
    try:
        found = lines(setup.doctor())
        assert found["web"].startswith("FAIL") and "web.base_url is not set" in found["web"]
        setup.extra = {"web": {**web, "base_url": "https://cadence.example.com"}}
        result = setup.doctor()
        assert ok(result, "web"), result.output
        assert "links use https://cadence.example.com" in lines(result)["web"]
    finally:
        server.stop()


def test_the_web_app_is_not_checked_when_it_is_off(setup: Setup) -> None:
    assert "web" not in lines(setup.doctor())


def test_agendas_without_a_web_address_are_warned_about(setup: Setup) -> None:
    """Invitations carry no file:// link (DESIGN rule 13); doctor says how to get one."""
    result = setup.doctor()
    assert result.exit_code == 0  # a warning fails nothing
    line = lines(result)["agenda link"]
    assert line.startswith("WARN") and "no web address" in line
    assert "set agenda.base_url in" in line
    assert "All 7 checks passed (1 warning)." in result.output
    setup.extra = {"agenda": {"base_url": "https://wiki.example.com/1on1/"}}
    line = lines(setup.doctor())["agenda link"]
    assert line.startswith("ok") and "https://wiki.example.com/1on1/" in line
