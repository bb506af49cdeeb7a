"""What every inbox adapter must do, run against each (tests/adapters/test_inbox.py).

A :class:`Mailroom` is one real mailbox (a Dovecot account, a Maildir on disk)
with the ways a test puts mail into it and looks at it without cadence: as a
mail server delivers, and as a mail client sees the flags.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from typing import Protocol

import pytest
from cadence.daemon.core.errors import SourceError
from cadence.daemon.mail.inbox import After, Inbox, Mailbox

TODAY = datetime.now(UTC).date()


class Mailroom(Protocol):
    def inbox(self, after: After = "mark", move_to: str = "cadence") -> Inbox: ...

    def deliver(self, raw: bytes, when: datetime | None = None) -> None:
        """Put a message in, as delivered at ``when`` (default: now)."""

    def flags(self) -> dict[str, set[str]]:
        """Message-ID -> flags ("seen", "flagged", ...) of the messages in the inbox."""

    def moved(self, folder: str) -> list[str]:
        """Message-IDs of the messages in ``folder``."""

    def read_by_a_client(self, message_id: str) -> None:
        """Do what a mail client does when the owner reads the message."""


def message(n: int, size: int = 0) -> bytes:
    body = f"Reply number {n}.\n" + "x" * size
    return (
        f"From: Olivia Owner <olivia@example.com>\nTo: cadence@example.com\n"
        f"Subject: Re: proposal {n}\nMessage-ID: <reply-{n}@mail.example.com>\n"
        f"Date: Mon, 23 Nov 2026 09:0{n % 10}:00 +0100\n\n{body}\n"
    ).encode()


def message_id(raw: bytes) -> str:
    return str(message_from_bytes(raw)["Message-ID"])


MakeRoom = Callable[[], Mailroom]


def _ref_of(box: Mailbox, wanted: str) -> str:
    return next(r for r in box.list_new(TODAY) if message_id(box.fetch(r) or b"") == wanted)


def _ids(inbox: Inbox, refs: list[str]) -> list[str]:
    with inbox.session() as box:
        found = [box.fetch(ref) for ref in refs]
    return [message_id(raw) for raw in found if raw is not None]


def check_lists_what_arrived_since_the_day_oldest_first(make_room: MakeRoom) -> None:
    room = make_room()
    room.deliver(message(1), when=datetime.now(UTC) - timedelta(days=40))
    room.deliver(message(2), when=datetime.now(UTC) - timedelta(days=2))
    room.deliver(message(3))
    inbox = room.inbox()
    with inbox.session() as box:
        recent = box.list_new(TODAY - timedelta(days=7))
        everything = box.list_new(date(2000, 1, 1))
    assert _ids(inbox, recent) == ["<reply-2@mail.example.com>", "<reply-3@mail.example.com>"]
    assert len(everything) == 3


def check_fetch_returns_the_message_and_reading_changes_no_flag(make_room: MakeRoom) -> None:
    room = make_room()
    room.deliver(message(1))
    inbox = room.inbox()
    with inbox.session() as box:
        (ref,) = box.list_new(TODAY)
        raw = box.fetch(ref)
        assert box.fetch("no-such-message") is None
    assert raw is not None
    parsed = message_from_bytes(raw)
    assert parsed["Message-ID"] == "<reply-1@mail.example.com>"
    assert "Reply number 1." in str(parsed.get_payload())
    assert room.flags() == {"<reply-1@mail.example.com>": set()}


def check_marking_marks_only_what_was_handled(make_room: MakeRoom) -> None:
    room = make_room()
    for n in (1, 2, 3):
        room.deliver(message(n))
    room.read_by_a_client("<reply-3@mail.example.com>")
    inbox = room.inbox()
    with inbox.session() as box:
        first = _ref_of(box, "<reply-1@mail.example.com>")
        assert box.mark_handled([first]) == []
    assert room.flags() == {
        "<reply-1@mail.example.com>": {"seen"},
        "<reply-2@mail.example.com>": set(),
        "<reply-3@mail.example.com>": {"seen"},
    }
    with inbox.session() as box:
        assert box.mark_handled([first]) == []  # marking twice is harmless
    assert len(room.flags()) == 3  # nothing deleted


def check_moving_moves_only_what_was_handled(make_room: MakeRoom) -> None:
    room = make_room()
    for n in (1, 2):
        room.deliver(message(n))
    inbox = room.inbox(after="move", move_to="handled")
    with inbox.session() as box:
        first = _ref_of(box, "<reply-1@mail.example.com>")
        assert box.mark_handled([first]) == []
    assert room.flags() == {"<reply-2@mail.example.com>": set()}
    assert room.moved("handled") == ["<reply-1@mail.example.com>"]
    with inbox.session() as box:
        assert box.mark_handled([first]) == [first]  # gone from the inbox: nothing to do


def check_places_stay_valid_when_a_client_reads_the_message(make_room: MakeRoom) -> None:
    room = make_room()
    room.deliver(message(1))
    inbox = room.inbox()
    with inbox.session() as box:
        (ref,) = box.list_new(TODAY)
    room.read_by_a_client("<reply-1@mail.example.com>")
    with inbox.session() as box:
        assert box.list_new(TODAY) == [ref]
        raw = box.fetch(ref)
    assert raw is not None and message_id(raw) == "<reply-1@mail.example.com>"


def check_unknown_places_are_reported_gone(make_room: MakeRoom) -> None:
    room = make_room()
    room.deliver(message(1))
    with room.inbox().session() as box:
        assert box.mark_handled(["1/999999", "nothing-here"]) == ["1/999999", "nothing-here"]
    assert room.flags() == {"<reply-1@mail.example.com>": set()}


def check_large_messages_are_not_read(make_room: MakeRoom, monkeypatch: pytest.MonkeyPatch) -> None:
    import cadence.daemon.mail.imap as imap
    import cadence.daemon.mail.maildir_inbox as maildir_inbox

    for module in (imap, maildir_inbox):
        monkeypatch.setattr(module, "MAX_MESSAGE_BYTES", 2000)
    room = make_room()
    room.deliver(message(1, size=5000))
    with room.inbox().session() as box:
        (ref,) = box.list_new(TODAY)
        assert box.fetch(ref) is None


def check_check_reads_and_marks_nothing(make_room: MakeRoom) -> None:
    room = make_room()
    room.deliver(message(1))
    detail = room.inbox(after="move", move_to="handled").check()
    assert "1 message" in detail
    assert "handled" in detail
    assert room.flags() == {"<reply-1@mail.example.com>": set()}
    assert room.moved("handled") == []


def check_failures_are_source_errors_naming_the_inbox(inbox: Inbox) -> None:
    with pytest.raises(SourceError) as failure, inbox.session():
        pass
    assert failure.value.source == inbox.name


CHECKS = [
    check_lists_what_arrived_since_the_day_oldest_first,
    check_fetch_returns_the_message_and_reading_changes_no_flag,
    check_marking_marks_only_what_was_handled,
    check_moving_moves_only_what_was_handled,
    check_places_stay_valid_when_a_client_reads_the_message,
    check_unknown_places_are_reported_gone,
    check_check_reads_and_marks_nothing,
]
