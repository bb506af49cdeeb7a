"""How long a sync cycle over a large ICS feed takes, and how much memory, by feed size.

For each size (1,000, 10,000 and 40,000 VEVENTs by default) it generates a
Google-style owner feed (see feedgen.py) and, ``--runs`` times: (a) parses its
bytes with ``icalendar.Calendar.from_ical``, the cost of reading every event;
(b) runs a full ``sync`` on a fresh state database, the feed read from a file
and proposals mailed into a Maildir; (c) runs ``sync`` again with the feed
unchanged; (d) runs the pre-filter alone (splitting the feed and picking the
events that can matter to the cycle's window); (e) runs ``sync`` once more
after one event was added to the feed, as when the owner books a meeting, and
times within it the comparison with the last accepted read (the suspect-read
check, DESIGN rule 14). Memory is taken in a fresh
process per size, as the daemon lives: its peak RSS over a full cycle, its RSS
right after it, and its RSS after an idle hour of cycles (``--idle-cycles``
cycles a simulated minute apart, the feed unchanged).

It prints medians with min and max, the steps of the full cycle, and checks the
targets on the 10,000-event feed: a full cycle at most 0.35x the from_ical
parse, an unchanged cycle at most 5% of a full one, a peak RSS of at most
110 MB. With ``--profile`` it profiles a full cycle of the middle size. Exits
with 1 when a cycle reports errors, the full cycle creates no proposal or the
unchanged one creates any; a missed target alone does not fail the run.

    .venv/bin/python benchmarks/ics_cycle.py [--sizes 1000,10000,40000] [--runs 3]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import json
import logging
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import icalendar
from cadence.daemon import cycle, reading
from cadence.daemon.calendars import ics_parse
from cadence.daemon.calendars.ics_select import select_events
from cadence.daemon.calendars.ics_split import split_feed
from cadence.daemon.config import load_config
from cadence.daemon.cycle import CycleReport
from cadence.daemon.engine import Engine
from cadence.daemon.wiring import window_for
from feedgen import NOW, OWNER_EMAIL, OWNER_NAME, OWNER_ZONE, owner_feed, tracked_people

TARGET_SIZE = 10_000
FULL_TO_PARSE = 0.35  # a full cycle at most 0.35x the from_ical parse
UNCHANGED_TO_FULL = 0.05  # a cycle on an unchanged feed at most 5% of a full one
PEAK_RSS_MB = 110

# The steps of a cycle timed on their own, as (module, attribute, label).
PHASES = (
    (cycle, "read_sources", "read sources (fetch, read, store)"),
    (ics_parse, "split_feed", "  of which splitting the feed"),
    (ics_parse, "select_events", "  of which picking events"),
    (ics_parse, "parse_event", "  of which icalendar, per event"),
    (ics_parse, "expand_series", "  of which expanding series"),
    (cycle, "plan", "plan"),
    (cycle, "execute", "execute"),
    (cycle, "deliver_due", "deliver"),
)
# The suspect-read check only compares when there is a last accepted read, so it
# is timed in the cycle after a change (a private name: it is the whole check).
SUSPECT_CHECK = ((reading, "_suspect", "  of which the suspect-read check"),)

CONFIG = """\
[owner]
name = "{name}"
email = "{email}"
timezone = "{zone}"

[state]
path = "state.db"

[calendar.ics]
url = "{feed}"
max_size = 200

[agenda]
directory = "agendas"
base_url = "https://wiki.example.com/1on1/"

[email]
from = "cadence@example.com"
transport = "maildir"

