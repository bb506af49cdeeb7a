"""What cadence keeps for itself is private whatever the umask: the state database
with its -wal and -shm files, the senders' lock, a Maildir it delivers into:
files 0600, the directories it creates 0700. (The config is the user's file:
`cadence init` writes it as the umask says, since a system service must read it.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cadence.daemon.credentials import private_directory, private_file
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.outbox import deliver_due
from cadence.daemon.store import NewMail, Store

from tests.support import feeds
from tests.support.configs import write_config
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series

UMASKS = [0o022, 0o000, 0o277]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=UMASKS, ids=[f"umask-{u:03o}" for u in UMASKS])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield int(request.param)
    os.umask(previous)


def test_the_state_database_and_its_companions_are_private(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "new" / "deeper" / "state.db"
    with Store(path) as store:
        store.set_meta("probe", "1")  # a write: the -wal and -shm files exist now
        files = [path, path.with_name("state.db-wal"), path.with_name("state.db-shm")]
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "deeper") == 0o700


def test_the_senders_lock_is_private_and_usable_whatever_the_umask(
    tmp_path: Path, umask: int
) -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    with Store(tmp_path / "state.db") as store:
        for key in ("a", "b"):  # the second delivery opens the lock file made by the first
            raw = f"Message-ID: <{key}@x>\r\nSubject: x\r\n\r\nx\r\n".encode()
            store.outbox.enqueue(NewMail(key, f"<{key}@x>", ("o@example.com",), raw), now)
            assert deliver_due(store.outbox, MaildirTransport(tmp_path / "mail"), now).sent == 1
    assert mode(tmp_path / "state.db.senders") == 0o600
    assert mode(tmp_path / "mail") == mode(tmp_path / "mail" / "new") == 0o700


def test_an_existing_state_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store(path) as store:
        store.set_meta("probe", "1")
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        if (tmp_path / name).exists():
            (tmp_path / name).chmod(0o644)
    with Store(path) as store:
        assert store.get_meta("probe") == "1"
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            if (tmp_path / name).exists():
                assert mode(tmp_path / name) == 0o600, name


def test_directories_that_exist_are_left_as_they_are(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    private_directory(shared / "cadence")
    private_file(shared / "cadence" / "file")
    assert (mode(shared), mode(shared / "cadence"), mode(shared / "cadence" / "file")) == (
        0o755,
        0o700,
        0o600,
    )


@pytest.mark.slow
def test_a_whole_cycle_under_an_open_umask_leaves_only_private_files(tmp_path: Path) -> None:
    """`person add` and `sync` (delivering into a Maildir) run as processes with
    umask 000: every file and directory they create is private."""
    home = tmp_path / "home"
    config = home / "config" / "cadence.toml"
    env = {
        **os.environ,
        "CADENCE_CONFIG": str(config),
        "CADENCE_NOW": NOW.isoformat(),
    }

    def cadence(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "cadence.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=lambda: os.umask(0),
        )
        assert done.returncode == 0, done.stderr

    config.parent.mkdir(parents=True)
    (tmp_path / "calendar.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    write_config(
        config.parent,
        {
            "calendar": {"ics": {"url": str(tmp_path / "calendar.ics")}},
            "state": {"path": str(home / "state" / "cadence.db")},
            "email": {"maildir": {"path": str(home / "mail" / "Maildir")}},
            "agenda": {"backend": "none"},
        },
        name="cadence.toml",
    )
    cadence("person", "add", ALICE, "--name", "Alice Example", "--every", "weekly")
    cadence("sync")
    made = [p for p in home.rglob("*") if p not in (config, config.parent)]
    assert len(list((home / "mail" / "Maildir" / "new").iterdir())) == 1
    assert {p.name for p in made} >= {"cadence.db", "cadence.db.senders", "Maildir", "new"}
    wide = {str(p.relative_to(home)): oct(mode(p)) for p in made if mode(p) & 0o077}
    assert wide == {}
    assert all(mode(p) == 0o700 for p in made if p.is_dir())
