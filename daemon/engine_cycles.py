"""The engine's cycles: one sync recorded whatever happens (or a dry run on a copy
of the state), the inbox read as one of its steps or on its own, and the queued
emails sent between cycles."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cadence.daemon.core.errors import CadenceError, ConfigError, SourceError
from cadence.daemon.credentials import private_file
from cadence.daemon.cycle import CycleReport, retry_policy, run_cycle
from cadence.daemon.engine_proposals import EngineProposals
from cadence.daemon.inbox import INBOX_SOURCE, InboxReport, check_inbox
from cadence.daemon.interrupts import Stopping
from cadence.daemon.outbox import Delivery, deliver_due
from cadence.daemon.steps import unexpected
from cadence.daemon.store import Store


class EngineCycles(EngineProposals):
    """Cycles, the inbox and the outbox's deliveries. Replies act through the
    engine's own accept and dismiss."""

    def sync(
        self,
        *,
        dry_run: bool = False,
        heartbeat: Callable[[], None] | None = None,
        accept_changes: bool = False,
    ) -> CycleReport:
        """Run one cycle (against a throw-away copy of the state when ``dry_run``);
        ``heartbeat`` is called between its steps; ``accept_changes`` takes reads
        held back as suspect.

        The cycle is recorded whatever happens: "ok", "errors" (a source or step
        failed, named in its errors), "failed" (it could not go on: the error is
        recorded, then raised) or "interrupted" (a stop was asked for)."""
        now = self.clock()
        if dry_run:
            return self._dry_run(now, accept_changes)
        cycle_id = self.store.start_cycle(now)
        listen = self._listener(now, heartbeat) if self.config.email.inbox.enabled else None
        try:
            report = run_cycle(
                self.services(heartbeat=heartbeat),
                now,
                accept_changes=accept_changes,
                listen=listen,
            )
        except Stopping:
            # Best effort: the stop matters more than recording it.
            with contextlib.suppress(CadenceError):
                self.store.finish_cycle(cycle_id, self.clock(), "interrupted", {})
            raise
        except Exception as exc:
            message = str(exc) if isinstance(exc, CadenceError) else unexpected(exc)
            error = {"source": "cycle", "step": "cycle", "message": message}
            with contextlib.suppress(Exception):
                self.store.finish_cycle(cycle_id, self.clock(), "failed", {"errors": [error]})
            raise
        result = "ok" if report.ok else "errors"
        self.store.finish_cycle(cycle_id, self.clock(), result, report.as_json())
        return report

    def _dry_run(self, now: datetime, accept_changes: bool) -> CycleReport:
        with tempfile.TemporaryDirectory(prefix="cadence-dry-run-") as tmp:
            copy = Path(tmp) / "state.db"
            private_file(copy)
            target = sqlite3.connect(copy)
            with target:
                self.store.db.conn.backup(target)
            target.close()
            scratch = Store(copy)
            try:
                return run_cycle(
                    self.services(scratch), now, dry_run=True, accept_changes=accept_changes
                )
            finally:
                scratch.close()
                shutil.rmtree(tmp, ignore_errors=True)

    def _listener(
        self, now: datetime, heartbeat: Callable[[], None] | None
    ) -> Callable[[CycleReport], None]:
        """The cycle's step that reads the inbox: a failing inbox is a failing source."""

        def listen(report: CycleReport) -> None:
            try:
                found = check_inbox(
                    self.inbox, self.store, self.config, self, now, fresh=True,
                    heartbeat=heartbeat or (lambda: None),
                )  # fmt: skip
            except SourceError as exc:
                report.errors.append({"source": exc.source, "message": exc.reason})
                return
            except ConfigError as exc:  # its password cannot be read
                where = f"email.inbox ({self.config.email.inbox.transport})"
                self.store.observations.record_failure(INBOX_SOURCE, where, str(exc), now)
                report.errors.append({"source": "inbox", "message": str(exc)})
                return
            report.inbox = found.as_json()
            report.errors += [{"source": self.inbox.name, "message": e} for e in found.errors]

        return listen

    def check_inbox(self) -> InboxReport:
        """Read the inbox once now (``cadence inbox check``); send the answers it queued.
        Raise UsageError when no inbox is configured, SourceError when it fails."""
        now = self.clock()
        report = check_inbox(self.inbox, self.store, self.config, self, now)
        deliver_due(self.store.outbox, self.transport, now, retry_policy(self.config))
        return report

    def next_mail_at(self) -> datetime | None:
        """Return when the next queued email is due (None when the outbox is empty)."""
        return self.store.outbox.next_due()

    def deliver_mail(self, heartbeat: Callable[[], None] | None = None) -> Delivery:
        """Send the queued emails that are due, without a whole cycle."""
        return deliver_due(
            self.store.outbox,
            self.transport,
            self.clock(),
            retry_policy(self.config),
            heartbeat or (lambda: None),
        )