[email.maildir]
path = "mail"
"""


def new_engine(directory: Path, feed: Path, clock: Callable[[], Any] = lambda: NOW) -> Engine:
    """Return an engine on a fresh state in ``directory`` with the tracked people
    added (adding people resets the feed state, so this comes before any sync)."""
    config_path = directory / "config.toml"
    config_path.write_text(
        CONFIG.format(name=OWNER_NAME, email=OWNER_EMAIL, zone=OWNER_ZONE, feed=feed),
        encoding="utf-8",
    )
    engine = Engine(load_config(config_path, env={}), clock=clock)
    for person in tracked_people():
        engine.add_person(person)
    return engine


def with_one_more_event(body: bytes) -> bytes:
    """The feed with one more single event three days ahead, added before its last
    END:VCALENDAR as a calendar would write it."""
    start = NOW.astimezone(UTC) + timedelta(days=3, hours=2)
    stamp = "%Y%m%dT%H%M%SZ"
    event = (
        "BEGIN:VEVENT\r\nUID:one-more@bench.example\r\n"
        f"DTSTAMP:{NOW.astimezone(UTC).strftime(stamp)}\r\n"
        f"DTSTART:{start.strftime(stamp)}\r\n"
        f"DTEND:{(start + timedelta(minutes=30)).strftime(stamp)}\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\n"
    ).encode()
    end = body.rindex(b"END:VCALENDAR")
    return body[:end] + event + body[end:]


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


@dataclass
class Samples:
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self) -> str:
        if not self.values:
            return "-"
        spread = f"[{min(self.values):.3f} .. {max(self.values):.3f}]"
        return f"{self.median:8.3f} s  {spread}"


@contextmanager
def phase_timer(
    into: dict[str, Samples], phases: tuple[tuple[Any, str, str], ...] = PHASES
) -> Iterator[None]:
    """Time the steps of a cycle (``phases``) while the block runs; add one sample
    per step to ``into`` when it ends. The wrappers cost a few microseconds per call."""
    spent = {label: 0.0 for _, _, label in phases}
    originals = [(module, name, getattr(module, name)) for module, name, _ in phases]

    def wrap(function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        return wrapper

    for (module, name, label), (_, _, original) in zip(phases, originals, strict=True):
        setattr(module, name, wrap(original, label))
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    for label, seconds in spent.items():
        into.setdefault(label, Samples()).add(seconds)


# -- memory, in a fresh process ------------------------------------------------------


def memory_now() -> dict[str, int]:
    """This process's resident memory now and at its peak, in kB (Linux)."""
    found = {}
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def memory_child(feed: Path, idle_cycles: int) -> None:
    """Run in a fresh process: a full cycle, then ``idle_cycles`` cycles a minute
    apart on the unchanged feed; print the RSS figures as JSON, in kB."""
    logging.disable(logging.WARNING)
    moment = [NOW]
    with tempfile.TemporaryDirectory(prefix="cadence-bench-rss-") as tmp:
        engine = new_engine(Path(tmp), feed, clock=lambda: moment[0])
        before = memory_now()
        report = engine.sync()
        assert report.ok and report.proposals_created > 0, report.as_json()
        after_full = memory_now()
        for _ in range(idle_cycles):
            moment[0] += timedelta(minutes=1)
            assert engine.sync().ok
        after_idle = memory_now()
        engine.close()
    print(
        json.dumps(
            {
                "before_kb": before["VmRSS"],
                "peak_kb": after_idle["VmHWM"],
                "after_full_kb": after_full["VmRSS"],
                "after_idle_kb": after_idle["VmRSS"],
            }
        )
    )


def parse_child(feed: Path) -> None:
    """Run in a fresh process: from_ical alone; print its peak RSS as JSON, in kB."""
    body = feed.read_bytes()
    before = memory_now()
    icalendar.Calendar.from_ical(body, multiple=True)
    print(json.dumps({"before_kb": before["VmRSS"], "peak_kb": memory_now()["VmHWM"]}))


def in_child(*args: str) -> dict[str, int]:
    script = str(Path(__file__).resolve())
    done = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the memory measurement ({args[0]}) failed:\n{done.stderr}")
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- one size -----------------------------------------------------------------------------


