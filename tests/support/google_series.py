"""Alice's weekly series on the emulated Google Calendar as the tests of writing
series see it: adding her through the CLI, the series and their starts, the API
calls made, a sync's JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.support.google_world import ALICE, BERLIN, NOW, OWNER, World

FIRST = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)  # Alice's usual Tuesday 10:00


def add_alice(world: World, *extra: str) -> None:
    world.ok(
        "person", "add", ALICE, "--name", "Alice Example", "--every", "weekly",
        "--day", "tue", "--time", "10:00", "--duration", "30m", *extra,
    )  # fmt: skip


def masters(world: World) -> list[dict[str, Any]]:
    """The recurring events in the owner's calendar (live ones)."""
    return [e for e in world.google.events(OWNER) if e.get("recurrence")]


def starts(world: World, master: dict[str, Any], weeks: int = 6) -> list[datetime]:
    found = world.google.instances(OWNER, master["id"], NOW, NOW + timedelta(weeks=weeks))
    return [datetime.fromisoformat(i["start"]["dateTime"]).astimezone(BERLIN) for i in found]


def all_starts(world: World, weeks: int = 6) -> list[datetime]:
    return sorted(s for m in masters(world) for s in starts(world, m, weeks))


def api_calls(world: World) -> list[str]:
    """The API calls made since the last reset, leaving out the access token's hourly
    renewal (a refused call and its refresh) that moving the clock brings."""
    return [c.method_id for c in world.google.calls if c.method_id != "token" and c.status != 401]


def sync(world: World) -> dict[str, Any]:
    result = world.run("sync", "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report
