"""Address headers (From, To, Cc, Reply-To) written so that folding never changes
what they say.

CPython's email policy refolds a long address header when it writes a message,
and on the way it can drop the quotes around a display name: a person named
"Head of Platform: EMEA @ Example Corp" then reads as several addresses, none
of them the person's. So cadence folds these headers itself, into lines of at
most 78 characters, out of pieces that no folding can change: the words of a
plain name, a quoted name that fits on a line, or RFC 2047 encoded-words (each
an atom of at most 75 characters, the form every mail client decodes) for any
other name. The value is stored as it is (``set_raw``), so the policy writes it
unchanged. (No I/O here: values in, values out.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, getaddresses

__all__ = ["address_value", "mailbox", "set_addresses"]

MAX_LINE = 78
# RFC 5322 atext: a name made of such words needs neither quotes nor encoding.
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
# Printable ASCII, and within it what a quoted string must escape.
_PRINTABLE = re.compile(r"[!-~]+")
_QUOTED_PAIR = re.compile(r'["\\]')
# The longest an encoded-word may be (RFC 2047).
_ENCODED_WORD = 75
# An address written as is: printable ASCII, one "@", nothing that ends an address.
_ADDR_PART = r'[^\s<>(),;:"\\@\x00-\x1f\x7f-\U0010ffff]+'
_ADDR_SPEC = re.compile(f"{_ADDR_PART}@{_ADDR_PART}")

Mailbox = tuple[str, str]  # (display name, address)


def _name_pieces(name: str, longest: int) -> list[str]:
    """Given a display name, return the pieces it is written as (none longer than
    ``longest``); a line break may go between any two of them."""
    words = name.split()
    if not words:
        return []
    if "=?" in name:
        # Looks like an encoded-word: readers would decode it, written plainly.
        return _encoded_words(words, min(longest, _ENCODED_WORD))
    if all(_ATOM.fullmatch(w) and len(w) <= longest for w in words):
        return words
    if all(_PRINTABLE.fullmatch(w) for w in words):
        # A quoted string may be folded at its spaces; unfolding gives them back.
        quoted = [_QUOTED_PAIR.sub(r"\\\g<0>", w) for w in words]
        quoted[0] = '"' + quoted[0]
        quoted[-1] += '"'
        if all(len(q) <= longest for q in quoted):
            return quoted
    return _encoded_words(words, min(longest, _ENCODED_WORD))


def _encoded_words(words: list[str], longest: int) -> list[str]:
    """RFC 2047 encoded-words for the words, split between words where it can be: a
    space starts the next encoded-word, since the break between two of them is no
    space at all to a reader that follows RFC 2047."""
    chunks: list[str] = []
    for word in words:
        joined = f"{chunks[-1]} {word}" if chunks else word
        if chunks and len(_encode(joined, longest)) == 1:
            chunks[-1] = joined
        else:
            chunks.append(f" {word}" if chunks else word)
    return [piece for chunk in chunks for piece in _encode(chunk, longest)]


def _encode(text: str, longest: int) -> list[str]:
    encoded = Header(text, "utf-8").encode(maxlinelen=longest, linesep="\n")
    return [line.strip() for line in encoded.split("\n")]


def address_value(field: str, mailboxes: Sequence[Mailbox]) -> str | None:
    """Given a header field name and its (display name, address) pairs, return the
    header's value folded into lines of at most 78 characters, or None when an
    address is not plain ASCII (such a header is left to the email policy)."""
    # Short enough to fit on the first line, after "Field: ", and so on any line.
    longest = MAX_LINE - len(field) - 2
    pieces: list[str] = []
    for number, (name, address) in enumerate(mailboxes, start=1):
        if not _ADDR_SPEC.fullmatch(address):
            return None
        named = _name_pieces(name, longest)
        last = f"<{address}>" if named else address
        pieces += [*named, last + ("," if number < len(mailboxes) else "")]
    lines = [""]
    for piece in pieces:
        # The first line also holds "Field: "; the others start with a space.
        used = len(lines[-1]) + (len(field) + 2 if len(lines) == 1 else 0)
        if lines[-1].strip() and used + 1 + len(piece) > MAX_LINE:
            lines.append(" " + piece)
        else:
            lines[-1] += (" " if lines[-1] else "") + piece
    return "\r\n".join(lines)


def mailbox(text: str) -> Mailbox:
    """Given an address as configured (``a@example.com`` or ``Name <a@example.com>``),
    return it as a (display name, address) pair; unparsable text comes back whole as
    the address (and is then left to the email policy)."""
    found = getaddresses([text])
    if len(found) == 1 and "@" in found[0][1]:
        return found[0]
    return ("", text)


def set_addresses(message: EmailMessage, field: str, mailboxes: Sequence[Mailbox]) -> None:
    """Given a message, a field name and (display name, address) pairs, add the header
    (folded by :func:`address_value`; through the email policy when it cannot be)."""
    value = address_value(field, mailboxes)
    if value is not None:
        message.set_raw(field, value)
        return
    # Not a plain address: the policy parses the text as leniently as it can.
    message[field] = ", ".join(formataddr(pair) if pair[0] else pair[1] for pair in mailboxes)
