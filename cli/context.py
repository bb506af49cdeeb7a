"""What every command shares: the config, loaded once, and the engine over it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from cadence.daemon.config import Config, default_config_path, load_config
from cadence.daemon.engine import Engine


@dataclass
class App:
    config_path: Path | None
    verbose: bool
    _engine: Engine | None = field(default=None, init=False)

    @property
    def path(self) -> Path:
        return self.config_path or default_config_path()

    def config(self) -> Config:
        return self.engine().config

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(load_config(self.path))
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


pass_app = click.make_pass_decorator(App)


def print_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (and nothing else)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Return rows as left-aligned columns under a header line."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
