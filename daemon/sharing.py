"""The agenda link other people can open (DESIGN rule 13), decided in one place.

Nothing cadence sends to another person (an invitation, a request to move a
meeting, the description of an event in a calendar they see) may point at
the owner's disk: a ``file://`` link opens nothing on their machine and tells
them where the owner keeps her files. The owner's own emails may carry it.
"""

from __future__ import annotations

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.config import Config
from cadence.daemon.core.model import Person

WEB_SCHEMES = ("https://", "http://")


def is_web_address(url: str | None) -> bool:
    """Whether the link is one anyone with it can open: http(s), not a file path."""
    return bool(url) and str(url).strip().lower().startswith(WEB_SCHEMES)


def shareable_agenda_url(config: Config, agendas: AgendaBackend, person: Person) -> str | None:
    """Given the config, the agendas and a person, return the link to the person's
    agenda that the person can open (the agenda under ``agenda.base_url``, a Google
    Doc), making the agenda first if needed; None when there is no such link (a
    Markdown agenda without ``agenda.base_url``, or agendas turned off)."""
    url = agendas.ensure(person, config.owner)
    return url if url is not None and is_web_address(url) else None


def shareable(url: str | None) -> str | None:
    """Given an agenda link already made, return it when others can open it, else None."""
    return url if url is not None and is_web_address(url) else None
