"""The inbox adapters against real mailboxes: a Dovecot IMAP server over TLS, and a
Maildir on disk. The shared checks are in tests/adapters/inbox_contract.py."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from cadence.daemon.core.errors import SourceError
from cadence.daemon.mail.imap import ImapInbox, mailbox_name
from cadence.daemon.mail.inbox import After, Inbox
from cadence.daemon.mail.maildir_inbox import MaildirInbox

from tests.adapters import inbox_contract
from tests.adapters.inbox_contract import TODAY, Mailroom, MakeRoom, message
from tests.support.imap_server import DovecotServer, ImapUser

_LETTERS = {"S": "seen", "F": "flagged", "R": "answered", "T": "trashed", "D": "draft",
            "P": "passed"}  # fmt: skip


@dataclass
class ImapRoom:
    server: DovecotServer
    user: ImapUser

    def inbox(self, after: After = "mark", move_to: str = "cadence") -> Inbox:
        return ImapInbox(
            self.server.host,
            self.server.imaps_port,
            "ssl",
            self.user.name,
            self.user.password,
            after=after,
            move_to=move_to,
            ssl_context=self.server.tls.client_context(),
            timeout=10,
        )

    def deliver(self, raw: bytes, when: datetime | None = None) -> None:
        self.server.deliver(self.user, raw, when=when)

    def flags(self) -> dict[str, set[str]]:
        return self.server.messages(self.user)

    def moved(self, folder: str) -> list[str]:
        return sorted(self.server.messages(self.user, folder))

    def read_by_a_client(self, message_id: str) -> None:
        self.server.set_seen(self.user, message_id)


@dataclass
class MaildirRoom:
    path: Path
    count: int = 0

    def inbox(self, after: After = "mark", move_to: str = "cadence") -> Inbox:
        return MaildirInbox(self.path, after=after, move_to=move_to)

    def deliver(self, raw: bytes, when: datetime | None = None) -> None:
        # As a delivery agent does: write into tmp/, then move into new/.
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        self.count += 1
        name = f"{time.time_ns()}.M{self.count}P{os.getpid()}.mailhost"
        (self.path / "tmp" / name).write_bytes(raw)
        (self.path / "tmp" / name).rename(self.path / "new" / name)
        if when is not None:
            os.utime(self.path / "new" / name, (when.timestamp(), when.timestamp()))

    def _scan(self, root: Path) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for sub in ("new", "cur"):
            for path in (root / sub).glob("*") if (root / sub).is_dir() else []:
                mid = str(message_from_bytes(path.read_bytes())["Message-ID"])
                letters = path.name.partition(":2,")[2]
                found[mid] = {_LETTERS[c] for c in letters if c in _LETTERS}
        return found

    def flags(self) -> dict[str, set[str]]:
        return self._scan(self.path)

    def moved(self, folder: str) -> list[str]:
        return sorted(self._scan(self.path / f".{folder}"))

    def read_by_a_client(self, message_id: str) -> None:
        for path in (self.path / "new").glob("*"):
            if str(message_from_bytes(path.read_bytes())["Message-ID"]) == message_id:
                path.rename(self.path / "cur" / f"{path.name}:2,S")


@pytest.fixture(params=["imap", "maildir"])
def make_room(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeRoom]:
    rooms = iter(range(100))

    def make() -> Mailroom:
        if request.param == "imap":
            server: DovecotServer = request.getfixturevalue("dovecot")
            return ImapRoom(server, server.add_user())
        room = MaildirRoom(tmp_path / f"Maildir{next(rooms)}")
        for sub in ("tmp", "new", "cur"):
            (room.path / sub).mkdir(parents=True)
        return room

    yield make


@pytest.mark.parametrize("check", inbox_contract.CHECKS, ids=lambda c: c.__name__[6:])
def test_inbox_contract(
    check: Callable[[MakeRoom], None],
    make_room: MakeRoom,
) -> None:
    check(make_room)


def test_large_messages_are_not_read(make_room: MakeRoom, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox_contract.check_large_messages_are_not_read(make_room, monkeypatch)


# -- IMAP ---------------------------------------------------------------------


def _imap(server: DovecotServer, user: ImapUser, **kw: object) -> ImapInbox:
    args: dict[str, object] = {
        "host": server.host,
        "port": server.imaps_port,
        "security": "ssl",
        "username": user.name,
        "password": user.password,
        "ssl_context": server.tls.client_context(),
        "timeout": 5,
    }
    args.update(kw)
    return ImapInbox(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("security", ["starttls", "none"])
def test_imap_reads_over_starttls_and_plain(dovecot: DovecotServer, security: str) -> None:
    user = dovecot.add_user()
    dovecot.deliver(user, message(1))
    inbox = _imap(dovecot, user, port=dovecot.imap_port, security=security)
    with inbox.session() as box:
        (ref,) = box.list_new(TODAY)
        assert box.fetch(ref) is not None


def test_imap_wrong_password_says_login_failed_and_never_shows_it(dovecot: DovecotServer) -> None:
    user = dovecot.add_user()
    inbox = _imap(dovecot, user, password="wrong-Pa55word")
    inbox_contract.check_failures_are_source_errors_naming_the_inbox(inbox)
    with pytest.raises(SourceError, match=f"login as {user.name} failed") as failure:
        inbox.check()
    assert "wrong-Pa55word" not in str(failure.value)
    assert "wrong-Pa55word" not in repr(inbox)


def test_imap_a_missing_folder_is_named(dovecot: DovecotServer) -> None:
    user = dovecot.add_user()
    inbox = _imap(dovecot, user, folder="Replies")
    with pytest.raises(SourceError, match="folder 'Replies' cannot be opened"):
        inbox.check()
    inbox_contract.check_failures_are_source_errors_naming_the_inbox(inbox)


def test_imap_an_untrusted_certificate_is_refused(dovecot: DovecotServer) -> None:
    user = dovecot.add_user()
    inbox = _imap(dovecot, user, ssl_context=None)
    with pytest.raises(SourceError, match="TLS failed"):
        inbox.check()


def test_imap_folder_names_are_quoted_and_encoded(dovecot: DovecotServer) -> None:
    assert mailbox_name("INBOX") == '"INBOX"'
    assert mailbox_name("Antworten für cadence") == '"Antworten f&APw-r cadence"'
    assert mailbox_name('a "b" & c') == '"a \\"b\\" &- c"'
    user = dovecot.add_user()
    dovecot.deliver(user, message(1), folder="Antworten f&APw-r cadence")
    inbox = _imap(dovecot, user, folder="Antworten für cadence", after="move", move_to="Erledigt ✓")
    with inbox.session() as box:
        (ref,) = box.list_new(TODAY)
        assert box.mark_handled([ref]) == []
    assert list(dovecot.messages(user, mailbox_name("Erledigt ✓").strip('"'))) == [
        "<reply-1@mail.example.com>"
    ]


def test_imap_places_from_an_older_uidvalidity_are_gone(dovecot: DovecotServer) -> None:
    user = dovecot.add_user()
    dovecot.deliver(user, message(1), folder="Replies")
    inbox = _imap(dovecot, user, folder="Replies")
    with inbox.session() as box:
        (old,) = box.list_new(TODAY)
    client = dovecot.client(user)
    client.delete('"Replies"')
    client.logout()
    dovecot.deliver(user, message(1), folder="Replies")  # the folder anew: a new UIDVALIDITY
    with inbox.session() as box:
        (new,) = box.list_new(TODAY)
        assert new != old
        assert box.fetch(old) is None
        assert box.mark_handled([old]) == [old]
    assert dovecot.messages(user, "Replies") == {"<reply-1@mail.example.com>": set()}


def test_imap_never_logs_in_without_the_starttls_it_was_told_to_use() -> None:
    """A server (or a man in the middle) that offers no STARTTLS gets no password."""
    heard: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"* OK IMAP4rev1 ready\r\n")
            while data := conn.recv(4096):
                heard.append(data)
                tag = data.split()[0]
                if b"CAPABILITY" in data:
                    conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                else:
                    conn.sendall(tag + b" OK done\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    inbox = ImapInbox("127.0.0.1", port, "starttls", "olivia", "s3cret", timeout=5)
    with pytest.raises(SourceError, match="does not offer STARTTLS"):
        inbox.check()
    listener.close()
    thread.join(timeout=5)
    assert not any(b"s3cret" in data or b"AUTHENTICATE" in data for data in heard)


def test_imap_an_unreachable_server_is_a_source_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = ImapInbox("127.0.0.1", port, "ssl", "olivia", "s3cret", timeout=5)
    with pytest.raises(SourceError, match="connection refused"):
        inbox.check()


# -- Maildir ------------------------------------------------------------------


def test_maildir_that_is_not_one_is_named(tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path / "nothing")
    with pytest.raises(SourceError, match="not a Maildir"):
        inbox.check()
    inbox_contract.check_failures_are_source_errors_naming_the_inbox(inbox)


def test_maildir_marking_keeps_the_flags_a_client_set(tmp_path: Path) -> None:
    room = MaildirRoom(tmp_path / "Maildir")
    room.deliver(message(1), when=datetime.now(UTC) - timedelta(hours=1))
    (path,) = (room.path / "new").glob("*")
    path.rename(room.path / "cur" / f"{path.name}:2,F")
    inbox = room.inbox()
    with inbox.session() as box:
        (ref,) = box.list_new(TODAY)
        assert ref == path.name
        assert box.mark_handled([ref]) == []
    assert [p.name for p in (room.path / "cur").glob("*")] == [f"{path.name}:2,FS"]
    assert room.flags() == {"<reply-1@mail.example.com>": {"flagged", "seen"}}


def test_maildir_trashed_messages_are_not_listed(tmp_path: Path) -> None:
    room = MaildirRoom(tmp_path / "Maildir")
    room.deliver(message(1))
    (path,) = (room.path / "new").glob("*")
    path.rename(room.path / "cur" / f"{path.name}:2,ST")
    with room.inbox().session() as box:
        assert box.list_new(TODAY) == []
