"""The signed addresses of the web app, and the tokens its forms carry (pure).

Every address cadence puts in an email or an invitation is signed with HMAC
under the web app's key, so a forged or altered one is refused before anything
is looked up, and nobody who has not seen the email can make one:

- ``/p/ID/CHOICE/SIG``: a proposal's confirm page; CHOICE is a slot number or
  ``dismiss``. It names one proposal, and stops acting when that proposal
  closes (the page then says what became of it).
- ``/a/NONCE-SIG``: a person's agenda page. NONCE is random and kept with the
  person; rotating the link gives them a new one, so the old link names nobody.
- ``/in/EXPIRES-SIG``: a sign-in link for the owner, good until EXPIRES (Unix
  seconds).

A form's token binds it to the page it was served on (the page's path, or the
owner's session) and to the moment it was served, so a token cannot be lifted
from one page to another and its age is known: the web app refuses a press
that comes sooner after the page than a person could have read it.

Time comes in as Unix seconds; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = [
    "CHOICES",
    "agenda_nonce",
    "agenda_path",
    "form_token",
    "form_token_age",
    "link_key",
    "proposal_path",
    "proposal_signature_ok",
    "sign_in_expiry",
    "sign_in_path",
]

# 96 bits of HMAC: far beyond guessing at the rate limit of 20 tries a minute.
_SIG = 24
CHOICES = ("1", "2", "3", "dismiss")
_HEX = re.compile(r"[0-9a-f]+")


def _sign(key: bytes, purpose: str) -> str:
    return hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).hexdigest()[:_SIG]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii"))


def link_key(file_key: bytes, installation_secret: bytes) -> bytes:
    """Given the key file's bytes and the installation secret of the state, return the
    key links are signed with: a state rebuilt from scratch (a new installation
    secret) never honours the links of the old one, whose proposal numbers it reuses."""
    return hmac.new(file_key, b"links:" + installation_secret, hashlib.sha256).digest()


def proposal_path(key: bytes, proposal_id: int, choice: str) -> str:
    """Given the link key, a proposal and a choice (``"1"``..``"3"``, ``"dismiss"``),
    return the path of its confirm page."""
    if choice not in CHOICES:
        raise ValueError(f"not a choice: {choice!r}")
    return f"/p/{proposal_id}/{choice}/{_sign(key, f'proposal|{proposal_id}|{choice}')}"


def proposal_signature_ok(key: bytes, proposal_id: int, choice: str, signature: str) -> bool:
    """Return whether ``signature`` is the one cadence gave that proposal's choice."""
    if choice not in CHOICES:
        return False
    return _same(signature, _sign(key, f"proposal|{proposal_id}|{choice}"))


def agenda_path(key: bytes, nonce: str) -> str:
    """Given the link key and a person's nonce, return the path of their agenda page."""
    return f"/a/{nonce}-{_sign(key, f'agenda|{nonce}')}"


def agenda_nonce(key: bytes, token: str) -> str | None:
    """Given the last part of an agenda page's path, return its nonce when the
    signature holds, else None."""
    nonce, dash, signature = token.partition("-")
    if not dash or not _HEX.fullmatch(nonce) or len(nonce) > 64:
        return None
    return nonce if _same(signature, _sign(key, f"agenda|{nonce}")) else None


def sign_in_path(key: bytes, expires: int) -> str:
    """Given the link key and when the link stops working (Unix seconds), return the
    path of a sign-in link."""
    return f"/in/{expires}-{_sign(key, f'sign-in|{expires}')}"


def sign_in_expiry(key: bytes, token: str) -> int | None:
    """Given the last part of a sign-in path, return when it expires when the
    signature holds, else None (expired or not is the caller's question)."""
    expires, dash, signature = token.partition("-")
    if not dash or not expires.isdigit() or len(expires) > 12:
        return None
    return int(expires) if _same(signature, _sign(key, f"sign-in|{expires}")) else None


def form_token(key: bytes, binding: str, issued: int) -> str:
    """Given the link key, what the form is bound to (a page's path, a session) and
    when the page was served, return the form's token."""
    return f"{issued}-{_sign(key, f'form|{binding}|{issued}')}"


def form_token_age(key: bytes, binding: str, token: str, now: int) -> int | None:
    """Given a token that came back with a form, return how many seconds ago its page
    was served, or None when it was not made for ``binding`` (or comes from the
    future: a forged one)."""
    issued, dash, signature = token.partition("-")
    if not dash or not issued.isdigit() or len(issued) > 12:
        return None
    if not _same(signature, _sign(key, f"form|{binding}|{issued}")):
        return None
    age = now - int(issued)
    return age if age >= -5 else None  # a few seconds of skew between threads' clocks
