"""Agenda documents kept outside cadence (Google Docs): which one is each person's.

A row is written *before* the document is created, with an empty ``doc_id``
(pending), then completed with the document's id and link once Google has
answered. A pending row found later means an attempt was cut short between the
two; ``shared_at`` stays empty until sharing was settled, so sharing is retried
until then; ``shared_how`` says how it was settled (silently, with Drive's
notification, to anyone with the link, or ``refused`` when Drive would not share
it any way).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from cadence.daemon.store.database import Database, from_utc_text, utc_text


@dataclass(frozen=True)
class AgendaDocument:
    """A person's agenda document: its id and link (both empty while pending),
    when it was created (or its creation begun) and when it was shared."""

    person: str
    doc_id: str
    url: str
    created_at: datetime
    shared_at: datetime | None
    shared_how: str | None = None

    @property
    def pending(self) -> bool:
        """Whether the document's creation was begun but its id never recorded."""
        return not self.doc_id


def _document(row: sqlite3.Row) -> AgendaDocument:
    return AgendaDocument(
        person=row["person"],
        doc_id=row["doc_id"],
        url=row["url"],
        created_at=from_utc_text(row["created_at"]),
        shared_at=from_utc_text(row["shared_at"]) if row["shared_at"] else None,
        shared_how=row["shared_how"],
    )


def _key(email: str) -> str:
    return email.strip().lower()


class Documents:
    """The ``agenda_docs`` table: one row per person."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, person: str) -> AgendaDocument | None:
        """Given a person's email, return their document's row, or None."""
        return self.db.one("SELECT * FROM agenda_docs WHERE person = ?", (_key(person),), _document)

    def begin(self, person: str, now: datetime) -> AgendaDocument:
        """Record that a document is about to be created for the person (pending).

        A recorded document is never replaced: only a missing or pending row is
        (re)written. Return the row as it now stands.
        """
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO agenda_docs (person, doc_id, url, created_at) VALUES (?, '', '', ?)"
                " ON CONFLICT (person) DO UPDATE SET created_at = excluded.created_at"
                " WHERE doc_id = ''",
                (_key(person), utc_text(now)),
            )
        found = self.get(person)
        assert found is not None
        return found

    def record(self, person: str, doc_id: str, url: str, now: datetime) -> AgendaDocument:
        """Record the person's document as created (not yet shared); return the row."""
        if not doc_id:
            raise ValueError("a recorded document needs an id")
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO agenda_docs (person, doc_id, url, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (person) DO UPDATE SET doc_id = excluded.doc_id,"
                " url = excluded.url, created_at = excluded.created_at, shared_at = NULL,"
                " shared_how = NULL",
                (_key(person), doc_id, url, utc_text(now)),
            )
        found = self.get(person)
        assert found is not None
        return found

    def mark_shared(self, person: str, now: datetime, how: str = "silently") -> AgendaDocument:
        """Record that sharing the person's document was settled (``how``: the way it
        was shared, or "refused"); return the row."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE agenda_docs SET shared_at = ?, shared_how = ?"
                " WHERE person = ? AND doc_id != ''",
                (utc_text(now), how, _key(person)),
            )
        found = self.get(person)
        if found is None or found.shared_at is None:
            raise LookupError(f"no recorded agenda document for {person}")
        return found

    def cancel(self, person: str) -> None:
        """Drop the person's pending row: the document was certainly not created."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM agenda_docs WHERE person = ? AND doc_id = ''", (_key(person),)
            )

    def forget(self, person: str) -> bool:
        """Drop the person's row (the document itself is left alone); return whether
        there was one."""
        with self.db.transaction() as conn:
            cur = conn.execute("DELETE FROM agenda_docs WHERE person = ?", (_key(person),))
            return cur.rowcount == 1
