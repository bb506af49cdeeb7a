"""How long a sync cycle over a large ICS feed takes, against parsing the feed alone.

Generates a Google-style owner feed (see feedgen.py), then, ``--runs`` times:
(a) parses its bytes with ``icalendar.Calendar.from_ical``; (b) runs a full
``sync`` on a fresh state database, the feed read from a file, proposals mailed
into a Maildir; (c) runs ``sync`` again on the same state with the feed
unchanged. Peak RSS (d) is taken in fresh processes, one running a full cycle
and one only parsing. Prints medians with min and max, the ratios and whether
the targets hold: full cycle at most 2x the parse, unchanged cycle at most 5%
of the full one. When a target is missed (or with ``--profile``), profiles the
cycle at fault with cProfile and prints the top functions by cumulative time.
Exits with 1 when a cycle reports errors, the full cycle creates no proposal or
the unchanged one creates any; a missed target alone does not fail the run.

    .venv/bin/python benchmarks/ics_cycle.py [--events N] [--runs K] [--profile]
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
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import icalendar
from cadence.daemon import cycle
from cadence.daemon.calendars import ics_parse
from cadence.daemon.config import load_config
from cadence.daemon.cycle import CycleReport
from cadence.daemon.engine import Engine
from feedgen import NOW, OWNER_EMAIL, OWNER_NAME, OWNER_ZONE, owner_feed, tracked_people

FULL_TO_PARSE = 2.0  # a full cycle may take at most twice the raw parse
UNCHANGED_TO_FULL = 0.05  # a cycle on an unchanged feed at most 5% of a full one

# The steps of a cycle timed on their own, as (module, attribute, label).
PHASES = (
    (cycle, "read_sources", "read sources"),
    (ics_parse, "split_feed", "  of which splitting the feed"),
    (ics_parse, "parse_event", "  of which icalendar, per event"),
    (cycle, "plan", "plan"),
    (cycle, "execute", "execute"),
    (cycle, "deliver_due", "deliver"),
)

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


def new_engine(directory: Path, feed: Path) -> Engine:
    """Return an engine on a fresh state in ``directory`` with the tracked people
    added (adding people resets the feed state, so this comes before any sync)."""
    config_path = directory / "config.toml"
    config_path.write_text(
        CONFIG.format(name=OWNER_NAME, email=OWNER_EMAIL, zone=OWNER_ZONE, feed=feed),
        encoding="utf-8",
    )
    engine = Engine(load_config(config_path, env={}), clock=lambda: NOW)
    for person in tracked_people():
        engine.add_person(person)
    return engine


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

    def show(self, unit: Callable[[float], str] = lambda s: f"{s:.3f} s") -> str:
        if not self.values:
            return "-"
        spread = f"[{unit(min(self.values))} .. {unit(max(self.values))}]"
        return f"{unit(self.median):>10}  {spread}"


@contextmanager
def phase_timer(into: dict[str, Samples]) -> Iterator[dict[str, float]]:
    """Time the steps of a cycle (PHASES) while the block runs; add one sample per
    step to ``into`` when it ends. The wrappers cost a few microseconds per call."""
    spent = {label: 0.0 for _, _, label in PHASES}
    originals = [(module, name, getattr(module, name)) for module, name, _ in PHASES]

    def wrap(function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        return wrapper

    for (module, name, label), (_, _, original) in zip(PHASES, originals, strict=True):
        setattr(module, name, wrap(original, label))
    try:
        yield spent
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    for label, seconds in spent.items():
        into.setdefault(label, Samples()).add(seconds)


def rss_child(mode: str, feed: Path) -> None:
    """Run in a fresh process: one full cycle (or one parse), then print the peak RSS
    before and after as JSON, in kB (Linux reports ru_maxrss in kB)."""
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="cadence-bench-rss-") as tmp:
        engine = new_engine(Path(tmp), feed) if mode == "cycle" else None
        body = feed.read_bytes() if mode == "parse" else b""
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if engine is not None:
            report = engine.sync()
            engine.close()
            assert report.ok and report.proposals_created > 0, report.as_json()
        else:
            icalendar.Calendar.from_ical(body, multiple=True)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kb": before, "peak_kb": after}))


# Starts the measured process from a small one: Linux carries a process's peak RSS
# over into the ru_maxrss of a child it forks (or vforks) and execs, so a child of
# this process would report at least what the benchmark itself has used so far.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def measure_rss(mode: str, feed: Path) -> dict[str, int]:
    """Run rss_child in a fresh process and return its measurements."""
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--rss-child", mode, "--feed", str(feed)]
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the RSS measurement ({mode}) failed:\n{done.stderr}")
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def profile(label: str, action: Callable[[], Any], limit: int) -> None:
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    action()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(max(10, limit // 2))
    print(f"\n--- profile: {label} (cProfile; times inflated by profiling) ---")
    print(out.getvalue().rstrip())


def describe(report: CycleReport) -> str:
    return (
        f"{report.gaps} gaps, {report.proposals_created} proposals created, "
        f"{report.emails_sent} emails sent, {report.agenda_sections} agenda sections"
    )


def mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


@dataclass
class Results:
    parse: Samples = field(default_factory=Samples)
    full: Samples = field(default_factory=Samples)
    unchanged: Samples = field(default_factory=Samples)
    phases: dict[str, Samples] = field(default_factory=dict)
    full_reports: list[CycleReport] = field(default_factory=list)
    unchanged_reports: list[CycleReport] = field(default_factory=list)

    @property
    def full_ratio(self) -> float:
        return self.full.median / self.parse.median

    @property
    def unchanged_ratio(self) -> float:
        return self.unchanged.median / self.full.median

    def best_ratios(self) -> tuple[float, float]:
        """The same ratios from the fastest runs: noise only ever adds time."""
        full, unchanged = min(self.full.values), min(self.unchanged.values)
        return full / min(self.parse.values), unchanged / full

    def problems(self) -> list[str]:
        """What went wrong besides speed: errors, no proposal, runs that disagree."""
        found = []
        expected = self.full_reports[0].proposals_created
        pairs = zip(self.full_reports, self.unchanged_reports, strict=True)
        for run, (full, again) in enumerate(pairs, 1):
            if not full.ok:
                found.append(f"run {run}: the full cycle reported errors {full.errors}")
            if full.proposals_created == 0:
                found.append(f"run {run}: the full cycle created no proposal")
            elif full.proposals_created != expected:
                found.append(f"run {run}: {full.proposals_created} proposals, run 1 had {expected}")
            if not again.ok:
                found.append(f"run {run}: the unchanged cycle reported errors {again.errors}")
            if again.proposals_created or again.emails_sent:
                found.append(f"run {run}: the unchanged cycle created proposals or sent email")
        return found


def run_benchmark(body: bytes, feed_path: Path, root: Path, runs: int) -> Results:
    """Time ``runs`` rounds of: parse alone, full cycle on a fresh state, unchanged cycle."""
    results = Results()
    for run in range(runs):
        seconds, _ = timed(lambda: icalendar.Calendar.from_ical(body, multiple=True))
        results.parse.add(seconds)
        directory = root / f"run{run + 1}"
        directory.mkdir()
        engine = new_engine(directory, feed_path)
        try:
            with phase_timer(results.phases):
                seconds, report = timed(engine.sync)
            results.full.add(seconds)
            results.full_reports.append(report)
            seconds, report = timed(engine.sync)
            results.unchanged.add(seconds)
            results.unchanged_reports.append(report)
        finally:
            engine.close()
        print(
            f"  run {run + 1}: parse {results.parse.values[-1]:.3f} s, "
            f"full {results.full.values[-1]:.3f} s, "
            f"unchanged {results.unchanged.values[-1]:.4f} s",
            flush=True,
        )
    return results


def print_results(results: Results, rss_cycle: dict[str, int], rss_parse: dict[str, int]) -> None:
    print()
    print(f"(a) parse, Calendar.from_ical          {results.parse.show()}")
    print(f"(b) full cycle, fresh state            {results.full.show()}")
    for label, samples in results.phases.items():
        print(f"      {label:<32} {samples.show()}")
    print(f"(c) cycle, unchanged feed              {results.unchanged.show()}")
    print(
        f"(d) peak RSS, full cycle (fresh proc.) {mb(rss_cycle['peak_kb']):>10}  "
        f"(before the cycle {mb(rss_cycle['before_kb'])})"
    )
    print(
        f"    peak RSS, parse only (fresh proc.) {mb(rss_parse['peak_kb']):>10}  "
        f"(before the parse {mb(rss_parse['before_kb'])})"
    )
    print()
    full, again = results.full_reports[0], results.unchanged_reports[0]
    print(f"full cycle       {describe(full)}")
    planning = "ran" if again.reconciled else "skipped"
    print(f"unchanged cycle  {describe(again)}; planning {planning}")
    print()
    full_ok = results.full_ratio <= FULL_TO_PARSE
    unchanged_ok = results.unchanged_ratio <= UNCHANGED_TO_FULL
    print(
        f"full / parse      {results.full_ratio:6.2f}x   target <= {FULL_TO_PARSE:.0f}x   "
        f"{'met' if full_ok else 'MISSED'}"
    )
    print(
        f"unchanged / full  {results.unchanged_ratio:6.1%}   target <= {UNCHANGED_TO_FULL:.0%}    "
        f"{'met' if unchanged_ok else 'MISSED'}"
    )
    best_full, best_unchanged = results.best_ratios()
    print(
        f"(ratios of medians; of the fastest runs: full / parse {best_full:.2f}x, "
        f"unchanged / full {best_unchanged:.1%})"
    )


def profile_cycles(root: Path, feed_path: Path, *, full: bool, unchanged: bool, limit: int) -> None:
    """Profile a full cycle on a fresh state and/or the unchanged cycle after it."""
    directory = root / "profile"
    directory.mkdir()
    engine = new_engine(directory, feed_path)
    try:
        if full:
            profile("full cycle, fresh state", engine.sync, limit)
        else:
            engine.sync()
        if unchanged:
            profile("cycle, unchanged feed", engine.sync, limit)
    finally:
        engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="VEVENTs in the feed")
    parser.add_argument("--runs", type=int, default=5, help="timed repetitions")
    parser.add_argument("--seed", type=int, default=7, help="seed of the feed generator")
    parser.add_argument(
        "--profile", action="store_true", help="profile both cycles even when targets are met"
    )
    parser.add_argument("--profile-limit", type=int, default=35, help="profile rows shown")
    parser.add_argument("--rss-child", choices=("cycle", "parse"), help=argparse.SUPPRESS)
    parser.add_argument("--feed", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        rss_child(args.rss_child, args.feed)
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="  log %(levelname)s %(name)s: %(message)s")

    started = time.perf_counter()
    feed = owner_feed(args.events, seed=args.seed)
    generated = time.perf_counter() - started
    print("cadence: sync cycle over a large ICS feed")
    print(
        f"feed        {len(feed.body) / 1_000_000:.2f} MB, {feed.vevents} VEVENTs "
        f"({feed.series} series in {feed.series_vevents} VEVENTs, {feed.singles} singles), "
        f"generated in {generated:.1f} s"
    )
    print(
        f"engine      {len(feed.people)} people, now = {NOW.isoformat()}, "
        "feed read from a file, email to a Maildir"
    )
    print(
        f"runs        {args.runs} (median [min .. max]); Python {sys.version.split()[0]}, "
        f"icalendar {icalendar.__version__}"
    )
    print()
    with tempfile.TemporaryDirectory(prefix="cadence-bench-") as tmp:
        root = Path(tmp)
        feed_path = root / "basic.ics"
        feed_path.write_bytes(feed.body)
        results = run_benchmark(feed.body, feed_path, root, args.runs)
        print_results(results, measure_rss("cycle", feed_path), measure_rss("parse", feed_path))
        problems = results.problems()
        for problem in problems:
            print(f"CHECK FAILED  {problem}")
        full_missed = results.full_ratio > FULL_TO_PARSE
        unchanged_missed = results.unchanged_ratio > UNCHANGED_TO_FULL
        if args.profile or full_missed or unchanged_missed:
            profile_cycles(
                root,
                feed_path,
                full=args.profile or full_missed,
                unchanged=args.profile or unchanged_missed,
                limit=args.profile_limit,
            )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
