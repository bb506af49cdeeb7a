"""Identifiers that are unique per installation and unguessable.

Every Message-ID cadence writes is derived with HMAC-SHA256 from a random
secret created with the state (``store.identity``). The same key gives the
same id in one installation, so a retried email keeps its Message-ID; two
installations, or a state rebuilt from scratch, never share one; and nobody
who has not seen an email can name it. That last property is what makes a
reply to a proposal trustworthy (DESIGN rule 10): quoting the proposal's
Message-ID (In-Reply-To, References, or the reference the ``mailto:`` links
put in the body) proves the sender read the proposal.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# 128 bits of HMAC in hex: the part of a Message-ID that proves having seen it.
_DIGEST_CHARS = 32
REFERENCE = re.compile(r"cadence\.([0-9a-f]{32})@", re.IGNORECASE)


def derive(secret: bytes, purpose: str, length: int = _DIGEST_CHARS) -> str:
    """Given the installation secret and what an identifier is for, return ``length``
    hex digits that only that secret yields for that purpose."""
    return hmac.new(secret, purpose.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def message_id(secret: bytes, key: str, sender: str) -> str:
    """Given the installation secret, an email's idempotency key and its sender,
    return its Message-ID: ``<cadence.HEX@sender-domain>`` (stable per key)."""
    domain = sender.rsplit("@", 1)[-1].strip().strip("<>") or "cadence.invalid"
    return f"<cadence.{derive(secret, f'message:{key}')}@{domain}>"


def installation_id(secret: bytes) -> str:
    """Given the installation secret, return a short public id of the installation
    (safe to show: it reveals nothing of the secret)."""
    return derive(secret, "installation-id", 16)


def references_in(text: str) -> list[str]:
    """Given any text (headers, a body), return the proposal references it carries:
    the HEX of every ``cadence.HEX@`` in it, lowercased, first seen first."""
    return list(dict.fromkeys(m.lower() for m in REFERENCE.findall(text)))


def reference_of(message_id: str) -> str | None:
    """Given a Message-ID cadence wrote, return its reference (HEX), else None."""
    found = references_in(message_id)
    return found[0] if found else None
