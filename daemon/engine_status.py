"""The engine's account of itself: the status of the last cycle, the sources and
the outbox, and the adherence report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cadence.daemon.adherence import DEFAULT_WEEKS, load_report
from cadence.daemon.core.errors import UsageError
from cadence.daemon.core.report import Report
from cadence.daemon.engine_adapters import EngineAdapters
from cadence.daemon.queued_mail import unconfirmed
from cadence.daemon.wiring import HISTORY, OWNER_SOURCE


class EngineStatus(EngineAdapters):
    """What `cadence status` and `cadence report` show."""

    def report(self, weeks: int = DEFAULT_WEEKS, email: str | None = None) -> Report:
        """Return the adherence report over the last ``weeks`` weeks, of everyone or of
        the person ``email``; raise UsageError for an unknown person or no weeks."""
        if weeks < 1:
            raise UsageError(f"--weeks {weeks}: give at least 1 week")
        people = None
        if email is not None:
            found = self.store.people.get(email)
            if found is None:
                raise UsageError(f"--person {email}: not a person here; see `cadence person list`")
            people = [found]
        now = self.clock()
        return load_report(
            self.store, self.config, now, weeks, history=HISTORY, source=OWNER_SOURCE, people=people
        )

    def status(self) -> dict[str, Any]:
        store = self.store
        last = store.last_cycle()
        backlog = store.outbox.items(["pending", "sending"])
        planned = store.get_meta("next_run")
        next_run = datetime.fromisoformat(planned) if planned else None
        if last and (next_run is None or next_run < last["finished_at"]):
            # No daemon has planned beyond the last cycle (it ran from `cadence sync`).
            next_run = last["finished_at"] + self.config.interval
        return {
            "last_cycle": last,
            "next_run": next_run,
            "sources": store.observations.sources(),
            "outbox_pending": len(backlog),
            "outbox_failed": len(store.outbox.items(["failed"])),
            "outbox_unconfirmed": len(store.outbox.items(["unconfirmed"])),
            "unconfirmed_emails": unconfirmed(store.outbox),
            "open_proposals": len(store.proposals.all()),
            "people": len(store.people.all()),
            "unanswered_gaps": store.unanswered.all(),
        }
