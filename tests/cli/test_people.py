"""``cadence person``, ``init`` and the CLI's error handling, against a real state file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner, Result

from tests.support.configs import write_config

CONFIG = {"calendar": {"ics": {"url": "calendar.ics"}}}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, CONFIG)


def run(config: Path, *args: str) -> Result:
    env = {"CADENCE_CONFIG": str(config), "CADENCE_NOW": "2026-11-23T09:00:00+01:00"}
    return CliRunner().invoke(cli, list(args), env=env)


def add_alice(config: Path, *extra: str) -> Result:
    return run(
        config, "person", "add", "Alice@Example.com", "--name", "Alice Example",
        "--every", "fortnightly", *extra,
    )  # fmt: skip


def test_person_add_list_show_in_the_documented_json_shape(config: Path) -> None:
    added = add_alice(config, "--day", "thu", "--time", "14:30", "--kind", "peer",
                      "--timezone", "America/New_York")  # fmt: skip
    assert added.exit_code == 0, added.output
    (person,) = json.loads(run(config, "person", "list", "--json").stdout)
    assert person == {
        "email": "alice@example.com",
        "name": "Alice Example",
        "kind": "peer",
        "every": "biweekly",
        "day": "thu",
        "time": "14:30",
        "duration_minutes": 30,
        "timezone": "America/New_York",
        "paused_until": None,
        "paused": False,
        "busy_feed": None,
    }
    shown = json.loads(run(config, "person", "show", "alice@example.com", "--json").stdout)
    assert shown == person
    assert "Alice Example" in run(config, "person", "list").output


def test_person_set_pause_resume_remove(config: Path) -> None:
    add_alice(config)
    assert run(config, "person", "set", "alice@example.com", "--every", "3w").exit_code == 0
    assert run(config, "person", "pause", "alice@example.com").exit_code == 0
    (person,) = json.loads(run(config, "person", "list", "--json").stdout)
    assert person["every"] == "3w" and person["paused"] and person["paused_until"] is None
    assert run(config, "person", "resume", "alice@example.com").exit_code == 0
    removed = run(config, "person", "remove", "alice@example.com", "--yes")
    assert removed.exit_code == 0
    assert json.loads(run(config, "person", "list", "--json").stdout) == []


def test_adding_someone_twice_is_a_usage_error(config: Path) -> None:
    add_alice(config)
    again = add_alice(config)
    assert again.exit_code == 2 and "already" in again.output


def test_removing_without_yes_and_without_a_terminal_asks_for_yes(config: Path) -> None:
    add_alice(config)
    refused = run(config, "person", "remove", "alice@example.com")
    assert refused.exit_code == 2 and "--yes" in refused.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["person", "add", "not-an-email", "--name", "X", "--every", "weekly"], "EMAIL"),
        (["person", "add", "a@b.org", "--name", "X", "--every", "daily"], "--every"),
        (["person", "add", "a@b.org", "--name", "X", "--every", "weekly", "--day", "funday"],
         "--day"),
        (["person", "add", "a@b.org", "--name", "X", "--every", "weekly", "--time", "25:00"],
         "--time"),
        (["person", "add", "a@b.org", "--name", "X", "--every", "weekly", "--kind", "boss"],
         "--kind"),
        (["person", "add", "a@b.org", "--name", "X", "--every", "weekly", "--timezone", "Mars/X"],
         "--timezone"),
        (["person", "add", "a@b.org", "--name", "X", "--every", "weekly", "--duration", "2m"],
         "--duration"),
        (["person", "pause", "a@b.org", "--until", "next week"], "--until"),
    ],
)  # fmt: skip
def test_bad_values_exit_2_naming_the_option(config: Path, args: list[str], named: str) -> None:
    result = run(config, *args)
    assert result.exit_code == 2
    assert named in result.output
    assert "Traceback" not in result.output
    assert json.loads(run(config, "person", "list", "--json").stdout) == []


def test_unknown_people_and_proposals_are_named(config: Path) -> None:
    missing = run(config, "person", "show", "bob@example.com")
    assert missing.exit_code == 2 and "bob@example.com" in missing.output
    assert run(config, "proposals", "accept", "42").exit_code == 2


def test_a_broken_config_exits_2_naming_file_and_key(config: Path) -> None:
    write_config(config.parent, CONFIG, {"owner": {"timezone": "Europe/Nowhere"}})
    result = run(config, "person", "list")
    assert result.exit_code == 2
    assert str(config) in result.output and "owner.timezone" in result.output
    assert "Traceback" not in result.output


def test_init_writes_a_starter_config_once(tmp_path: Path) -> None:
    target = tmp_path / "cadence" / "config.toml"
    first = CliRunner().invoke(cli, ["--config", str(target), "init"])
    assert first.exit_code == 0 and target.exists()
    last = first.output.strip().splitlines()[-1]
    assert last.index("cadence person add") < last.index("cadence sync")
    second = CliRunner().invoke(cli, ["--config", str(target), "init"])
    assert second.exit_code == 2 and "--force" in second.output
    google = CliRunner().invoke(
        cli, ["--config", str(target), "init", "--backend", "google", "--force"]
    )
    assert google.exit_code == 0 and "cadence auth google" in google.output
    assert 'backend = "google"' in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "command",
    [["person", "list"], ["person", "add", "a@b.org", "--name", "A", "--every", "weekly"],
     ["sync"], ["status"], ["report"], ["proposals", "list"], ["doctor"]],
)  # fmt: skip
def test_every_command_refuses_the_untouched_starter_config(
    tmp_path: Path, command: list[str]
) -> None:
    target = tmp_path / "config.toml"
    assert CliRunner().invoke(cli, ["--config", str(target), "init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--config", str(target), *command])
    assert result.exit_code == 2
    assert "owner.email: still the example" in result.output
    assert "calendar.ics.url: this is the example address" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "state.db").exists()


@pytest.mark.parametrize(
    "command",
    [[], ["person"], ["person", "add"], ["sync"], ["proposals", "accept"], ["agenda", "url"],
     ["status"], ["init"]],
)  # fmt: skip
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], prog_name="cadence")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cadence {' '.join(command)}".rstrip())
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 10, "each command explains itself in a sentence"


@pytest.mark.parametrize(
    "feed",
    [
        "http://[::1:9/private-feed-token",
        "https://cal.example.com:99999/private-feed-token.ics",
        "ftp://files.example.com/private-feed-token/busy.ics",
    ],
)
def test_a_malformed_busy_feed_is_refused_naming_the_option(config: Path, feed: str) -> None:
    added = add_alice(config, "--busy-feed", feed)
    assert added.exit_code == 2
    assert "--busy-feed" in added.output
    assert "private-feed-token" not in added.output and "Traceback" not in added.output
    assert json.loads(run(config, "person", "list", "--json").stdout) == []
    add_alice(config)
    changed = run(config, "person", "set", "alice@example.com", "--busy-feed", feed)
    assert changed.exit_code == 2 and "--busy-feed" in changed.output


def test_a_busy_feed_is_shown_without_its_secret_parts(config: Path) -> None:
    feed = "https://lea:hunter2@cal.example.com/private-feed-token/busy.ics?key=s3cr3t"
    assert add_alice(config, "--busy-feed", feed).exit_code == 0
    shown = run(config, "person", "show", "alice@example.com", "--json").stdout
    assert json.loads(shown)["busy_feed"] == "https://cal.example.com/…/busy.ics"
    for output in (shown, run(config, "person", "show", "alice@example.com").output):
        for secret in ("hunter2", "private-feed-token", "s3cr3t"):
            assert secret not in output


def test_a_bad_busy_feed_kept_from_before_is_a_failing_source_shown_without_secrets(
    config: Path,
) -> None:
    """A state written before addresses were checked may hold any busy feed: it
    fails as a source (no traceback), and status, doctor and the logs show it by
    scheme and host only."""
    assert add_alice(config).exit_code == 0
    with sqlite3.connect(config.parent / "state.db") as conn:
        conn.execute(
            "UPDATE people SET busy_feed = ?",
            ("ftp://lea:hunter2@files.example.com/private-feed-token/busy.ics",),
        )
    outputs = []
    for args in (["sync"], ["sync", "--json"], ["status"], ["status", "--json"], ["doctor"]):
        result = run(config, "-v", *args)
        assert "Traceback" not in result.output, result.output
        outputs.append(result.output)
    everything = "\n".join(outputs)
    assert "ftp://files.example.com/…/busy.ics" in everything
    assert "ftp:// cannot be read" in everything
    for secret in ("hunter2", "private-feed-token", "lea:"):
        assert secret not in everything


# -- what person add refuses and what it warns about --------------------------------


@pytest.mark.parametrize("email", ["olivia@example.com", "Olivia@Example.COM"])
def test_the_owners_own_address_is_refused(config: Path, email: str) -> None:
    result = run(config, "person", "add", email, "--name", "Me", "--every", "weekly")
    assert result.exit_code == 2 and "your own address" in result.output
    assert json.loads(run(config, "person", "list", "--json").stdout) == []


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused(config: Path, name: str) -> None:
    result = run(config, "person", "add", "a@b.org", "--name", name, "--every", "weekly")
    assert result.exit_code == 2 and "--name" in result.output
    add_alice(config)
    renamed = run(config, "person", "set", "alice@example.com", "--name", " ")
    assert renamed.exit_code == 2 and "--name" in renamed.output


def test_a_usual_time_that_fits_gives_no_warning(config: Path) -> None:
    added = add_alice(config, "--day", "wed", "--time", "16:30")
    assert added.exit_code == 0 and added.stderr == ""


@pytest.mark.parametrize(
    ("extra", "warning"),
    [
        (["--day", "sat"], "Saturday is not one of your workdays"),
        (["--time", "16:45"], "16:45–17:15 is outside your working hours (09:00–17:00"),
        (["--time", "07:30", "--duration", "45m"], "07:30–08:15 is outside your working hours"),
        (["--timezone", "America/Los_Angeles"], "America/Los_Angeles shares no working hours"),
        (["--timezone", "Asia/Tokyo"], "Asia/Tokyo shares no working hours"),
        (["--timezone", "America/New_York"],
         "your 10:00–10:30 is Tuesday 04:00–04:30 in America/New_York, outside their"),
    ],
)  # fmt: skip
def test_a_usual_time_that_does_not_fit_is_warned_about_and_added(
    config: Path, extra: list[str], warning: str
) -> None:
    added = add_alice(config, *extra)
    assert added.exit_code == 0
    assert f"cadence: warning: {warning}" in added.stderr
    assert "Added Alice Example" in added.stdout
    assert len(json.loads(run(config, "person", "list", "--json").stdout)) == 1


def test_changing_the_time_warns_too(config: Path) -> None:
    add_alice(config)
    changed = run(config, "person", "set", "alice@example.com", "--time", "18:00")
    assert changed.exit_code == 0 and "outside your working hours" in changed.stderr
    renamed = run(config, "person", "set", "alice@example.com", "--name", "Alice E.")
    assert renamed.stderr == ""


@pytest.mark.parametrize("until", ["2026-11-20", "2026-11-23"])
def test_pausing_until_a_date_not_in_the_future_is_refused(config: Path, until: str) -> None:
    add_alice(config)
    result = run(config, "person", "pause", "alice@example.com", "--until", until)
    assert result.exit_code == 2 and f"--until {until}" in result.output
    (person,) = json.loads(run(config, "person", "list", "--json").stdout)
    assert person["paused"] is False
    assert (
        run(config, "person", "pause", "alice@example.com", "--until", "2026-11-24").exit_code == 0
    )


def test_resuming_someone_not_paused_says_so(config: Path) -> None:
    add_alice(config)
    result = run(config, "person", "resume", "alice@example.com")
    assert result.exit_code == 0
    assert result.output == "Alice Example is not paused; nothing to resume.\n"


# -- how people are shown ------------------------------------------------------------


def test_person_show_reads_as_prose(config: Path) -> None:
    add_alice(config, "--day", "thu", "--time", "14:30", "--kind", "skip-level",
              "--timezone", "America/New_York", "--duration", "45m")  # fmt: skip
    run(config, "person", "pause", "alice@example.com", "--until", "2027-01-10")
    shown = run(config, "person", "show", "alice@example.com").output
    assert shown.splitlines() == [
        "Alice Example <alice@example.com>",
        "A biweekly 1:1 (skip level), usually Thursday at 14:30 for 45 minutes, your time "
        "(Europe/Berlin).",
        "They are in America/New_York; new times fit their working hours too.",
        "Paused until Sun 10 Jan 2027: no gaps or proposals.",
    ]
    assert "duration_minutes" not in shown and "None" not in shown


def test_set_help_shows_no_defaults_it_does_not_apply() -> None:
    set_help = CliRunner().invoke(cli, ["person", "set", "--help"]).output
    assert "default" not in set_help
    add_help = CliRunner().invoke(cli, ["person", "add", "--help"]).output
    assert "[default: tue]" in add_help and "[default: 30m]" in add_help


def test_accept_help_explains_slot() -> None:
    text = " ".join(CliRunner().invoke(cli, ["proposals", "accept", "--help"]).output.split())
    assert "--slot N" in text and "Which of the proposal's times to book" in text
