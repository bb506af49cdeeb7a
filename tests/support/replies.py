"""Replies as mail clients write them, for the inbox tests.

The files in tests/fixtures/replies/ (see SOURCES.md there) are templates:
``@@NAME@@`` stands for a value a test chooses (the proposal email's
Message-ID, the invitation's UID, the choice written), and a block between
``@@BASE64@@`` and ``@@END@@`` is base64-encoded after the values are put in,
as the client encoded it.
"""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from pathlib import Path

from cadence.daemon.core.reply_links import reply_body

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "replies"
OWNER = "olivia@example.com"
REPLY_TO = "cadence@example.com"
ATTENDEE = "alice@example.com"

_BLOCK = re.compile(r"@@BASE64@@\n(.*?)@@END@@\n", re.DOTALL)


def _encode(found: re.Match[str]) -> str:
    data = found.group(1).replace("\n", "\r\n").encode("utf-8")
    text = base64.b64encode(data).decode()
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + "\n"


def reply_fixture(name: str, **values: str) -> bytes:
    """Given a fixture's file name and values for its placeholders, return the email
    as it arrives (CRLF line ends)."""
    attendee = values.get("ATTENDEE", ATTENDEE)
    defaults = {
        "OWNER": OWNER,
        "REPLY_TO": REPLY_TO,
        # Invitations name cadence's own address as ORGANIZER; answers go there.
        "ORGANIZER": REPLY_TO,
        "ATTENDEE": attendee,
        "ATTENDEE_UPPER": attendee[:1].upper() + attendee[1:].replace("@e", "@E"),
        "CHOICE": "2",
        "SEQUENCE": "0",
        "UID": "cadence-proposal-1-alice@example.com-2026-11-23",
        "PROPOSAL_MESSAGE_ID": "<cadence.00000000000000000000000000000000@example.com>",
    }
    defaults.update(values)
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for key, value in defaults.items():
        text = text.replace(f"@@{key}@@", value)
    assert "@@" not in _BLOCK.sub("", text).replace("@@BASE64@@", ""), f"{name}: a value is missing"
    text = _BLOCK.sub(_encode, text)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def mailto_reply(
    choice: str,
    proposal_message_id: str,
    *,
    sender: str = OWNER,
    message_id: str = "<mailto-reply-1@mail.example.com>",
    signature: str = "",
) -> bytes:
    """The email a mail client sends when the owner follows one of a proposal email's
    ``mailto:`` links and presses send (no In-Reply-To: a new message)."""
    message = EmailMessage()
    message["From"] = f"Olivia Owner <{sender}>"
    message["To"] = REPLY_TO
    message["Subject"] = "Re: 1:1 with Alice Example: cancelled on Tue 24 Nov — 3 new times"
    message["Message-ID"] = message_id
    body = reply_body(choice, proposal_message_id).replace("\r\n", "\n")
    message.set_content(body + (f"\n{signature}\n" if signature else ""))
    return bytes(message)
