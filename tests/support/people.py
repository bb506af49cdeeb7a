"""The owner's weekly 1:1 with Alice, as a feed, that the end-to-end tests share.

Their clock is pinned to NOW, Monday 23 November 2026, 09:00 in Berlin. The
series runs on Tuesdays at 10:00 since 6 October; the instance the tests
cancel, move or decline is NEXT_WEEK's, on Tuesday 1 December.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.support import feeds

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
FIRST = datetime(2026, 10, 6, 10, 0, tzinfo=BERLIN)  # a Tuesday
NEXT_WEEK = datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
ALICE = "alice@example.com"


def alice_series(**exceptions: object) -> list[str]:
    return feeds.weekly(
        "alice-1on1@google.com",
        "Alice / Olivia",
        FIRST,
        attendees=[feeds.OWNER, ALICE],
        **exceptions,  # type: ignore[arg-type]
    )
