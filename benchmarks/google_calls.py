"""Google API calls and cycle time of cadence against the local Google emulator.

A Workspace deployment: one service account with domain-wide delegation, one
cadence per owner (``service_account`` + ``subject``), each owner with up to
10 people. For 10, 100 and 1,000 people (1, 10 and 100 owners) it runs, for
every owner: the first cycle (series and agenda links written), a settling
cycle (cadence reads back what it wrote), ``--idle`` idle cycles, then one
cancelled meeting per owner and the cycle that turns it into a proposal. It
prints, in one run, API calls per owner for each kind of cycle (by method) and
cycle times (median with min and max over the owners' cycles), and checks the
budget: an idle cycle is one ``events.list`` per calendar and no writes; a
cancellation at most one ``freebusy.query`` on top of the read, plus writes.
Exits with 1 when the budget is missed or a cycle reports errors.

    .venv/bin/python benchmarks/google_calls.py [--sizes 10,100,1000] [--idle 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cadence.daemon.config import load_config
from cadence.daemon.core.model import Cadence, Person
from cadence.daemon.cycle import CycleReport
from cadence.daemon.engine import Engine

from tests.google_emulator import GoogleEmulator

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)  # a Monday
PEOPLE_PER_OWNER = 10
CADENCES = ("weekly", "weekly", "biweekly", "monthly", "weekly")

CONFIG = """\
[owner]
name = "Owner {n}"
email = "{email}"
timezone = "Europe/Berlin"
[state]
path = "state.db"
[calendar]
backend = "google"
[calendar.google]
service_account = "{key}"
subject = "{email}"
[agenda]
directory = "agendas"
base_url = "https://wiki.example.com/1on1/"
[email]
from = "cadence@example.com"
transport = "maildir"
[email.maildir]
path = "mail"
"""

READS = {"calendar.events.list"}
FREEBUSY = {"calendar.freebusy.query"}
WRITES = {
    "calendar.events.insert",
    "calendar.events.patch",
    "calendar.events.update",
    "calendar.events.delete",
}
# What the API budget does not count: the token endpoint and batch envelopes.
PLUMBING = {"token", "batch"}


@dataclass
class Phase:
    """Calls per owner and cycle times over one kind of cycle."""

    calls: list[Counter[str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    errors: int = 0

    def per_owner(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.calls:
            total.update(counts)
        return Counter({k: v / max(len(self.calls), 1) for k, v in total.items()})

    def worst(self, methods: set[str]) -> float:
        return max((sum(c[m] for m in methods) for c in self.calls), default=0)


def people_of(owner: int, count: int) -> list[Person]:
    return [
        Person(
            email=f"p{owner}-{n}@example.com",
            name=f"Person {owner}-{n}",
            cadence=Cadence.parse(CADENCES[n % len(CADENCES)]),
            day=n % 5,
            time=clock_time(9 + n % 7, 0),
        )
        for n in range(count)
    ]


def owners_for(total: int) -> list[int]:
    """How many people each owner has: 10 each (the last may have fewer)."""
    sizes = [PEOPLE_PER_OWNER] * (total // PEOPLE_PER_OWNER)
    if total % PEOPLE_PER_OWNER:
        sizes.append(total % PEOPLE_PER_OWNER)
    return sizes


def measured(google: GoogleEmulator, engine: Engine, phase: Phase) -> CycleReport:
    google.reset_calls()
    start = time.perf_counter()
    report = engine.sync()
    phase.seconds.append(time.perf_counter() - start)
    # A call refused with 401 is the hourly access-token renewal (it is retried once the
    # token is renewed): plumbing too, like the token endpoint itself.
    counted = [c for c in google.calls if c.method_id not in PLUMBING and c.status != 401]
    phase.calls.append(Counter(c.method_id for c in counted))
    phase.errors += len(report.errors)
    return report


def run_size(total: int, idle_cycles: int, root: Path) -> dict[str, Phase]:
    phases = {name: Phase() for name in ("first", "settle", "idle", "cancellation")}
    with GoogleEmulator() as google:
        os.environ["CADENCE_GOOGLE_ROOT"] = google.root
        google.now = NOW.astimezone(UTC)
        key = root / "service-account.json"
        google.service_account_file(key)
        key.chmod(0o600)
        engines: list[tuple[str, Engine]] = []
        now = [NOW]
        for number, size in enumerate(owners_for(total)):
            email = f"owner{number}@example.com"
            google.add_user(email, timezone="Europe/Berlin")
            home = root / f"owner{number}"
            home.mkdir()
            (home / "config.toml").write_text(
                CONFIG.format(n=number, email=email, key=key), encoding="utf-8"
            )
            engine = Engine(load_config(home / "config.toml", env={}), clock=lambda: now[0])
            for person in people_of(number, size):
                google.add_user(person.email, timezone="Europe/Berlin")
                engine.add_person(person)
            engines.append((email, engine))
        for name, step in (("first", timedelta(0)), ("settle", timedelta(minutes=15))):
            now[0] += step
            google.now = now[0].astimezone(UTC)
            for _, engine in engines:
                measured(google, engine, phases[name])
        for _ in range(idle_cycles):
            now[0] += timedelta(minutes=15)
            google.now = now[0].astimezone(UTC)
            for _, engine in engines:
                measured(google, engine, phases["idle"])
        for email, _ in engines:
            cancel_one(google, email, now[0])
        now[0] += timedelta(minutes=15)
        google.now = now[0].astimezone(UTC)
        for _, engine in engines:
            report = measured(google, engine, phases["cancellation"])
            if report.proposals_created != 1:
                phases["cancellation"].errors += 1
        for _, engine in engines:
            engine.close()
    return phases


def cancel_one(google: GoogleEmulator, owner: str, now: datetime) -> None:
    """Cancel the next meeting of the owner's first weekly series, as they would."""
    for event in google.events(owner):
        if event.get("recurrence") == ["RRULE:FREQ=WEEKLY"]:
            (first, *_) = google.instances(
                owner, event["id"], now + timedelta(days=2), now + timedelta(days=9)
            )
            start = datetime.fromisoformat(first["originalStartTime"]["dateTime"])
            google.cancel_instance(owner, event["id"], start)
            return
    raise SystemExit(f"{owner} has no weekly series to cancel")


