"""The layers of the code are checked, not hoped for.

import-linter's contracts (pyproject.toml) say: the core imports nothing else of
cadence and does no I/O; adapters do not import the runtime or the CLI; the CLI
reaches adapters only through the engine; no import cycles. These tests run
them, show that they bite, and keep every module of the runtime's folder named
in one of the two lists the contracts rely on.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
CONFIG = ROOT / "pyproject.toml"

# Top-level modules of daemon/ that both adapters and the runtime may use:
# where "now" comes from, and where secrets come from.
SHARED = {"__init__", "clock", "credentials"}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports over the ``cadence`` package found under ``tree``."""
    return subprocess.run(
        [str(LINT), "--config", str(CONFIG), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(tree), "PATH": str(LINT.parent)},
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    """Lay out daemon/ and cli/ as the package cadence is installed as."""
    (tmp_path / "cadence").mkdir()
    for name in ("daemon", "cli"):
        shutil.copytree(ROOT / name, tmp_path / "cadence" / name)
    return tmp_path


def test_the_import_contracts_hold(tmp_path: Path) -> None:
    result = lint_imports(copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_catch_io_and_cycles(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    values = tree / "cadence" / "daemon" / "core" / "values.py"
    values.write_text(values.read_text() + "\nimport sqlite3  # noqa: F401\n")
    digest = tree / "cadence" / "daemon" / "digest.py"
    digest.write_text(digest.read_text() + "\nfrom cadence.daemon import cycle  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "cadence.daemon.core.values -> sqlite3" in result.stdout
    assert ".digest -> .cycle" in result.stdout


def test_the_core_opens_no_urls() -> None:
    # import-linter names external packages only whole; urllib.parse is fine.
    for path in (ROOT / "daemon" / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            assert "urllib.request" not in names, f"{path.name} imports urllib.request"


def test_every_runtime_module_is_kept_from_the_adapters() -> None:
    contracts = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]
    (adapters,) = [c for c in contracts if c["name"].startswith("Adapters")]
    runtime = {m.removeprefix("cadence.daemon.") for m in adapters["forbidden_modules"]}
    top = {p.stem for p in (ROOT / "daemon").glob("*.py")} | {
        p.name for p in (ROOT / "daemon").iterdir() if (p / "__init__.py").is_file()
    }
    layers = {"core", "calendars", "agendas", "mail", "google", "store"}
    unclassified = top - runtime - SHARED - layers
    assert not unclassified, (
        f"{sorted(unclassified)}: add to the runtime list in pyproject.toml "
        "(or, if adapters need it, to SHARED here)"
    )


def imported_test_modules(source: str) -> list[str]:
    """The test modules (``tests....test_*``) a module's source imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        found += [m for m in modules if m.startswith("tests.") and ".test_" in f".{m}"]
    return found


def test_no_test_module_imports_another() -> None:
    # Shared builders live in tests/support, so a test module can change its own
    # helpers without breaking a file that borrowed them.
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in (ROOT / "tests").rglob("*.py")
        if (imported := imported_test_modules(path.read_text()))
    }
    assert not offenders, f"move what these share into tests/support: {offenders}"
    assert imported_test_modules("from tests.core.test_messages import ALICE") == [
        "tests.core.test_messages"
    ]
