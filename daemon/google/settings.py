"""The settings of ``[calendar.google]``, as the Google adapters take them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GoogleConfig:
    calendar_id: str
    client_secrets: Path | None
    token: Path | None
    service_account: Path | None
    subject: str | None
