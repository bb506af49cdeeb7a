"""README's "Getting started" works as typed on a Debian/Ubuntu system Python.

Such a Python is "externally managed" (PEP 668): a plain ``pip install`` into it
is refused, so the README installs into a virtualenv. The test runs the
README's commands as a new user would, in a home of their own, with the
system's ``python3``; only the editor is replaced, by a script that fills in
what the user would type.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import feeds
from tests.support.paths import ROOT
from tests.support.people import ALICE, NEXT_WEEK, NOW, alice_series

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = Path("/usr/bin/python3")
# Tests stay off the network: pip installs from wheels .ci/run gathered beforehand
# (`pip wheel -w .wheelhouse . "setuptools>=77"`), never from PyPI.
WHEELHOUSE = ROOT / ".wheelhouse"

# What the user types into the starter config, instead of its examples.
FILL_IN = """
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text()
for example, real in [
    ('"Your Name"', '"Olivia Owner"'),
    ('"you@example.com"', '"olivia@example.com"'),
    ('"Area/City"', '"Europe/Berlin"'),
    ('"https://calendar.google.com/calendar/ical/.../basic.ics"', '"~/calendar.ics"'),
    ('transport = "smtp"', 'transport = "maildir"'),
    ('# [email.maildir]', '[email.maildir]'),
    ('# path = "mail"', 'path = "~/mail"'),
]:
    assert example in text, example
    text = text.replace(example, real, 1)
path.write_text(text)
"""


def getting_started() -> list[str]:
    """Return the commands of README's "Getting started" block, one per line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Getting started\n", 1)[1].split("\n## ", 1)[0]
    block: list[str] = []
    for line in section.splitlines():
        if line.startswith("    "):
            block.append(line[4:])
        elif block and not line.strip():
            break
    return _join(block)


def _join(lines: list[str]) -> list[str]:
    commands: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1]
            continue
        commands.append(pending + line)
        pending = ""
    return commands


def _externally_managed() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    found = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return (Path(found.stdout.strip()) / "EXTERNALLY-MANAGED").exists()


def test_the_block_installs_into_a_virtualenv_never_into_the_system_python() -> None:
    commands = getting_started()
    assert commands[0].startswith("python3 -m venv ")
    installs = [c for c in commands if "pip install" in c]
    assert installs and all(c.split()[0].endswith("/bin/pip") for c in installs)
    assert not any(c.startswith(("pip ", "sudo pip", "pip3 ")) for c in commands)
    names = [c.split()[:2] for c in commands if c.startswith("cadence ")]
    order = [n[1] for n in names]
    assert order.index("init") < order.index("person") < order.index("sync")


@pytest.mark.skipif(
    not _externally_managed(),
    reason="needs a Debian/Ubuntu system python3 at /usr/bin/python3 (PEP 668)",
)
@pytest.mark.skipif(
    not WHEELHOUSE.is_dir(),
    reason="needs the wheels to install offline: "
    '.venv/bin/pip wheel -w .wheelhouse . "setuptools>=77" (as .ci/run does)',
)
def test_getting_started_works_on_an_externally_managed_system_python(tmp_path: Path) -> None:
    home, source = tmp_path / "home", tmp_path / "cadence"
    home.mkdir()
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    (home / "calendar.ics").write_bytes(feeds.calendar(alice_series(cancelled=[NEXT_WEEK])))
    (home / "fill_in.py").write_text(FILL_IN, encoding="utf-8")

    script = ["set -e"]
    for command in getting_started():
        if command.startswith("$EDITOR"):
            command = 'python3 ~/fill_in.py "$HOME/.config/cadence/config.toml"'
        script.append(command)
    # The system's python3 first on PATH, as on a fresh Debian or Ubuntu, and
    # ~/.local/bin as their login profile adds it once it exists.
    path = os.pathsep.join([str(home / ".local" / "bin"), "/usr/bin", "/bin"])
    env = {
        "HOME": str(home),
        "PATH": path,
        "CADENCE_NOW": NOW.isoformat(),
        **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "LANG", "LC_"))},
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
    }
    done = subprocess.run(
        ["sh", "-c", "\n".join(script)],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Wrote " in done.stdout and "All " in done.stdout  # init, then doctor passed
    assert "Added Alice Example <alice@example.com>" in done.stdout
    assert "1 proposal(s) created, 1 email(s) sent" in done.stdout
    assert len(list((home / "mail" / "new").iterdir())) == 1
    assert ALICE in done.stdout
    installed = (home / ".local" / "bin" / "cadence").resolve()
    assert installed.is_relative_to(home / ".local" / "share" / "cadence-venv")
