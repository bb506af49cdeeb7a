"""The first step of a cycle: read every source and record what it said.

A source that fails (known error or not) is recorded as failing, with its old
state kept, so a broken feed never invents a gap. A read that loses most of
what the last accepted one held is held back as suspect (DESIGN rule 14): it
changes nothing, the source shows as not healthy, and the owner is told once by
email, until a read that is not suspect comes or the owner accepts it
(``cadence sync --accept-changes``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from cadence.daemon.calendars import Calendar, CalendarRead
from cadence.daemon.core.busy import busy_intervals, worth_keeping
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval, Occurrence, Person, Status
from cadence.daemon.core.reconcile import is_one_on_one
from cadence.daemon.core.suspect import ReadSummary, suspect
from cadence.daemon.cycle_report import CycleReport
from cadence.daemon.steps import unexpected
from cadence.daemon.store import SourceHealth
from cadence.daemon.wiring import OWNER_SOURCE, Services, busy_source, window_for

log = logging.getLogger(__name__)


def read_sources(
    svc: Services,
    people: Sequence[Person],
    now: datetime,
    report: CycleReport,
    *,
    accept_changes: bool = False,
) -> bool:
    """Read the owner's calendar and every busy feed; record what they said.

    Return whether any source changed. A failing source is recorded and
    reported; the others are still read. With ``accept_changes`` a read is
    taken even when it looks suspect (the owner said the changes are real).
    """
    store, owner = svc.store, svc.config.owner
    window = window_for(svc.config, now)
    sources: list[tuple[str, Calendar, str | None]] = [(OWNER_SOURCE, svc.calendar, owner.email)]
    sources += [(busy_source(p), svc.busy_feed(p), p.email) for p in people if p.busy_feed]
    changed = False
    for name, calendar, holder in sources:
        svc.heartbeat()
        known = store.observations.source(name)
        try:
            # A long read (a large feed) keeps the watchdog fed while it progresses.
            result = calendar.read(window, known.state if known else {}, svc.heartbeat)
        except SourceError as exc:
            log.warning("source %s failed: %s", name, exc)
            report.errors.append({"source": exc.source, "message": exc.reason})
            store.observations.record_failure(name, calendar.name, exc.reason, now)
            if exc.needs_owner:
                _alert_owner(svc, name, known.last_success_at if known else None, exc, now)
            continue
        except Exception as exc:
            # A reader's bug or a feed nobody foresaw: that source failing, not the cycle.
            # Without the error's text, which may quote the feed's secret address.
            message = unexpected(exc, detail=False)
            log.error("source %s failed: %s", name, message)
            log.debug("the failure reading %s", name, exc_info=True)
            report.errors.append({"source": calendar.name, "step": "read", "message": message})
            store.observations.record_failure(name, calendar.name, message, now)
            continue
        if not result.changed:
            log.debug("source %s unchanged", name)
            store.observations.record_unchanged(name, calendar.name, result.state, now)
            continue
        # A person's busy feed tells when they are busy, nothing more.
        keep: list[Occurrence] = []
        dropped: list[Occurrence] = []
        if name == OWNER_SOURCE:
            for o in result.occurrences:
                (keep if worth_keeping(o, owner, people) else dropped).append(o)
        why = None if accept_changes else _suspect(svc, name, known, result, keep, people, window)
        if why is not None:
            _hold(svc, name, calendar, why, now, report)
            continue
        if accept_changes and known is not None and known.suspect:
            log.info("source %s: the read held back as suspect is accepted", name)
        changed = True
        vanished = store.observations.record_read(
            name,
            calendar.name,
            result.state,
            window,
            keep,
            # Busy time needs every event: an incremental read leaves it as it was.
            busy_intervals(result.occurrences, holder) if result.complete else None,
            now,
            complete=result.complete,
            dropped=dropped if not result.complete else (),
            cancelled=result.cancelled,
            removed=result.removed,
            events=len(result.occurrences) if result.complete else None,
        )
        log.info(
            "source %s read: %d occurrences, %d kept, %d vanished",
            name,
            len(result.occurrences),
            len(keep),
            vanished,
        )
    return changed


def _with_ones(
    people: Sequence[Person], svc: Services, occurrences: Sequence[Occurrence]
) -> frozenset[str]:
    """The people with at least one 1:1 among ``occurrences`` (one is enough: the
    first found ends the search, which keeps the check cheap on a large feed)."""
    owner = svc.config.owner
    return frozenset(
        p.email for p in people if any(is_one_on_one(o, owner, p) for o in occurrences)
    )


def _suspect(
    svc: Services,
    name: str,
    known: SourceHealth | None,
    result: CalendarRead,
    kept: Sequence[Occurrence],
    people: Sequence[Person],
    window: Interval,
) -> str | None:
    """Return why the read is suspect, comparing it with the last accepted one
    (``kept``: the read's possible 1:1s, the only ones that can be anyone's)."""
    ones = name == OWNER_SOURCE
    after = ReadSummary(
        len(result.occurrences),
        result.unreadable,
        _with_ones(people, svc, kept) if ones and result.complete else frozenset(),
    )
    before = None
    if known is not None and known.events is not None:
        stored: list[Occurrence] = []
        if ones:
            stored = [
                o
                for o in svc.store.observations.occurrences(window.start, [OWNER_SOURCE])
                if o.status is not Status.DELETED and o.start < window.end
            ]
        before = ReadSummary(known.events, people=_with_ones(people, svc, stored))
    return suspect(before, after, complete=result.complete)


def _hold(
    svc: Services, name: str, calendar: Calendar, why: str, now: datetime, report: CycleReport
) -> None:
    """Keep the suspect read out of the state, say so, and tell the owner once per hold."""
    since = svc.store.observations.record_suspect(name, calendar.name, why, now)
    log.warning("source %s: read held back as suspect: %s", name, why)
    report.held[name] = why
    report.errors.append(
        {"source": calendar.name, "step": "read", "message": f"held back as suspect: {why}"}
    )
    svc.mailer.alert(
        f"suspect:{name}:{since.isoformat()}",
        f"{calendar.name} looks wrong; cadence holds it back",
        f"cadence read {calendar.name}, and {why}.\n\n"
        "That looks more like a broken export than real changes, so cadence has not "
        "used it: nothing it knows changed, and no proposal comes from it. It keeps "
        "the last good reading until the calendar looks normal again.\n\n"
        "If the changes are real, tell cadence so:\n\n"
        "    cadence sync --accept-changes\n",
        now,
    )


def _alert_owner(
    svc: Services, name: str, since: datetime | None, exc: SourceError, now: datetime
) -> None:
    """Email the owner once per failure streak of a source only they can fix: the key
    is the streak's start (the last success), so a later streak alerts again."""
    streak = since.isoformat() if since else "never-read"
    svc.mailer.alert(
        f"{name}:{streak}",
        f"{exc.source} needs you",
        f"cadence cannot read {exc.source}:\n\n    {exc.reason}\n\n"
        "Until this is fixed no cancellation there turns into a proposal. Everything "
        "else goes on; `cadence status` shows the state of each source.",
        now,
    )
