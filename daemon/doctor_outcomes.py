"""What a doctor check finds, before the runner names it: an :class:`Outcome`
(passed, passed with a warning, failed) with what to do about it; and the
words the checks share (the config file, a directory cadence must write)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cadence.daemon.engine import Engine


@dataclass(frozen=True)
class Outcome:
    """A check's verdict before the runner gives it the check's name."""

    ok: bool
    detail: str
    fix: str | None = None
    warning: bool = False


def passed(detail: str) -> Outcome:
    return Outcome(True, detail)


def warned(detail: str, fix: str) -> Outcome:
    return Outcome(True, detail, fix, warning=True)


def failed(detail: str, fix: str) -> Outcome:
    return Outcome(False, detail, fix)


def config_file(engine: Engine) -> str:
    # Absolute: doctor is run from anywhere, and its advice names files to edit.
    return str(engine.config.path.absolute())


def writable_fix(path: Path | None, key: str, engine: Engine, also: str = "") -> str:
    return (
        f"make {path} a directory the user cadence runs as can write to{also}, "
        f"or change {key} in {config_file(engine)}"
    )
