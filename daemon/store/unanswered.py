"""The gaps the last planning left without an answer, and why (``cadence status``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.core.model import Gap, Period, Reason
from cadence.daemon.store.database import Database, from_utc_text, utc_text


@dataclass(frozen=True)
class UnansweredGap:
    """A gap with no proposal to answer it: ``why`` says what stood in the way;
    ``since`` is when a planning first found it so."""

    gap_key: str
    person: str
    reason: Reason
    period: Period
    cancelled_start: datetime | None
    why: str
    since: datetime


def _row(row: sqlite3.Row) -> UnansweredGap:
    return UnansweredGap(
        gap_key=row["gap_key"],
        person=row["person"],
        reason=Reason(row["reason"]),
        period=Period(from_utc_text(row["period_start"]), from_utc_text(row["period_end"])),
        cancelled_start=from_utc_text(row["cancelled_start"]) if row["cancelled_start"] else None,
        why=row["why"],
        since=from_utc_text(row["since"]),
    )


class UnansweredGaps:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[UnansweredGap]:
        rows = self.db.conn.execute("SELECT * FROM unanswered_gaps ORDER BY period_start, person")
        return [_row(r) for r in rows]

    def replace(self, gaps: Sequence[tuple[Gap, str]], now: datetime) -> list[UnansweredGap]:
        """Make ``gaps`` (each with why it has no answer) the whole list, keeping when
        each already listed was first found; return those that are new to it."""
        keys = [gap.key for gap, _ in gaps]
        with self.db.transaction() as conn:
            known = {
                r["gap_key"]: r["since"] for r in conn.execute("SELECT * FROM unanswered_gaps")
            }
            conn.execute("DELETE FROM unanswered_gaps")
            conn.executemany(
                "INSERT OR REPLACE INTO unanswered_gaps VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        gap.key,
                        gap.person,
                        gap.reason.value,
                        utc_text(gap.period.start),
                        utc_text(gap.period.end),
                        utc_text(gap.occurrence.original_start) if gap.occurrence else None,
                        why,
                        known.get(gap.key, utc_text(now)),
                    )
                    for gap, why in gaps
                ],
            )
        return [u for u in self.all() if u.gap_key in keys and u.gap_key not in known]

    def forget(self, person: str) -> None:
        """Drop a person's entries (paused, removed, or their settings changed: the
        next planning says anew what is unanswered)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM unanswered_gaps WHERE person = ?", (person,))
