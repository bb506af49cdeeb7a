"""``mailto:`` links that open a ready reply to a proposal (RFC 6068).

Each link opens a new email to the inbox cadence reads, with the subject "Re:
<the proposal's subject>" and a body that starts with the choice (a slot
number, or ``dismiss``). Below a signature delimiter, which the reply parser
ignores, the body carries the proposal's reference: its unguessable
Message-ID, the secret that lets the reply act (DESIGN rule 10). Replying to
the email itself carries the same secret in In-Reply-To.
"""

from __future__ import annotations

from urllib.parse import quote

# RFC 6068: line breaks in a mailto body are written CRLF, percent-encoded.
_CRLF = "\r\n"


def reply_body(choice: str, message_id: str) -> str:
    """Given a choice ("2", "dismiss") and the proposal email's Message-ID, return the
    body of the reply a link opens."""
    reference = message_id.strip().removeprefix("<").removesuffix(">")
    return f"{choice}{_CRLF}{_CRLF}-- {_CRLF}cadence reference (keep it): {reference}{_CRLF}"


def mailto(reply_to: str, subject: str, choice: str, message_id: str) -> str:
    """Given where replies go, the proposal email's subject and Message-ID, and a
    choice, return the ``mailto:`` URL of a reply making that choice."""
    address = quote(reply_to.strip(), safe="@")
    fields = {
        "subject": f"Re: {subject}",
        "body": reply_body(choice, message_id),
    }
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())
    return f"mailto:{address}?{query}"


def reply_hint(count: int) -> str:
    """The sentence that says how to answer by email, for ``count`` slots."""
    if count <= 0:
        return "Reply to this email with dismiss to drop this proposal."
    numbers = [str(n) for n in range(1, count + 1)]
    said = numbers[0] if count == 1 else ", ".join(numbers[:-1]) + f" or {numbers[-1]}"
    return f"Reply to this email with {said} to book that time, or with dismiss to drop it."
