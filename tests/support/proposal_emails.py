"""Alice's proposal email as the tests of emails build it: her cancelled Tuesday
1:1 with Olivia (proposal #42, three slots), rendered and read back."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from cadence.daemon.core import messages
from cadence.daemon.core.model import (
    Cadence,
    Owner,
    Period,
    Person,
    Proposal,
    ProposalStatus,
    Reason,
    Slot,
)

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = Owner("Olivia Owner", "olivia@example.com", "Europe/Berlin")
ALICE = Person("alice@example.com", "Alice Example", Cadence.parse("weekly"))
AGENDA = "https://agenda.example.com/alice?x=1&y=2"
STAMP = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


SLOTS = (
    Slot(at(25, 10), at(25, 10, 30)),
    Slot(at(26, 14), at(26, 14, 30)),
    Slot(at(27, 9), at(27, 9, 25), shorter=True),
)


def proposal(reason: Reason = Reason.CANCELLED, **changes: object) -> Proposal:
    base = Proposal(
        id=42,
        gap_key="alice@example.com|2026-11-23",
        person="alice@example.com",
        reason=reason,
        status=ProposalStatus.OPEN,
        period=Period(at(23, 0), at(30, 0)),
        slots=SLOTS,
        cancelled_start=at(24, 10) if reason is not Reason.NO_SERIES else None,
        created_at=at(23, 8),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def render(
    p: Proposal | None = None, person: Person = ALICE, owner: Owner = OWNER, **kw: object
) -> EmailMessage:
    args: dict[str, object] = {
        "sender": "cadence <cadence@example.com>",
        "to": ["olivia@example.com"],
        "message_id": "<proposal-42@cadence.example.com>",
        "agenda_url": AGENDA,
    }
    args.update(kw)
    return messages.proposal_email(p or proposal(), person, owner, **args)  # type: ignore[arg-type]


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    page = message.get_body(("html",))
    assert text is not None and page is not None
    return text.get_content(), page.get_content()


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