@dataclass
class Results:
    events: int
    megabytes: float
    parse: Samples = field(default_factory=Samples)
    prefilter: Samples = field(default_factory=Samples)
    full: Samples = field(default_factory=Samples)
    unchanged: Samples = field(default_factory=Samples)
    changed: Samples = field(default_factory=Samples)
    phases: dict[str, Samples] = field(default_factory=dict)
    changed_phases: dict[str, Samples] = field(default_factory=dict)
    kept: int = 0
    memory: dict[str, int] = field(default_factory=dict)
    parse_memory: dict[str, int] = field(default_factory=dict)
    full_reports: list[CycleReport] = field(default_factory=list)
    unchanged_reports: list[CycleReport] = field(default_factory=list)
    changed_reports: list[CycleReport] = field(default_factory=list)

    @property
    def full_ratio(self) -> float:
        return self.full.median / self.parse.median

    @property
    def unchanged_ratio(self) -> float:
        return self.unchanged.median / self.full.median

    def problems(self) -> list[str]:
        """What went wrong besides speed: errors, no proposal, runs that disagree."""
        found = []
        expected = self.full_reports[0].proposals_created
        runs = zip(self.full_reports, self.unchanged_reports, self.changed_reports, strict=True)
        for run, (full, again, changed) in enumerate(runs, 1):
            where = f"{self.events} events, run {run}"
            if not full.ok:
                found.append(f"{where}: the full cycle reported errors {full.errors}")
            if full.proposals_created == 0:
                found.append(f"{where}: the full cycle created no proposal")
            elif full.proposals_created != expected:
                found.append(f"{where}: {full.proposals_created} proposals, run 1 had {expected}")
            if not again.ok:
                found.append(f"{where}: the unchanged cycle reported errors {again.errors}")
            if again.proposals_created or again.emails_sent:
                found.append(f"{where}: the unchanged cycle created proposals or sent email")
            if not changed.ok or changed.held:
                found.append(f"{where}: one added event was not read as a good read")
        return found


def run_size(events: int, runs: int, seed: int, idle_cycles: int, root: Path) -> Results:
    feed = owner_feed(events, seed=seed)
    feed_path = root / f"basic-{events}.ics"
    feed_path.write_bytes(feed.body)
    results = Results(feed.vevents, len(feed.body) / 1_000_000)
    body = feed.body
    for run in range(runs):
        seconds, _ = timed(lambda: icalendar.Calendar.from_ical(body, multiple=True))
        results.parse.add(seconds)
        directory = root / f"run-{events}-{run + 1}"
        directory.mkdir()
        engine = new_engine(directory, feed_path)
        try:
            window = window_for(engine.config, NOW)
            seconds, kept = timed(functools.partial(prefilter, body, window))
            results.prefilter.add(seconds)
            results.kept = kept
            with phase_timer(results.phases):
                seconds, report = timed(engine.sync)
            results.full.add(seconds)
            results.full_reports.append(report)
            seconds, report = timed(engine.sync)
            results.unchanged.add(seconds)
            results.unchanged_reports.append(report)
            feed_path.write_bytes(with_one_more_event(body))
            with phase_timer(results.changed_phases, SUSPECT_CHECK):
                seconds, report = timed(engine.sync)
            results.changed.add(seconds)
            results.changed_reports.append(report)
            feed_path.write_bytes(body)
        finally:
            engine.close()
        print(
            f"  {events:>6} events, run {run + 1}: from_ical {results.parse.values[-1]:.3f} s, "
            f"full cycle {results.full.values[-1]:.3f} s, "
            f"unchanged {results.unchanged.values[-1]:.4f} s",
            flush=True,
        )
    results.memory = in_child("--memory-child", str(feed_path), "--idle-cycles", str(idle_cycles))
    results.parse_memory = in_child("--parse-child", str(feed_path))
    return results


def prefilter(body: bytes, window: Any) -> int:
    """The pre-filter alone: split the feed, pick what can matter; return how many."""
    feed = split_feed(body, "feed")
    return sum(
        len(group)
        for calendar in feed.calendars
        for group in select_events(calendar.events, window).values()
    )


