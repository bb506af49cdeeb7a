"""ruff and mypy (strict) are part of the test suite: a lint or type error fails it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_lint_is_clean() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    # The sources live in daemon/ and cli/ but are imported as cadence.daemon and
    # cadence.cli; give mypy that layout through symlinks.
    (tmp_path / "cadence").mkdir()
    (tmp_path / "cadence" / "daemon").symlink_to(ROOT / "daemon")
    (tmp_path / "cadence" / "cli").symlink_to(ROOT / "cli")
    result = subprocess.run(
        [
            str(BIN / "mypy"),
            "--explicit-package-bases",
            "-p",
            "cadence.daemon",
            "-p",
            "cadence.cli",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"MYPYPATH": str(tmp_path), "PATH": str(BIN)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
