"""Hundreds of broken variants of real feeds through the reader: a result or the
source failing, never another exception, never a hang.

Each mutant is a real export (Google, Outlook, Apple, Thunderbird) with one to
three things done to it, drawn by a seeded generator: cut short, bytes flipped,
lines repeated or dropped, absurd dates and durations, rules repeating every
second or with INTERVAL=0, repeated UID and DTEND lines, a broken SEQUENCE,
bytes that are not UTF-8, components left open, zones nobody defines. The
reader is what a cycle runs (fetch, then parse) under tight limits, so a
mutant that would run away stops within seconds. The number of mutants follows
the hypothesis profile (300 in the default one); a run prints nothing unless a
mutant fails, and then names its seed so it can be replayed.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cadence.daemon.calendars.feed_fetch import fetch_feed
from cadence.daemon.calendars.ics_parse import ReadLimits, parse_calendar
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.model import Interval
from hypothesis import settings

from tests.support.paths import FIXTURES

BERLIN = ZoneInfo("Europe/Berlin")
LIMITS = ReadLimits(seconds=4, group_seconds=0.5)
# Far above what a read under LIMITS may take: only a hang gets there.
HANG = 20.0
SEED = 20261123


@dataclass(frozen=True)
class Base:
    path: Path
    window: Interval


def _window(year: int, month: int) -> Interval:
    start = datetime(year, month, 1, tzinfo=BERLIN)
    return Interval(start, start.replace(year=year + 1))


BASES = (
    Base(FIXTURES / "google_xwr_timezone_cancelled_instance.ics", _window(2026, 6)),
    Base(FIXTURES / "outlook_windows_tzid.ics", _window(2026, 6)),
    Base(FIXTURES / "corpus" / "icloud_calendar.ics", _window(2022, 3)),
    Base(FIXTURES / "corpus" / "thunderbird_sequence.ics", _window(2024, 10)),
)

HOSTILE_RULES = (
    "RRULE:FREQ=SECONDLY",
    "RRULE:FREQ=MINUTELY",
    "RRULE:FREQ=SECONDLY;INTERVAL=0",
    "RRULE:FREQ=DAILY;INTERVAL=0",
    "RRULE:FREQ=MINUTELY;COUNT=99999999",
    "RRULE:FREQ=HOURLY;UNTIL=99991231T235959Z",
    "RRULE:FREQ=SECONDLY;BYMINUTE=7;BYSECOND=9",
    "RRULE:FREQ=WEEKLY;BYSETPOS=400;BYDAY=MO",
    "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "RRULE:FREQ=MINUTELY;INTERVAL=16",
    "RRULE:FREQ=DAILY;COUNT=-3",
    "RRULE:",
)
ABSURD_TIMES = ("99991231T235959Z", "00010101T000000", "99991231", "20261399T250000", "1")
ABSURD_DURATIONS = ("P99999999W", "PT-2H", "-P999999999D", "P", "PT99999999999S")
TIME_LINE = re.compile(rb"^(DTSTART|DTEND|RECURRENCE-ID|EXDATE)([;:])", re.M)


class Mutator:
    """Does one of its mutations, drawn at random, to a feed's bytes."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.mutations: tuple[Callable[[list[bytes]], list[bytes]], ...] = (
            self.truncate,
            self.flip_bytes,
            self.repeat_line,
            self.drop_line,
            self.absurd_time,
            self.absurd_duration,
            self.hostile_rule,
            self.repeat_uid_or_dtend,
            self.broken_sequence,
            self.not_utf8,
            self.open_component,
            self.unknown_zone,
        )

    def __call__(self, body: bytes) -> bytes:
        lines = body.split(b"\n")
        for _ in range(self.rnd.randint(1, 3)):
            lines = self.rnd.choice(self.mutations)(lines)
        return b"\n".join(lines)

    def _index(self, lines: list[bytes], pattern: bytes = b"") -> int | None:
        found = [i for i, line in enumerate(lines) if line.startswith(pattern)]
        return self.rnd.choice(found) if found else None

    def truncate(self, lines: list[bytes]) -> list[bytes]:
        body = b"\n".join(lines)
        return body[: self.rnd.randrange(len(body) + 1)].split(b"\n")

    def flip_bytes(self, lines: list[bytes]) -> list[bytes]:
        body = bytearray(b"\n".join(lines))
        for _ in range(self.rnd.randint(1, 12)):
            if body:
                body[self.rnd.randrange(len(body))] = self.rnd.randrange(256)
        return bytes(body).split(b"\n")

    def repeat_line(self, lines: list[bytes]) -> list[bytes]:
        i = self.rnd.randrange(len(lines))
        return [*lines[: i + 1], *[lines[i]] * self.rnd.randint(1, 3), *lines[i + 1 :]]

    def drop_line(self, lines: list[bytes]) -> list[bytes]:
        i = self.rnd.randrange(len(lines))
        return lines[:i] + lines[i + 1 :]

    def absurd_time(self, lines: list[bytes]) -> list[bytes]:
        candidates = [i for i, line in enumerate(lines) if TIME_LINE.match(line)]
        if candidates:
            i = self.rnd.choice(candidates)
            head = lines[i].rsplit(b":", 1)[0]
            lines[i] = head + b":" + self.rnd.choice(ABSURD_TIMES).encode()
        return lines

    def absurd_duration(self, lines: list[bytes]) -> list[bytes]:
        i = self._index(lines, b"DTEND")
        if i is not None:
            lines[i] = b"DURATION:" + self.rnd.choice(ABSURD_DURATIONS).encode() + b"\r"
        return lines

    def hostile_rule(self, lines: list[bytes]) -> list[bytes]:
        i = self._index(lines, b"RRULE") or self._index(lines, b"DTSTART")
        if i is not None:
            rule = self.rnd.choice(HOSTILE_RULES).encode() + b"\r"
            lines = (
                [*lines[:i], rule, *lines[i + 1 :]]
                if lines[i].startswith(b"RRULE")
                else [
                    *lines[: i + 1],
                    rule,
                    *lines[i + 1 :],
                ]
            )
        return lines

    def repeat_uid_or_dtend(self, lines: list[bytes]) -> list[bytes]:
        i = self._index(lines, self.rnd.choice((b"UID", b"DTEND")))
        if i is not None:
            other = lines[i].replace(b"1", b"2").replace(b"@", b"-other@")
            lines = [*lines[: i + 1], other, *lines[i + 1 :]]
        return lines

    def broken_sequence(self, lines: list[bytes]) -> list[bytes]:
        i = self._index(lines, b"UID")
        broken = self.rnd.choice(
            (b"SEQUENCE;ENCODING=BASE64:MQ==\r", b"SEQUENCE:x\r", b"SEQUENCE:\r")
        )
        return lines if i is None else [*lines[: i + 1], broken, *lines[i + 1 :]]

    def not_utf8(self, lines: list[bytes]) -> list[bytes]:
        i = self.rnd.randrange(len(lines))
        junk = self.rnd.choice((b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x00"))
        lines[i] = lines[i][:3] + junk + lines[i][3:]
        return lines

    def open_component(self, lines: list[bytes]) -> list[bytes]:
        choice = self.rnd.choice((b"END:VEVENT", b"END:VTIMEZONE", b"BEGIN:VEVENT", b"END:VALARM"))
        if choice.startswith(b"END"):
            i = self._index(lines, choice)
            return lines if i is None else lines[:i] + lines[i + 1 :]
        i = self.rnd.randrange(len(lines))
        return [*lines[:i], choice + b"\r", *lines[i:]]

    def unknown_zone(self, lines: list[bytes]) -> list[bytes]:
        i = self._index(lines, b"DTSTART")
        if i is not None:
            zone = self.rnd.choice((b"Mars/Olympus", b"", b"Pacific", b'"Eastern"', b"/"))
            value = lines[i].rsplit(b":", 1)[-1]
            lines[i] = b"DTSTART;TZID=" + zone + b":" + value
        return lines


def read_like_a_cycle(path: Path, window: Interval) -> str:
    """Fetch and parse as IcsCalendar does (without its last-resort catch-all, which
    would hide what this test looks for): return "read" or "source failed"."""
    try:
        fetched = fetch_feed(str(path), {})
        assert fetched.body is not None
        parse_calendar(fetched.body, window, source=path.name, default_zone=BERLIN, limits=LIMITS)
    except SourceError as error:
        assert error.reason and "\n" not in error.reason
        return "source failed"
    return "read"


def test_broken_variants_of_real_feeds_read_or_fail_as_the_source(tmp_path: Path) -> None:
    mutants = settings().max_examples * 5
    rnd = random.Random(SEED)
    outcomes: dict[str, int] = {}
    failures: list[str] = []
    bodies = [(base, base.path.read_bytes()) for base in BASES]
    for number in range(mutants):
        seed = rnd.randrange(2**32)
        base, body = bodies[number % len(bodies)]
        mutant = Mutator(random.Random(seed))(body)
        path = tmp_path / f"mutant-{number}.ics"
        path.write_bytes(mutant)
        started = time.monotonic()
        try:
            outcome = read_like_a_cycle(path, base.window)
        except Exception as error:  # what must never happen
            failures.append(f"seed {seed} on {base.path.name}: {type(error).__name__}: {error}")
            continue
        finally:
            took = time.monotonic() - started
        if took > HANG:
            failures.append(f"seed {seed} on {base.path.name}: took {took:.1f} s")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        path.unlink()
    assert not failures, "\n".join(failures)
    # Most mutants are still readable calendars; some are not calendars any more.
    assert outcomes.get("read", 0) > mutants / 2
    assert outcomes.get("source failed", 0) > 0
