"""Reading and editing a person's Markdown agenda for the web app (in a worker).

The next meeting's section is where topics go: the earliest dated section from
today on; when the next 1:1 is known (the calendar, or a time booked through
cadence) but its section is not there yet, it is added first, as a cycle
would. Edits go through :meth:`MarkdownAgendas.edit`, which applies them to
the file as it is at the moment of writing (see
:mod:`cadence.daemon.core.agenda_edits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cadence.daemon.agendas.markdown import MarkdownAgendas
from cadence.daemon.core import agenda_edits
from cadence.daemon.core.agenda import new_document, topic_names
from cadence.daemon.core.errors import AgendaError
from cadence.daemon.core.model import Person, ProposalStatus
from cadence.daemon.core.reconcile import is_live, one_on_ones
from cadence.daemon.engine import Engine
from cadence.daemon.web_addresses import WebAgendas
from cadence.daemon.wiring import OWNER_SOURCE

# Whose topics a new one goes under.
PERSON, OWNER = "person", "owner"


@dataclass(frozen=True)
class AgendaState:
    person: Person
    text: str
    tag: str
    next_day: date | None  # the section a topic goes into (perhaps not there yet)
    names: tuple[str, str]  # the topics headings' names: the person's, the owner's


def files(engine: Engine) -> MarkdownAgendas | None:
    """The Markdown agendas, or None when agendas are kept elsewhere (or not at all)."""
    agendas = engine.agendas
    if isinstance(agendas, WebAgendas):
        return agendas.files
    return agendas if isinstance(agendas, MarkdownAgendas) else None


def next_meeting(engine: Engine, person: Person) -> datetime | None:
    """The start of the next live 1:1 with the person: in the calendar as last read,
    or booked through cadence and not there yet."""
    now, owner = engine.clock(), engine.config.owner
    occurrences = engine.store.observations.occurrences(now - timedelta(days=1), [OWNER_SOURCE])
    starts = [
        o.start
        for o in one_on_ones(person, owner, occurrences)
        if is_live(o, owner, person) and o.start >= now
    ]
    for proposal in engine.store.proposals.all(include_closed=True):
        if proposal.person == person.email and proposal.status is ProposalStatus.ACCEPTED:
            slot = proposal.slots[(proposal.accepted_slot or 1) - 1]
            if slot.start >= now:
                starts.append(slot.start)
    return min(starts, default=None)


def state(engine: Engine, person: Person) -> AgendaState:
    """The agenda as it is now (a new one's header when there is no file yet: reading
    it writes nothing). Raise AgendaError."""
    markdown = files(engine)
    if markdown is None:
        raise AgendaError("agendas are not kept as Markdown files here")
    owner = engine.config.owner
    text = markdown.text(person) or new_document(person, owner)
    today = engine.clock().astimezone(owner.zone).date()
    day = agenda_edits.upcoming_section(text, today)
    if day is None:
        start = next_meeting(engine, person)
        day = start.astimezone(owner.zone).date() if start else None
    tag = agenda_edits.document_tag(text)
    return AgendaState(person, text, tag, day, topic_names(person, owner))


def add_topic(engine: Engine, person: Person, whose: str, topic: str) -> AgendaState:
    """Add ``topic`` under the person's (or the owner's) topics of the next meeting's
    section. Raise ValueError for an empty or long topic, EditConflict when there is
    no next meeting, AgendaError when the file cannot be written."""
    agenda_edits.clean_topic(topic)
    markdown = files(engine)
    if markdown is None:
        raise AgendaError("agendas are not kept as Markdown files here")
    owner = engine.config.owner
    markdown.ensure(person, owner)
    today = engine.clock().astimezone(owner.zone).date()
    day = agenda_edits.upcoming_section(markdown.text(person) or "", today)
    if day is None:
        start = next_meeting(engine, person)
        if start is None:
            raise agenda_edits.EditConflict(
                "no 1:1 is planned yet, so there is no section to add a topic to"
            )
        markdown.prepare(person, owner, start)
        day = start.astimezone(owner.zone).date()
    theirs, mine = topic_names(person, owner)
    name = mine if whose == OWNER else theirs
    markdown.edit(person, lambda text: agenda_edits.add_topic(text, day, name, topic))
    return state(engine, person)


def set_task(engine: Engine, person: Person, line: int, text: str, done: bool) -> AgendaState:
    """Tick (or open again) the action item at ``line`` reading ``text``. Raise
    EditConflict when it changed meanwhile, AgendaError when the file cannot be written."""
    markdown = files(engine)
    if markdown is None:
        raise AgendaError("agendas are not kept as Markdown files here")
    markdown.edit(person, lambda now: agenda_edits.set_task(now, line, text, done))
    return state(engine, person)
