"""Write the config files tests run cadence with, from one base and per-test overrides.

    write_config(tmp_path, {"calendar": {"ics": {"url": feed.url}}})

The base is the owner Olivia Owner in Berlin, the state in ``state.db`` and
email delivered into the maildir ``mail``. Overrides are nested dicts merged
into it table by table; a value of ``None`` removes that key or table, so
``{"state": None}`` leaves the state path to its default, and
``{"email": by_smtp(host=..., port=...)}`` sends by SMTP instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from tests.support import feeds

Overrides = Mapping[str, Any]

BASE: dict[str, Any] = {
    "owner": {"name": "Olivia Owner", "email": feeds.OWNER, "timezone": "Europe/Berlin"},
    "state": {"path": "state.db"},
    "email": {"transport": "maildir", "maildir": {"path": "mail"}},
}


def merged(base: Overrides, overrides: Overrides) -> dict[str, Any]:
    """Return ``base`` with ``overrides`` merged in (neither is changed): tables are
    merged key by key, ``None`` removes a key, any other value replaces it."""
    out = dict(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = merged({}, value)  # drops the Nones inside a table that is new
        else:
            out[key] = value
    return out


def by_smtp(**smtp: object) -> dict[str, Any]:
    """The ``[email]`` override that sends by SMTP (the default transport, so no
    ``transport`` key) with these ``[email.smtp]`` settings, instead of the maildir."""
    return {"transport": None, "maildir": None, "smtp": smtp}


def config_text(*overrides: Overrides | None) -> str:
    """Return the TOML text of the base with each of ``overrides`` merged in, in order."""
    config: dict[str, Any] = BASE
    for layer in overrides:
        config = merged(config, layer or {})
    return tomli_w.dumps(config)


def write_config(directory: Path, *overrides: Overrides | None, name: str = "config.toml") -> Path:
    """Write the base config with ``overrides`` merged in to ``directory / name``."""
    path = directory / name
    path.write_text(config_text(*overrides), encoding="utf-8")
    return path
