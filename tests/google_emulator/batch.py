"""Batch requests: ``POST /batch/calendar/v3`` and ``/batch/drive/v3``.

The body is multipart/mixed; each part is ``application/http`` holding one
request (request line, headers, blank line, body) and a ``Content-ID``. The
Python client writes "\\n" line endings inside parts, other clients "\\r\\n": both
are read. Headers of the outer request (other than Content-*) apply to every
inner request unless the part sets them. The answer is multipart/mixed too, one
``HTTP/1.1`` response per part with ``Content-ID: <response-ID>``, in order.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from . import multipart
from .api import Reply, Request

_BLANK_LINE = re.compile(r"\r?\n\r?\n")


class BatchError(ValueError):
    """A batch body that cannot be read."""


def unpack(outer: Request) -> list[tuple[str, Request]]:
    """The inner requests of ``outer`` with their Content-IDs."""
    content_type = outer.header("Content-Type") or ""
    if not content_type.startswith("multipart/mixed"):
        raise BatchError("Batch requests must be multipart/mixed.")
    parts = multipart.split(content_type, outer.body)
    if not parts:
        raise BatchError("Batch body is not multipart.")
    inherited = {k: v for k, v in outer.headers.items() if not k.startswith("content-")}
    inherited.pop("host", None)
    return [
        (str(part["Content-ID"] or ""), _inner(multipart.text(part), inherited)) for part in parts
    ]


def pack(replies: list[tuple[str, Reply]], boundary: str) -> tuple[str, bytes]:
    """The multipart/mixed answer and its Content-Type."""
    chunks = []
    for content_id, reply in replies:
        payload = reply.payload()
        reason = HTTPStatus(reply.status).phrase
        head = [f"HTTP/1.1 {reply.status} {reason}"]
        if reply.content_type and payload:
            head.append(f"Content-Type: {reply.content_type}")
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        head.append(f"Content-Length: {len(payload)}")
        inner = "\r\n".join(head).encode() + b"\r\n\r\n" + payload
        outer_head = (
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: {_response_id(content_id)}\r\n\r\n"
        )
        chunks.append(outer_head.encode() + inner + b"\r\n")
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return f"multipart/mixed; boundary={boundary}", body


def _inner(payload: str, inherited: dict[str, str]) -> Request:
    pieces = _BLANK_LINE.split(payload.lstrip("\r\n"), maxsplit=1)
    head, body = pieces[0], pieces[1] if len(pieces) > 1 else ""
    lines = head.replace("\r\n", "\n").split("\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise BatchError(f"Bad request line in batch part: {lines[0]!r}") from None
    headers = dict(inherited)
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    return Request(method, url.path, query, headers, body.encode(), in_batch=True)


def _response_id(content_id: str) -> str:
    inner = content_id.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    return f"<response-{inner}>"
