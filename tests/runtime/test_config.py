"""Configuration: every problem reported at once with its key path; defaults; paths."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from pathlib import Path

import pytest
from cadence.cli.exit_codes import USAGE, exit_code
from cadence.daemon.config import load_config
from cadence.daemon.config_schema import SCHEMA, render_example
from cadence.daemon.core.errors import ConfigError
from cadence.daemon.core.values import format_duration, parse_duration
from hypothesis import given
from hypothesis import strategies as st

from tests.support.configs import write_config
from tests.support.paths import ROOT

# The base config of the tests, with no [state] table and the feed a relative path.
MINIMAL = {"state": None, "calendar": {"ics": {"url": "feeds/me.ics"}}}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_defaults_and_resolves_paths(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, MINIMAL), env={"XDG_STATE_HOME": str(tmp_path / "st")}
    )
    assert config.owner.email == "olivia@example.com"
    assert config.schedule.hours.day_start == time(9, 0)
    assert config.schedule.min_notice == timedelta(hours=2)
    assert config.ics is not None and config.ics.url == str(tmp_path / "feeds/me.ics")
    assert config.email.maildir == tmp_path / "mail"
    assert config.email.to == ("olivia@example.com",)
    assert config.state_path == tmp_path / "st" / "cadence" / "cadence.db"


def test_every_problem_is_reported_at_once_with_its_key(tmp_path: Path) -> None:
    broken = {
        "owner": {"timezone": "Europe/Berlni"},
        "schedule": {"day_start": "25:00", "buffer": "ten minutes", "workdayz": ["mon"]},
    }
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, MINIMAL, broken), env={})
    where = {p.where for p in caught.value.problems}
    assert where == {
        "owner.timezone",
        "schedule.day_start",
        "schedule.buffer",
        "schedule.workdayz",
    }
    message = str(caught.value)
    assert "config.toml" in message and "unknown key" in message
    assert exit_code(caught.value) == USAGE


def test_unknown_section_and_missing_required_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, '[owner]\nname = "x"\n[calender]\nbackend = "ics"\n'), env={})
    where = {p.where for p in caught.value.problems}
    assert {"calender", "owner.email", "owner.timezone", "calendar.ics.url"} <= where


def test_maildir_transport_needs_a_path(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL, {"email": {"maildir": None}})
    with pytest.raises(ConfigError, match=r"email\.maildir\.path"):
        load_config(path, env={})


def test_day_end_must_follow_day_start(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL, {"schedule": {"day_start": "17:00", "day_end": "09:00"}})
    with pytest.raises(ConfigError, match=r"schedule\.day_end"):
        load_config(path, env={})


def test_missing_file_and_bad_toml_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cadence init"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[owner\n"), env={})


def test_shipped_example_documents_every_key_and_loads() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert example == render_example("ics"), "regenerate config.example.toml from the schema"
    for section in SCHEMA:
        for option in section.options:
            assert f"{option.key} = " in example, f"{section.path}.{option.key} undocumented"
    tomllib.loads(example)


YOURS = {
    '"Your Name"': '"Olivia Owner"',
    '"you@example.com"': '"olivia@example.com"',
    '"Area/City"': '"Europe/Berlin"',
    '"https://calendar.google.com/calendar/ical/.../basic.ics"': '"calendar.ics"',
}


def filled_in(text: str) -> str:
    """The starter config as its owner fills it in: the examples replaced."""
    for example, real in YOURS.items():
        text = text.replace(example, real)
    return text


@pytest.mark.parametrize("backend", ["ics", "google"])
def test_starter_configs_refuse_their_examples_and_load_once_filled_in(
    tmp_path: Path, backend: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, render_example(backend)), env={})
    refused = {p.where: p.what for p in caught.value.problems}
    expected = {"owner.name", "owner.email", "owner.timezone"}
    if backend == "ics":
        expected.add("calendar.ics.url")
        assert refused.pop("calendar.ics.url").startswith("this is the example address")
    assert set(refused) | {"calendar.ics.url"} >= expected
    assert all(what.startswith("still the example") for what in refused.values())
    config = load_config(write(tmp_path, filled_in(render_example(backend))), env={})
    assert config.calendar_backend == backend and config.owner.timezone == "Europe/Berlin"


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from("smhdw"))
def test_durations_round_trip(amount: int, unit: str) -> None:
    value = parse_duration(f"{amount}{unit}")
    assert parse_duration(format_duration(value)) == value


def test_under_systemd_state_and_agendas_default_to_the_state_directory(tmp_path: Path) -> None:
    # StateDirectory= sets $STATE_DIRECTORY (colon-separated when it names several).
    env = {"STATE_DIRECTORY": f"{tmp_path}/lib/cadence:/elsewhere", "XDG_STATE_HOME": "/nope"}
    config = load_config(write_config(tmp_path, MINIMAL), env=env)
    assert config.state_path == tmp_path / "lib" / "cadence" / "cadence.db"
    assert config.agenda.directory == tmp_path / "lib" / "cadence" / "agendas"


def test_intervals_that_would_spin_are_refused(tmp_path: Path) -> None:
    spinning = {"email": {"retry_first": "0s"}, "daemon": {"interval": "0s"}}
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, MINIMAL, spinning))
    assert {p.where for p in caught.value.problems} == {"daemon.interval", "email.retry_first"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1:9/private-feed-token", "not a valid address"),
        ("https://cal.example.com:70000/private-feed-token.ics", "not a valid address"),
        ("ftp://lea:hunter2@files.example.com/private-feed-token/cal.ics", "ftp:// cannot"),
    ],
)
def test_a_malformed_feed_address_is_a_config_error_that_never_quotes_it(
    tmp_path: Path, url: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, {"calendar": {"ics": {"url": url}}}), env={})
    ((where, what),) = [(p.where, p.what) for p in caught.value.problems]
    assert where == "calendar.ics.url" and problem in what
    assert exit_code(caught.value) == 2
    for secret in ("private-feed-token", "hunter2", "files.example.com"):
        assert secret not in str(caught.value)
