"""The demo README.md opens with works: a proposal printed, an email and an agenda left."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

DEMO = ROOT / "examples" / "demo"

pytestmark = pytest.mark.slow


def test_the_demo_proposes_new_times_for_the_cancelled_1on1(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(DEMO, demo, ignore=shutil.ignore_patterns("state", "maildir", "agendas"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("CADENCE_NOW", None)
    result = subprocess.run(
        ["sh", str(demo / "run.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 proposal(s) created, 1 email(s) sent" in result.stdout
    assert "alice@example.com  cancelled" in result.stdout
    (mail,) = (demo / "maildir" / "new").iterdir()
    assert "cadence proposals accept 1 --slot 1" in mail.read_text(encoding="utf-8")
    agenda = (demo / "agendas" / "alice-at-example.com.md").read_text(encoding="utf-8")
    newest = agenda.split("\n## ")[1]
    assert "- [ ] @alice: draft a proposal for a lighter on-call rotation" in newest
    assert "share the design review notes" not in newest
