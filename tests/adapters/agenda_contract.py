"""The contract every AgendaBackend keeps, as checks a backend's tests call.

A backend's test builds a fresh backend (no documents yet) and calls
``check_agenda_backend``. Backends whose documents the test can edit pass
``write`` (replace a person's document text) so that user edits and the
carry-over of action items are checked too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.core.agenda import open_action_items, section_dates
from cadence.daemon.core.model import Owner, Person

Writer = Callable[[Person, str], None]

FIRST_MEETING = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


def check_agenda_backend(
    backend: AgendaBackend,
    person: Person,
    owner: Owner,
    write: Writer | None = None,
    first_meeting: datetime = FIRST_MEETING,
) -> None:
    """Run every contract check against a fresh backend."""
    check_ensure_and_url(backend, person, owner)
    check_prepare_is_idempotent(backend, person, owner, first_meeting)
    if write is not None:
        check_user_edits_and_carry_over(
            backend, person, owner, write, first_meeting + timedelta(weeks=1)
        )


def check_ensure_and_url(backend: AgendaBackend, person: Person, owner: Owner) -> None:
    """ensure creates the document once and returns the same link as url()."""
    assert backend.text(person) is None
    link = backend.ensure(person, owner)
    assert link
    assert backend.url(person) == link
    created = backend.text(person)
    assert created is not None
    assert person.name in created and owner.name in created
    assert section_dates(created) == []
    assert backend.ensure(person, owner) == link
    assert backend.text(person) == created


def check_prepare_is_idempotent(
    backend: AgendaBackend, person: Person, owner: Owner, meeting: datetime
) -> None:
    """prepare adds one section for the meeting's date, and only once."""
    before = backend.text(person) or ""
    assert backend.prepare(person, owner, meeting) is True
    text = backend.text(person)
    assert text is not None
    day = section_dates(text)[0]
    assert section_dates(text).count(day) == 1
    assert backend.prepare(person, owner, meeting) is False
    assert backend.prepare(person, owner, meeting + timedelta(minutes=30)) is False
    assert backend.text(person) == text
    assert inserted_text(before, text) is not None


def check_user_edits_and_carry_over(
    backend: AgendaBackend, person: Person, owner: Owner, write: Writer, meeting: datetime
) -> None:
    """The next section carries open items, drops ticked ones and keeps every edit."""
    text = backend.text(person)
    assert text is not None
    # Edit the newest section the way people do: notes, one open and one done item.
    at = text.index("### New action items", text.index("\n## "))
    edited = (
        text[:at]
        + "We talked about the offsite. ✈️\n\n"
        + "- [ ] @sam: send the roadmap (due 2024-06-01)\n- [x] book the room\n\n"
        + text[at:]
        + "\nA line the user added at the very end.\n"
    )
    write(person, edited)
    open_before = open_action_items(edited)
    assert [(item.owner, item.text) for item in open_before] == [("sam", "send the roadmap")]

    assert backend.prepare(person, owner, meeting) is True
    after = backend.text(person)
    assert after is not None
    added = inserted_text(edited, after)
    assert added is not None, "existing text was changed"
    assert "- [ ] @sam: send the roadmap (due 2024-06-01)" in added
    assert "book the room" not in added
    assert open_action_items(after) == open_before
    assert backend.prepare(person, owner, meeting) is False
    assert backend.text(person) == after


def inserted_text(before: str, after: str) -> str | None:
    """Return the run of text that turns ``before`` into ``after`` when inserted,
    or None when ``after`` is not ``before`` with one insertion."""
    if len(after) < len(before):
        return None
    prefix = 0
    while prefix < len(before) and before[prefix] == after[prefix]:
        prefix += 1
    end = prefix + len(after) - len(before)
    if after[end:] != before[prefix:]:
        return None
    return after[prefix:end]
