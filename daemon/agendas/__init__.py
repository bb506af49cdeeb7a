"""Agenda adapters: where the living agenda document of each person is kept.

The content (sections, carried-over action items, prompts) is decided by the
pure :mod:`cadence.daemon.core.agenda`; a backend only stores and links documents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from cadence.daemon.core.model import Owner, Person


class AgendaBackend(Protocol):
    def url(self, person: Person) -> str | None:
        """Return the link to the person's agenda (None when there is no agenda)."""
        ...

    def ensure(self, person: Person, owner: Owner) -> str | None:
        """Create the person's document if it does not exist; return its link."""
        ...

    def prepare(self, person: Person, owner: Owner, meeting_start: datetime) -> bool:
        """Add the dated section for the meeting unless it is there already;
        return whether a section was added. Never alters existing text."""
        ...

    def text(self, person: Person) -> str | None:
        """Return the document as Markdown-like text, or None if it does not exist."""
        ...
