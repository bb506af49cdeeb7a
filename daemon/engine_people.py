"""The engine's people: looking them up, adding, changing, pausing, resuming and
removing them, with what each change does besides (see people_changes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from cadence.daemon.core.errors import CadenceError, NotFoundError, UsageError
from cadence.daemon.core.model import Person
from cadence.daemon.core.urls import feed_url_problem
from cadence.daemon.engine_adapters import EngineAdapters
from cadence.daemon.people_changes import (
    FITTING,
    PersonChange,
    refuse_name,
    refuse_new,
    refuse_pause,
    warnings_for,
    withdraw_stale,
)


def _check_busy_feed(person: Person) -> None:
    problem = feed_url_problem(person.busy_feed) if person.busy_feed else None
    if problem:
        raise UsageError(f"the busy feed of {person.email}: {problem}")


class EnginePeople(EngineAdapters):
    """The people cadence keeps 1:1s with."""

    def people(self) -> list[Person]:
        return self.store.people.all()

    def person(self, email: str) -> Person:
        found = self.store.people.get(email)
        if found is None:
            raise NotFoundError(f"{email} is not a person here; see `cadence person list`")
        return found

    def add_person(self, person: Person) -> PersonChange:
        """Start tracking ``person``; raise UsageError for the owner's own address, an
        empty name, a busy feed that cannot be read or someone already tracked. The
        change says what does not fit the working hours."""
        now, owner = self.clock(), self.config.owner
        refuse_new(person, owner)
        _check_busy_feed(person)
        local_today = now.astimezone(owner.zone).date()
        person = replace(person, name=person.name.strip(), anchor=local_today)
        if not self.store.people.add(person, now):
            raise UsageError(
                f"{person.email} is already a person here; change them with `cadence person set`"
            )
        self._people_changed()
        return PersonChange(person, warnings=warnings_for(person, self.config, now))

    def update_person(self, email: str, **changes: Any) -> PersonChange:
        """Change what ``changes`` gives; withdraw the open proposals the change makes
        stale (new settings, a pause). Raise NotFoundError for someone unknown."""
        before = self.person(email)
        refuse_name(str(changes.get("name", before.name)), before.email)
        person, now = replace(before, **changes), self.clock()
        _check_busy_feed(person)
        self.store.people.update(person, now)
        withdrawn = withdraw_stale(self.store, before, person, now, self.config.owner.zone)
        self._people_changed()
        fits = FITTING & set(changes)
        return PersonChange(
            person, withdrawn, warnings_for(person, self.config, now) if fits else ()
        )

    def pause(self, email: str, until: date | None) -> PersonChange:
        """Hold the person's 1:1s until ``until`` (a local date), or until resumed;
        raise UsageError for a date that is not in the future."""
        refuse_pause(until, self.clock().astimezone(self.config.owner.zone).date())
        return self.update_person(email, paused=True, paused_until=until)

    def resume(self, email: str) -> PersonChange:
        """End a pause now; a person who is not paused is left as they are."""
        person = self.person(email)
        if not person.paused:
            return PersonChange(person, changed=False)
        return self.update_person(email, paused=False, paused_until=None)

    def has_series(self, email: str) -> bool:
        """Return whether cadence keeps a series with the person in a writable calendar."""
        return self.writer is not None and self.store.series.live_for(email) is not None

    def remove_person(self, email: str) -> PersonChange:
        """Forget the person; first end the series cadence keeps with them (meetings
        already held stay in the calendar) and withdraw their open proposals."""
        person = self.person(email)
        record = self.store.series.live_for(person.email)
        now = self.clock()
        if record is not None and self.writer is not None:
            try:
                self.writer.end_series(record.event_id, now)
            except CadenceError as exc:
                raise CadenceError(
                    f"could not end the 1:1 series with {person.email} in {self.writer.name} "
                    f"({exc}); {person.email} is kept; try again"
                ) from None
            self.store.series.end(record.event_id, now)
        withdrawn = withdraw_stale(self.store, person, None, now, self.config.owner.zone)
        self.store.people.remove(email)
        self.store.web.forget(person.email)
        self._people_changed()
        return PersonChange(person, withdrawn)

    def _people_changed(self) -> None:
        # Which occurrences are worth keeping depends on who the people are:
        # make the next read parse the feeds again instead of trusting a 304.
        self.store.observations.forget_source_state()