def show(counts: Counter[str]) -> str:
    return ", ".join(f"{m.removeprefix('calendar.')} {v:g}" for m, v in sorted(counts.items()))


def seconds(values: list[float]) -> str:
    low, mid, high = (v * 1000 for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:7.1f} ms [{low:.1f} .. {high:.1f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--idle", type=int, default=3, help="idle cycles per owner")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    ok = True
    print(f"{'people':>6} {'owners':>6}  {'cycle':<12} {'calls per owner (mean)':<58} cycle time")
    for total in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="cadence-bench-") as tmp:
            wall = time.perf_counter()
            phases = run_size(total, args.idle, Path(tmp))
            wall = time.perf_counter() - wall
        owners = len(owners_for(total))
        for name, phase in phases.items():
            print(
                f"{total:>6} {owners:>6}  {name:<12} {show(phase.per_owner()):<58} "
                f"{seconds(phase.seconds)}"
            )
        idle, cancel = phases["idle"], phases["cancellation"]
        budget = {
            "idle: one events.list per calendar": idle.worst(READS) == 1
            and all(sum(c.values()) == 1 for c in idle.calls),
            "idle: no writes": idle.worst(WRITES) == 0,
            "cancellation: at most one freebusy.query": cancel.worst(FREEBUSY) <= 1,
            "cancellation: one read": cancel.worst(READS) == 1,
            "no cycle errors": all(p.errors == 0 for p in phases.values()),
        }
        for label, held in budget.items():
            print(f"{'':>15}{'ok  ' if held else 'MISS'} {label}")
        print(f"{'':>15}whole run {wall:.1f} s")
        ok = ok and all(budget.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
