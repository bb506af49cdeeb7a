"""Google Docs agendas set up against the Google API emulator: the owner's backend
(with only the drive.file scope), the state it records into, and the person
editing their doc in Docs as typing in the editor would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cadence.daemon.agendas.google_docs import GoogleDocsAgendas
from cadence.daemon.agendas.google_docs_drive import google_clients
from cadence.daemon.agendas.google_docs_text import exported_text
from cadence.daemon.core.model import Cadence, Owner, Person
from cadence.daemon.store import Store

from tests.google_emulator import GoogleEmulator

SCOPE = "https://www.googleapis.com/auth/"
BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia Lead", "olivia@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence.parse("weekly"))
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
MEETING = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
EXPORT = "drive.files.export"
GET = "docs.documents.get"
UPDATE = "docs.documents.batchUpdate"


@dataclass
class Setup:
    google: GoogleEmulator
    store: Store
    agendas: GoogleDocsAgendas
    waits: list[float] = field(default_factory=list)

    def doc_id(self, person: Person = ALICE) -> str:
        found = self.store.documents.get(person.email)
        assert found is not None and found.doc_id
        return found.doc_id

    def methods(self) -> list[str]:
        return [c.method_id for c in self.google.calls if c.method_id != "token"]

    def write(self, person: Person, text: str) -> None:
        """The person edits their doc in Docs until its text is ``text``."""
        person_edits(self.google, self.doc_id(person), person.email, text)

    def paragraphs(self) -> list[dict[str, Any]]:
        [document] = [d for d in self.google.documents() if d["documentId"] == self.doc_id()]
        return [c["paragraph"] for c in document["body"]["content"] if "paragraph" in c]


def u16(text: str) -> int:
    """Docs counts indexes in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def person_edits(google: GoogleEmulator, doc_id: str, email: str, text: str) -> None:
    """Turn the doc's text into ``text`` with one Docs batchUpdate from the person's own
    account, paragraph by paragraph, leaving the unchanged paragraphs (and their
    styles) alone, as typing in the editor would."""
    old = google.document_text(doc_id).split("\n")[:-1]
    new = (text + "\n").split("\n")[:-1]
    starts = [1]
    for paragraph in old:
        starts.append(starts[-1] + u16(paragraph) + 1)
    requests: list[dict[str, Any]] = []
    opcodes = SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(opcodes):
        if tag == "equal":
            continue
        lines = new[j1:j2]
        if i2 < len(old):
            if i2 > i1:
                requests.append(delete_range(starts[i1], starts[i2]))
            if lines:
                requests.append(insert_text(starts[i1], "".join(q + "\n" for q in lines)))
        else:
            # Changes running to the end work before the last line break, which stays.
            assert i1 > 0
            at = starts[i1] - 1
            if i2 > i1:
                requests.append(delete_range(at, starts[-1] - 1))
            if lines:
                requests.append(insert_text(at, "".join("\n" + q for q in lines)))
    docs = google.service("docs", "v1", google.user_credentials(email, [SCOPE + "documents"]))
    docs.documents().batchUpdate(documentId=doc_id, body={"requests": requests}).execute()
    assert exported_text(google.document_text(doc_id)) == text + "\n"


def delete_range(start: int, end: int) -> dict[str, Any]:
    return {"deleteContentRange": {"range": {"startIndex": start, "endIndex": end}}}


def insert_text(index: int, text: str) -> dict[str, Any]:
    return {"insertText": {"location": {"index": index}, "text": text}}


def backend(google: GoogleEmulator, store: Store, waits: list[float]) -> GoogleDocsAgendas:
    # Only drive.file: cadence reaches nothing but the docs it created.
    creds = google.user_credentials(OWNER.email, [SCOPE + "drive.file"])
    env = {"CADENCE_GOOGLE_ROOT": google.root}
    return GoogleDocsAgendas(
        lambda: google_clients(creds, env), store.documents, BERLIN, lambda: NOW, sleep=waits.append
    )


@contextmanager
def docs_setup(tmp_path: Path) -> Iterator[Setup]:
    """The owner's and Alice's accounts in the emulator, the state in ``tmp_path``, and
    the backend over both."""
    with GoogleEmulator() as google, Store(tmp_path / "state.db") as store:
        google.now = NOW
        google.add_user(OWNER.email, timezone="Europe/Berlin")
        google.add_user(ALICE.email, timezone="Europe/Berlin")
        waits: list[float] = []
        yield Setup(google, store, backend(google, store, waits), waits)
