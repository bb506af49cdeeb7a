"""An email from the inbox, parsed into what cadence needs to judge it.

Everything in an inbox is hostile until parsed: headers may be malformed or
encoded in unknown charsets, bodies may claim any structure. Parsing never
raises; what cannot be read is left empty, and an empty field never makes a
message act (see :mod:`cadence.daemon.core.triage`).
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from cadence.daemon.core.html_text import html_text
from cadence.daemon.core.identity import references_in

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_TEXT_LIMIT = 200_000
_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
_MAX_PARTS = 50
_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


@dataclass(frozen=True)
class Incoming:
    """An inbox message: ``key`` identifies it once and for all (its Message-ID, or
    a hash of its bytes when it has none); ``sender`` is the one From address,
    lowercased (None when there is not exactly one); ``replied_to`` the Message-IDs
    of In-Reply-To then References; ``text`` the body as text (the plain part, or
    the HTML one turned into text); ``calendars`` the iCalendar parts."""

    key: str
    message_id: str | None
    sender: str | None
    subject: str
    replied_to: tuple[str, ...]
    text: str
    calendars: tuple[bytes, ...]
    automatic: bool
    from_cadence: bool

    @property
    def references(self) -> list[str]:
        """The proposal references it carries: first those of In-Reply-To and
        References, then those written in its body (the ``mailto:`` links' line)."""
        found = references_in(" ".join(self.replied_to)) + references_in(self.text)
        return list(dict.fromkeys(found))


def _header(message: Message, name: str) -> str:
    """The header's value decoded to one line of text ("" when absent or unreadable)."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError, TypeError, AssertionError):
        text = str(value)
    return " ".join(text.split())


def _sender(message: Message) -> str | None:
    values = [str(v) for v in message.get_all("From") or []]
    if len(values) != 1:
        return None
    try:
        found = [address for _, address in getaddresses(values) if address]
    except (ValueError, TypeError, IndexError):
        return None
    if len(found) != 1 or found[0].count("@") != 1 or any(c.isspace() for c in found[0]):
        return None
    return found[0].lower()


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", "replace")


def _is_attachment(part: Message) -> bool:
    return str(part.get("Content-Disposition", "")).strip().lower().startswith("attachment")


def _bodies(message: Message) -> tuple[str, str, tuple[bytes, ...]]:
    """Return the first inline plain text, the first inline HTML and every calendar part."""
    plain = markup = ""
    calendars: list[bytes] = []
    for count, part in enumerate(message.walk()):
        if count >= _MAX_PARTS:
            break
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        name = (part.get_filename() or "").lower()
        if kind in _CALENDAR_TYPES or name.endswith(".ics"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                calendars.append(payload)
        elif kind == "text/plain" and not plain and not _is_attachment(part):
            plain = _decoded(part)
        elif kind == "text/html" and not markup and not _is_attachment(part):
            markup = _decoded(part)
    return plain, markup, tuple(calendars)


def _automatic(message: Message) -> bool:
    """Whether a program sent it (RFC 3834 auto-replies, bounces, lists, vacation
    notices): answering those is how mail loops start."""
    submitted = _header(message, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return True
    if _header(message, "Precedence").lower() in _AUTOMATIC_PRECEDENCE:
        return True
    if any(message.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "List-Id")):
        return True
    return message.get_content_type() == "multipart/report"


def parse_incoming(raw: bytes) -> Incoming:
    """Given the bytes of an email, return what cadence needs of it (never raises)."""
    message = email.message_from_bytes(raw)
    found = _MESSAGE_ID.findall(_header(message, "Message-ID"))
    message_id = found[0] if found else None
    key = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    replied_to = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    replied_to += _MESSAGE_ID.findall(_header(message, "References"))[::-1]
    plain, markup, calendars = _bodies(message)
    text = plain if plain.strip() else html_text(markup[:_TEXT_LIMIT])
    own = message.get("X-Cadence-Proposal") is not None or message.get("X-Cadence") is not None
    if message_id is not None and references_in(message_id):
        own = True
    return Incoming(
        key=key,
        message_id=message_id,
        sender=_sender(message),
        subject=_header(message, "Subject"),
        replied_to=tuple(dict.fromkeys(replied_to)),
        text=text[:_TEXT_LIMIT],
        calendars=calendars,
        automatic=_automatic(message),
        from_cadence=own,
    )
