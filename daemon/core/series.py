"""The recurring 1:1 series cadence keeps in a writable calendar (pure).

Where a person's series starts, what rule it repeats by, when a series no
longer matches the person's settings, and how a rule is cut short. The
calendar adapter only writes what these functions decide; time comes in as an
argument.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial

import icalendar
from cadence.daemon.core.model import Cadence, Interval, Owner, Period, Person, Slot, Unit
from cadence.daemon.core.periods import period_containing, periods_between
from cadence.daemon.core.slots import SlotRules, find_slots, slot_is_free
from dateutil.rrule import rrulestr

_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How many meetings of a candidate series must be free for it to count as a
# free recurring slot: the first month or so, which the owner's calendar knows.
CHECKED_REPEATS = 4
# Periods searched for the first meeting: a person paused for months still
# gets a series that starts when they are back.
_SEARCHED_PERIODS = 60


def nth_weekday(day: date) -> int:
    """Given a date, return which of its weekday in the month it is (1..4), or -1
    when it is a fifth one: a fifth weekday does not exist in every month."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def rrule(cadence: Cadence, first: datetime) -> dict[str, object]:
    """Given a cadence and the local start of the first meeting, return the RRULE
    as iCalendar parts: weekly ones repeat the weekday, monthly and quarterly ones
    the nth weekday of the month (the second Tuesday), as people book them."""
    if cadence.unit is Unit.WEEK:
        rule: dict[str, object] = {"FREQ": "WEEKLY"}
        if cadence.count > 1:
            rule["INTERVAL"] = cadence.count
        return rule
    byday = f"{nth_weekday(first.date())}{_ICAL_DAYS[first.weekday()]}"
    if cadence.unit is Unit.MONTH:
        return {"FREQ": "MONTHLY", "BYDAY": byday}
    return {"FREQ": "MONTHLY", "INTERVAL": 3, "BYDAY": byday}


def rrule_line(cadence: Cadence, first: datetime) -> str:
    """Return the rule as one ``RRULE:`` line, as Google's ``recurrence`` holds it."""
    text: str = icalendar.vRecur(rrule(cadence, first)).to_ical().decode()  # type: ignore[no-untyped-call]
    return f"RRULE:{text}"


def repeats(line: str, first: datetime, count: int) -> list[datetime]:
    """Given an ``RRULE:`` line and the aware first start, return the first ``count``
    starts. The rule runs on the first start's wall clock, so a 10:00 meeting
    stays at 10:00 across a DST change, as calendars expand it."""
    zone = first.tzinfo
    naive = first.replace(tzinfo=None)
    rule = rrulestr(line, dtstart=naive)
    out: list[datetime] = []
    for moment in rule:
        out.append(moment.replace(tzinfo=zone))
        if len(out) >= count:
            break
    return out


def settings_of(person: Person) -> str:
    """What a series was made from; a change to any of it means a new series."""
    minutes = int(person.duration.total_seconds() // 60)
    return f"{person.cadence}|{person.day}|{person.time:%H:%M}|{minutes}"


def event_id(*parts: str) -> str:
    """Return a Google event id made from ``parts``: the same parts always give the
    same id, so a write retried after a crash meets Google's "duplicate" instead
    of making a second event. Ids are base32hex (``0-9a-v``), as Google requires."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return base64.b32hexencode(digest).decode().rstrip("=").lower()[:32]


def preferred_start(person: Person, owner: Owner, period: Period, earliest: datetime) -> datetime:
    """Given the first period that needs a 1:1 and the earliest acceptable start, return
    the person's usual weekday and time in the first period where it is not too early."""
    zone = owner.zone
    far = period.start + person.cadence.nominal * _SEARCHED_PERIODS
    for candidate_period in periods_between(person.cadence, person.anchor, period.start, far, zone):
        day = candidate_period.start.astimezone(zone).date()
        while day.weekday() != person.day:
            day += timedelta(days=1)
        start = datetime.combine(day, person.time, tzinfo=zone)
        if candidate_period.contains(start) and start >= earliest:
            return start
    raise ValueError(f"no start for {person.email} within {_SEARCHED_PERIODS} periods")


def choose_start(
    person: Person,
    owner: Owner,
    rules: SlotRules,
    period: Period,
    *,
    now: datetime,
    busy: Sequence[Interval],
    person_busy: Sequence[Interval] = (),
    booked: Sequence[Interval] = (),
) -> datetime:
    """Return where a new series for the person starts: at the usual weekday and time
    when its first meetings are free, else at the best free slot of that first period
    whose first meetings are free (ranked as proposals are), else at the usual time
    anyway: a series with a clash the owner can move beats no series."""
    first = preferred_start(person, owner, period, now + rules.min_notice)
    home = period_containing(person.cadence, person.anchor, first, owner.zone)
    found = find_slots(
        home, person, rules, now=now, busy=busy, person_busy=person_busy, booked=booked, limit=12
    )
    free = partial(slot_is_free, now=now, busy=busy, person_busy=person_busy, booked=booked)
    candidates = [first] + [slot.start for slot in found if not slot.shorter]
    for start in candidates:
        local = start.astimezone(owner.zone)
        meetings = repeats(rrule_line(person.cadence, local), local, CHECKED_REPEATS)
        if all(free(Slot(m, m + person.duration), person, rules) for m in meetings):
            return local
    return first


def until_text(before: datetime) -> str:
    """Return an RRULE ``UNTIL`` that keeps every start before ``before`` (UTC form,
    as RFC 5545 requires with a zoned DTSTART)."""
    last = before.astimezone(UTC) - timedelta(seconds=1)
    return f"{last:%Y%m%dT%H%M%SZ}"


def end_rule(lines: Sequence[str], before: datetime) -> list[str]:
    """Given a series' recurrence lines, return them with every ``RRULE`` ending before
    ``before`` (an existing earlier end is kept; COUNT gives way to UNTIL)."""
    until = until_text(before)
    out: list[str] = []
    for line in lines:
        name, _, value = line.partition(":")
        if name.upper() != "RRULE":
            out.append(line)
            continue
        parts = [p for p in value.split(";") if p]
        kept = [p for p in parts if p.split("=", 1)[0].upper() not in ("UNTIL", "COUNT")]
        earlier = [p.split("=", 1)[1] for p in parts if p.upper().startswith("UNTIL=")]
        end = until
        if earlier and _until_instant(earlier[0]) < _until_instant(until):
            end = earlier[0]
        out.append(f"RRULE:{';'.join([*kept, f'UNTIL={end}'])}")
    return out


def _until_instant(text: str) -> datetime:
    """Given an UNTIL value (a date, a UTC or a floating date-time), return an instant
    to compare by; a floating or date value is taken as UTC, close enough to order."""
    text = text.rstrip("Z")
    if "T" in text:
        return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
