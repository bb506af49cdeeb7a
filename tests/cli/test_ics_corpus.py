"""Every real-world calendar file of the corpus through `cadence sync`, as a user runs it.

The files (tests/fixtures/corpus, sources in SOURCES.md) were written by Google,
Outlook and Exchange, Apple, Nextcloud, Lotus Notes, Thunderbird, Zimbra, Proton
and others; some are broken on purpose. Each is the owner's calendar.ics.url,
with the clock set among its events. Whatever the file holds, the command ends
with a result (JSON, exit 0) or with the source failing in one line (exit 1),
never a traceback, an "unexpected error" or a hang. (The command runs in this
process, as the console script runs it: a Python start per file would cost more
than all the reading.)
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.cli.main import cli
from click.testing import CliRunner

from tests.support.configs import write_config
from tests.support.paths import FIXTURES

pytestmark = pytest.mark.slow

CORPUS = sorted((FIXTURES / "corpus").glob("*.ics"))
BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
_EVENT = re.compile(rb"BEGIN:VEVENT.*?END:VEVENT", re.S)
_START = re.compile(rb"DTSTART[^:\r\n]*:(\d{8})")


def now_among_the_events(path: Path) -> datetime:
    """The day in the middle of the file's event starts, at 09:00; or a fixed day."""
    days = sorted(
        m.group(1).decode()
        for event in _EVENT.findall(path.read_bytes())
        for m in _START.finditer(event)
    )
    for day in days[len(days) // 2 :]:
        try:
            parsed = datetime.strptime(day, "%Y%m%d").date()
        except ValueError:
            continue
        if parsed.year >= 1900:
            return datetime.combine(parsed, time(9), tzinfo=BERLIN)
    return DEFAULT_NOW


def test_the_corpus_holds_files_from_many_programs() -> None:
    sources = (FIXTURES / "corpus" / "SOURCES.md").read_text(encoding="utf-8")
    assert len(CORPUS) >= 30
    for path in CORPUS:
        assert f"`{path.name}`" in sources, f"{path.name} has no source in SOURCES.md"
    for writer in ("Google", "Exchange", "Apple", "Nextcloud", "Lotus Notes", "Thunderbird"):
        assert writer in sources


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_a_real_world_file_syncs_or_fails_in_one_line(path: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"calendar": {"ics": {"url": str(path)}}})
    env = {"CADENCE_NOW": now_among_the_events(path).isoformat(), "CADENCE_CONFIG": None}
    done = CliRunner().invoke(cli, ["--config", str(config), "sync", "--json"], env=env)
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exc_info
    assert "Traceback" not in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr, done.stderr
    assert done.exit_code in (0, 1), done.stderr
    report = json.loads(done.stdout)
    if done.exit_code == 0:
        assert report["errors"] == []
    else:
        (error,) = report["errors"]
        assert error["source"] == str(path)
        assert error["message"] and "\n" not in error["message"]
    # What the log says (a failing source, events skipped) is one line per thing.
    for line in done.stderr.splitlines():
        assert line.startswith(("WARNING ", "ERROR ", "INFO ")), line