# -- output ---------------------------------------------------------------------------------


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def print_size(results: Results) -> None:
    memory, parse_memory = results.memory, results.parse_memory
    print()
    print(
        f"{results.events:,} VEVENTs, {results.megabytes:.1f} MB; the pre-filter keeps "
        f"{results.kept:,} of them ({results.kept / results.events:.0%})"
    )
    print(f"  (a) parse, Calendar.from_ical        {results.parse.show()}")
    print(f"  (b) full cycle, fresh state          {results.full.show()}")
    for label, samples in results.phases.items():
        print(f"        {label:<34}{samples.show()}")
    print(f"  (c) cycle, unchanged feed            {results.unchanged.show()}")
    print(f"  (d) pre-filter alone                 {results.prefilter.show()}")
    print(f"  (e) cycle, one event added           {results.changed.show()}")
    for label, samples in results.changed_phases.items():
        print(f"        {label:<34}{samples.show()}")
    print(
        f"  full / parse {results.full_ratio:.2f}x; unchanged / full {results.unchanged_ratio:.1%}"
    )
    print(
        f"  RSS: peak {mb(memory['peak_kb'])} (from {mb(memory['before_kb'])} before the "
        f"cycle); after the full cycle {mb(memory['after_full_kb'])}; after an idle hour "
        f"{mb(memory['after_idle_kb'])}; from_ical alone peaks at {mb(parse_memory['peak_kb'])}"
    )
    full, again = results.full_reports[0], results.unchanged_reports[0]
    print(
        f"  full cycle: {full.gaps} gaps, {full.proposals_created} proposals, "
        f"{full.emails_sent} emails; unchanged cycle: planning "
        f"{'ran' if again.reconciled else 'skipped'}"
    )


def print_targets(results: Results) -> bool:
    checks = (
        (
            f"full / parse {results.full_ratio:.2f}x",
            f"<= {FULL_TO_PARSE}x",
            results.full_ratio <= FULL_TO_PARSE,
        ),
        (
            f"unchanged / full {results.unchanged_ratio:.1%}",
            f"<= {UNCHANGED_TO_FULL:.0%}",
            results.unchanged_ratio <= UNCHANGED_TO_FULL,
        ),
        (
            f"peak RSS {mb(results.memory['peak_kb'])}",
            f"<= {PEAK_RSS_MB} MB",
            results.memory["peak_kb"] <= PEAK_RSS_MB * 1024,
        ),
    )
    print()
    print(f"targets on {results.events:,} events:")
    for measured, target, held in checks:
        print(f"  {measured:<28} target {target:<9} {'met' if held else 'MISSED'}")
    return all(held for _, _, held in checks)


def profile_full_cycle(events: int, seed: int, root: Path, limit: int) -> None:
    feed_path = root / f"profile-{events}.ics"
    feed_path.write_bytes(owner_feed(events, seed=seed).body)
    directory = root / "profile"
    directory.mkdir()
    engine = new_engine(directory, feed_path)
    profiler = cProfile.Profile()
    try:
        gc.collect()
        profiler.enable()
        engine.sync()
        profiler.disable()
    finally:
        engine.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    print(f"\n--- profile: full cycle, {events} events (times inflated by profiling) ---")
    print(out.getvalue().rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,40000", help="VEVENTs, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="timed repetitions per size")
    parser.add_argument("--seed", type=int, default=7, help="seed of the feed generator")
    parser.add_argument("--idle-cycles", type=int, default=60, help="cycles in the idle hour")
    parser.add_argument("--profile", action="store_true", help="profile a full cycle")
    parser.add_argument("--profile-limit", type=int, default=35, help="profile rows shown")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--parse-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.idle_cycles)
        return 0
    if args.parse_child:
        parse_child(args.parse_child)
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    sizes = [int(size) for size in args.sizes.split(",")]
    logging.basicConfig(level=logging.ERROR, format="  log %(levelname)s %(name)s: %(message)s")

    print("cadence: sync cycle over a large ICS feed")
    print(
        f"now = {NOW.isoformat()}, {len(tracked_people())} people, feed read from a file, "
        f"email to a Maildir; {args.runs} runs per size (median [min .. max]); "
        f"Python {sys.version.split()[0]}, icalendar {icalendar.__version__}"
    )
    every: list[Results] = []
    with tempfile.TemporaryDirectory(prefix="cadence-bench-") as tmp:
        root = Path(tmp)
        for size in sizes:
            every.append(run_size(size, args.runs, args.seed, args.idle_cycles, root))
        for results in every:
            print_size(results)
        target = next((r for r in every if r.events == TARGET_SIZE), None)
        if target is not None:
            print_targets(target)
        if args.profile:
            profile_full_cycle(sizes[len(sizes) // 2], args.seed, root, args.profile_limit)
    problems = [problem for results in every for problem in results.problems()]
    for problem in problems:
        print(f"CHECK FAILED  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
