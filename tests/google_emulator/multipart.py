"""Reading MIME multipart bodies (Drive uploads, batch requests) with the stdlib parser."""

from __future__ import annotations

import email.parser
import email.policy
from email.message import Message


def split(content_type: str, body: bytes) -> list[Message]:
    """The parts of a multipart ``body`` sent with ``content_type`` (empty if not multipart)."""
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    payload = message.get_payload()
    if not message.is_multipart() or not isinstance(payload, list):
        return []
    return [part for part in payload if isinstance(part, Message)]


def content(part: Message) -> bytes:
    """A part's body as bytes, exactly as sent (binary transfer encoding kept)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def text(part: Message) -> str:
    """A part's body as text (batch parts hold one HTTP request each)."""
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""
