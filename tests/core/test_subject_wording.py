"""The subjects of what cadence sends read as written English for every cadence,
count and name: no doubled or stray spaces, no "1 times", no "every 1 weeks".

Subjects are where a slip shows first (they are read in a list, without the
body around them), so they are checked over all their inputs rather than by
examples alone.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

from cadence.daemon.core import itip, messages
from cadence.daemon.core.itip import Method, Role
from cadence.daemon.core.model import Cadence, Reason, Slot
from cadence.daemon.core.series import rrule_line
from hypothesis import given
from hypothesis import strategies as st

from tests.support.bookings import booking
from tests.support.proposal_emails import ALICE, OWNER, at, proposal

CADENCES = st.sampled_from(
    ["weekly", "fortnightly", "monthly", "quarterly", *(f"{n}w" for n in range(1, 13))]
).map(Cadence.parse)
# Names as people type them: spaces at the ends, doubled inside, tabs.
NAMES = st.lists(st.sampled_from(["Ana", "de", "la", "O'Neil", "Zoë"]), min_size=1, max_size=3).map(
    lambda words: "  ".join(words)
) | st.sampled_from([" Alice Example ", "Alice\tExample", "Alice  Example"])

SLIPS = (
    (re.compile(r"\s{2,}"), "a doubled space"),
    (re.compile(r"^\s|\s$"), "a space at an end"),
    (re.compile(r"\s[,.:;)]"), "a space before punctuation"),
    (
        re.compile(r"\b1 (times|weeks|months|options|new times|nearest options)\b"),
        "1 with a plural",
    ),
    (
        re.compile(r"\b([02-9]|\d{2,}) (time|week|month|option|new time)\b(?![-s])"),
        "a plural in the singular",
    ),
    (re.compile(r"\bevery 1 "), "every 1"),
    (re.compile(r"\b\d+w\b"), "a cadence's short name"),
)


def slips(subject: str) -> list[str]:
    return [what for pattern, what in SLIPS if pattern.search(subject)]


def slots(count: int) -> tuple[Slot, ...]:
    return tuple(Slot(at(24 + n, 10), at(24 + n, 10, 30), shorter=n == 2) for n in range(count))


@given(
    cadence=CADENCES,
    name=NAMES,
    reason=st.sampled_from(list(Reason)),
    count=st.integers(0, 3),
    no_free_time=st.booleans(),
)
def test_proposal_subjects_read_right(
    cadence: Cadence, name: str, reason: Reason, count: int, no_free_time: bool
) -> None:
    person = dataclasses.replace(ALICE, name=name, cadence=cadence)
    found = proposal(reason, slots=slots(count), no_free_time=no_free_time and count > 0)
    message = messages.proposal_email(
        found,
        person,
        OWNER,
        sender="cadence <cadence@example.com>",
        to=["olivia@example.com"],
        message_id="<proposal-42@cadence.example.com>",
        agenda_url=None,
    )
    subject = str(message["Subject"])
    assert not slips(subject), (subject, slips(subject))


@given(
    cadence=CADENCES,
    name=NAMES,
    recurring=st.booleans(),
    method=st.sampled_from(list(Method)),
    role=st.sampled_from(list(Role)),
    sequence=st.integers(0, 2),
    cut_after=st.none() | st.integers(1, 6),
)
def test_invitation_subjects_read_right(
    cadence: Cadence,
    name: str,
    recurring: bool,
    method: Method,
    role: Role,
    sequence: int,
    cut_after: int | None,
) -> None:
    start = datetime(2026, 12, 1, 10, 0, tzinfo=at(1, 0).tzinfo)
    changes: dict[str, object] = {
        "person_name": name,
        "start": start,
        "end": start + timedelta(minutes=30),
        "sequence": sequence,
    }
    if recurring:
        changes["recurrence"] = rrule_line(cadence, start).removeprefix("RRULE:")
        if cut_after is not None:
            changes["ends"] = start + timedelta(weeks=cut_after * 13)
    message = itip.booking_email(
        booking(**changes),
        OWNER,
        role=role,
        method=method,
        sender="cadence <cadence@example.com>",
        message_id="<invite-7@example.com>",
        agenda_url=None,
        stamp=start - timedelta(days=7),
    )
    subject = str(message["Subject"])
    assert not slips(subject), (subject, slips(subject))


def test_the_checks_catch_the_slips_they_name() -> None:
    assert slips("1:1 with Alice:  cancelled") == ["a doubled space"]
    assert "1 with a plural" in slips("1:1 with Alice: 1 times to start")
    assert "a plural in the singular" in slips("1:1 with Alice: 3 new time")
    assert "every 1" in slips("every 1 weeks on Tuesday")
    assert "a cadence's short name" in slips("to start a 3w series")
    assert not slips("1:1 with Alice Example: cancelled on Tue 24 Nov — 3 new times")
    assert not slips("Person(x) 1:1 every 3 weeks on Tuesday, 10:00–10:30, from Tue 01 Dec 2026")
