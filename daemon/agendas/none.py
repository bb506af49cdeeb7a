"""The agenda backend for ``agenda.backend = "none"``: no documents, no links."""

from __future__ import annotations

from datetime import datetime

from cadence.daemon.core.model import Owner, Person


class NoAgendas:
    def url(self, person: Person) -> str | None:
        return None

    def ensure(self, person: Person, owner: Owner) -> str | None:
        return None

    def prepare(self, person: Person, owner: Owner, meeting_start: datetime) -> bool:
        return False

    def text(self, person: Person) -> str | None:
        return None
