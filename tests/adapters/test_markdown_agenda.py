"""Markdown agendas on a real directory: files, links, atomic writes, errors."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.agendas.markdown import MarkdownAgendas, file_name
from cadence.daemon.core.agenda import open_action_items, section_dates
from cadence.daemon.core.errors import AgendaError
from cadence.daemon.core.model import Cadence, Owner, Person
from hypothesis import given
from hypothesis import strategies as st

from tests.adapters.agenda_contract import check_agenda_backend, inserted_text

OWNER = Owner("Bob Lead", "bob@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence.parse("weekly"))
BERLIN = ZoneInfo("Europe/Berlin")
MEETING = datetime(2024, 5, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def agendas(tmp_path: Path) -> MarkdownAgendas:
    return MarkdownAgendas(tmp_path / "agendas", None, BERLIN)


def someone(email: str) -> Person:
    return Person(email, "Some One", Cadence.parse("weekly"))


def test_contract(tmp_path: Path) -> None:
    backend = MarkdownAgendas(tmp_path / "agendas", None, BERLIN)

    def write(person: Person, text: str) -> None:
        backend.path(person).write_bytes(text.encode())

    check_agenda_backend(backend, ALICE, OWNER, write)


def test_is_an_agenda_backend(agendas: MarkdownAgendas) -> None:
    backend: AgendaBackend = agendas
    assert backend.url(ALICE)


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600)])
def test_ensure_creates_directory_and_file(
    agendas: MarkdownAgendas, umask: int, expected: int
) -> None:
    # A new agenda gets the owner's umask, like any document: shared or private.
    previous = os.umask(umask)
    try:
        link = agendas.ensure(ALICE, OWNER)
    finally:
        os.umask(previous)
    path = agendas.directory / "alice-at-example.com.md"
    assert agendas.path(ALICE) == path
    assert link == path.absolute().as_uri() and link.startswith("file:///")
    assert stat.S_IMODE(path.stat().st_mode) == expected
    assert "Alice Example" in path.read_text()
    assert [p.name for p in agendas.directory.iterdir()] == [path.name]  # no temp files left


@pytest.mark.parametrize(
    "base", ["https://notes.example.com/1on1", "https://notes.example.com/1on1/"]
)
def test_url_under_base_url(tmp_path: Path, base: str) -> None:
    agendas = MarkdownAgendas(tmp_path, base, BERLIN)
    assert agendas.url(ALICE) == "https://notes.example.com/1on1/alice-at-example.com.md"
    assert agendas.ensure(ALICE, OWNER) == agendas.url(ALICE)


def test_prepare_twice_adds_one_section(agendas: MarkdownAgendas) -> None:
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    text = agendas.text(ALICE)
    assert agendas.prepare(ALICE, OWNER, MEETING) is False
    assert agendas.text(ALICE) == text
    assert text is not None and section_dates(text) == [date(2024, 5, 7)]


def test_user_edits_mode_and_line_endings_are_kept(agendas: MarkdownAgendas) -> None:
    agendas.prepare(ALICE, OWNER, MEETING)
    path = agendas.path(ALICE)
    edited = (
        path.read_text().replace("\n", "\r\n")
        + "\r\n- [ ] @alice: draft the proposal (due 2024-05-20)\r\nNotes by hand ✍️\r\n"
    )
    path.write_bytes(edited.encode())
    path.chmod(0o600)
    assert agendas.prepare(ALICE, OWNER, MEETING + timedelta(weeks=1)) is True
    after = path.read_bytes().decode()
    added = inserted_text(edited, after)
    assert added is not None and "\r\n" in added and "\n" not in added.replace("\r\n", "")
    assert "- [ ] @alice: draft the proposal (due 2024-05-20)" in added
    assert open_action_items(after) == open_action_items(edited)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_symlink_inside_the_directory_stays_a_symlink(agendas: MarkdownAgendas) -> None:
    kept = agendas.directory / "archive" / "alice.md"
    kept.parent.mkdir(parents=True)
    kept.write_text("# Alice's own notes\n")
    agendas.path(ALICE).symlink_to(kept)
    assert agendas.prepare(ALICE, OWNER, MEETING) is True
    assert agendas.path(ALICE).is_symlink()
    assert kept.read_text().startswith("# Alice's own notes\n\n## 2024-05-07 ")
    assert agendas.text(ALICE) == kept.read_text()


@pytest.mark.parametrize("target", ["file", "missing", "directory"])
def test_a_symlink_leading_out_of_the_directory_is_never_followed(
    agendas: MarkdownAgendas, tmp_path: Path, target: str
) -> None:
    """A planted link to a file elsewhere (a dotfile, another person's notes) is
    neither written through nor read: the cycle reports it, the target is untouched."""
    elsewhere = tmp_path / "elsewhere" / "bashrc"
    elsewhere.parent.mkdir()
    if target == "file":
        elsewhere.write_text("export SECRET=1\n")
    elif target == "directory":
        elsewhere.mkdir()
    agendas.directory.mkdir()
    agendas.path(ALICE).symlink_to(elsewhere)
    for attempt in (
        lambda: agendas.prepare(ALICE, OWNER, MEETING),
        lambda: agendas.ensure(ALICE, OWNER),
        lambda: agendas.text(ALICE),
    ):
        with pytest.raises(AgendaError, match="symlink leading out of"):
            attempt()
    assert agendas.path(ALICE).is_symlink()
    if target == "file":
        assert elsewhere.read_text() == "export SECRET=1\n"
    else:
        assert not elsewhere.is_file()
    assert [p.name for p in agendas.directory.iterdir()] == [agendas.path(ALICE).name]


def test_a_symlink_swapped_in_after_the_check_is_not_read_through(
    agendas: MarkdownAgendas, tmp_path: Path
) -> None:
    from cadence.daemon.agendas import markdown

    secret = tmp_path / "secret.txt"
    secret.write_text("not for mail\n")
    link = tmp_path / "link.md"
    link.symlink_to(secret)
    with pytest.raises(AgendaError, match="cannot read agenda"):
        markdown._read(link)


def test_text_that_is_not_utf8_is_left_alone(agendas: MarkdownAgendas) -> None:
    agendas.directory.mkdir()
    path = agendas.path(ALICE)
    path.write_bytes("# Agenda für Jürgen\n".encode("latin-1"))
    with pytest.raises(AgendaError, match=str(path)):
        agendas.prepare(ALICE, OWNER, MEETING)
    assert path.read_bytes() == "# Agenda für Jürgen\n".encode("latin-1")


def test_missing_person_has_no_text(agendas: MarkdownAgendas) -> None:
    assert agendas.text(ALICE) is None
    assert not agendas.directory.exists()


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("alice@example.com", "alice-at-example.com.md"),
        ("Alice.Smith@Example.COM", "alice.smith-at-example.com.md"),
        ("o_neil-2@sub.example.org", "o_neil-2-at-sub.example.org.md"),
    ],
)
def test_file_names_of_plain_emails(email: str, name: str) -> None:
    assert file_name(email) == name


@pytest.mark.parametrize(
    "email",
    [
        "../../etc/passwd",
        "a/b@c.d",
        "x\x00y@z",
        ".hidden@x.y",
        "..",
        ".",
        "",
        "-rf@x.y",
        "/abs@x",
        "ü@é.de",
        "a+b@x.y",
        "bob-at-home@x.y",
        "a" * 400 + "@x.y",
    ],
)
def test_unsafe_emails_stay_inside_the_directory(tmp_path: Path, email: str) -> None:
    name = file_name(email)
    assert name.endswith(".md") and not name.startswith((".", "-"))
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789._-")
    assert len(name.encode()) < 255
    agendas = MarkdownAgendas(tmp_path / "agendas", None, BERLIN)
    agendas.ensure(someone(email), OWNER)
    assert [p.name for p in agendas.directory.iterdir()] == [name]
    assert list(tmp_path.iterdir()) == [agendas.directory]


def test_altered_emails_do_not_share_a_file() -> None:
    emails = ["a+b@x.y", "a-b@x.y", "a b@x.y", "a@b@x.y", "a-at-b@x.y", "a@b-at-x.y", "ab@x.y"]
    assert len({file_name(email) for email in emails}) == len(emails)
    assert file_name("ALICE@example.com") == file_name("alice@example.com ")


@given(st.text(max_size=300))
def test_any_email_resolves_inside_the_directory(email: str) -> None:
    directory = Path("/srv/agendas")
    path = MarkdownAgendas(directory, None, BERLIN).path(someone(email))
    assert path.parent == directory
    assert os.path.normpath(path) == str(path)
    assert path.name not in ("", ".", "..") and not path.name.startswith(".")


def test_directory_that_is_a_file_is_an_agenda_error(tmp_path: Path) -> None:
    blocker = tmp_path / "agendas"
    blocker.write_text("not a directory")
    with pytest.raises(AgendaError, match=str(blocker)):
        MarkdownAgendas(blocker, None, BERLIN).ensure(ALICE, OWNER)
    with pytest.raises(AgendaError, match=str(blocker)):
        MarkdownAgendas(blocker / "sub", None, BERLIN).prepare(ALICE, OWNER, MEETING)


def test_unusable_directory_is_an_agenda_error_naming_it(tmp_path: Path) -> None:
    # A file where the directory should be fails for every user, root included.
    directory = tmp_path / "agendas"
    directory.write_text("not a directory", encoding="utf-8")
    with pytest.raises(AgendaError, match=str(directory)):
        MarkdownAgendas(directory, None, BERLIN).ensure(ALICE, OWNER)
    assert directory.read_text(encoding="utf-8") == "not a directory"
