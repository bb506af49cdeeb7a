"""Feed addresses: which ones cadence can read, and how one is shown.

A calendar's secret address is a password: whoever has it reads the calendar.
So wherever an address is shown (status, doctor, logs, errors, JSON) it is
shown as :func:`shown_url` makes it: the scheme, the host and, when it is a
plain file name such as ``basic.ics``, the last part of the path; never the
credentials, the query, the tokens in the path, whatever the scheme. Paths on
this machine are shown as given. (Pure: urllib.parse only parses text.)
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import SplitResult, unquote, urlsplit

__all__ = ["FEED_SCHEMES", "feed_url_problem", "is_url", "shown_url"]

# The schemes a feed is read over (webcal is how calendar apps spell https).
FEED_SCHEMES = ("https", "http", "webcal", "webcals", "file")
# A last path segment worth showing: a short file name such as basic.ics or
# calendar.ics. Secret addresses end in tokens (Apple) or hide them higher up
# the path (Google, Outlook); those are never shown.
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}\.(ics|ical|ifb|vcs)", re.IGNORECASE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def is_url(location: str) -> bool:
    """Whether ``location`` is an address with a scheme (``C:\\...`` is a path)."""
    found = _SCHEME.match(location.strip())
    return found is not None and len(found.group(1)) > 1


def shown_url(location: str) -> str:
    """Given a feed location, return how it may be shown: ``scheme://host/…/basic.ics``
    for any address with a scheme (no credentials, query or token path), a path as
    given."""
    if not is_url(location):
        return location
    text = location.strip()
    scheme = text.split(":", 1)[0].lower()
    try:
        parts = urlsplit(text)
        host = _host(parts)
    except ValueError:  # an unbalanced "[" in the host, say
        return f"{scheme}://(invalid address)"
    segments = [s for s in parts.path.split("/") if s]
    last = unquote(segments[-1]) if segments else ""
    shown = last if _FILE_NAME.fullmatch(last) and sum(c.isdigit() for c in last) <= 4 else ""
    if not segments:
        return f"{scheme}://{host}/"
    if len(segments) == 1 and shown:
        return f"{scheme}://{host}/{shown}"
    return f"{scheme}://{host}/…/{shown}" if shown else f"{scheme}://{host}/…"


def _host(parts: SplitResult) -> str:
    """The host (and port) of an address, without the credentials it may carry;
    raise ValueError for a malformed host or port."""
    port = parts.port  # raises ValueError when not a number from 0 to 65535
    host = (parts.hostname or "").strip()
    if any(unicodedata.category(c)[0] in "CZ" for c in host):
        raise ValueError("control characters or spaces in the host")
    return host + (f":{port}" if port else "")


def feed_url_problem(location: str) -> str | None:
    """Given a feed location as configured, return what makes it unusable (in words
    that never quote it), or None for an address cadence can read or a path."""
    if not location.strip():
        return "empty; give an https:// address or a file path"
    if not is_url(location):
        return None
    text = location.strip()
    scheme = text.split(":", 1)[0].lower()
    if scheme not in FEED_SCHEMES:
        return (
            f"{scheme}:// cannot be read; give an https://, http:// or webcal:// address "
            "or a file path"
        )
    if any(unicodedata.category(c)[0] in "CZ" for c in text):
        return "the address holds spaces or control characters; copy it again whole"
    try:
        parts = urlsplit(text)
        host = _host(parts)
    except ValueError:
        return "not a valid address (its host or port is malformed); copy it again whole"
    if scheme != "file" and not host:
        return "the address has no host; copy it again whole"
    if scheme == "file" and host not in ("", "localhost"):
        return "a file:// address must name a file on this machine"
    return None
