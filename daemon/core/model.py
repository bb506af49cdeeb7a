"""The values the core works on: people, cadences, periods, occurrences, gaps, slots.

Every value here is immutable and free of I/O. Datetimes are always aware;
the core compares them as instants, and converts to a timezone only to speak
of local days and times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Kind(StrEnum):
    """What the relationship is; drives the agenda prompts and the suggested cadence."""

    REPORT = "report"
    MANAGER = "manager"
    PEER = "peer"
    CROSS_FUNCTIONAL = "cross-functional"
    SKIP_LEVEL = "skip-level"


class Unit(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


_NW = re.compile(r"^([1-9][0-9]?)w$")


@dataclass(frozen=True)
class Cadence:
    """How often a 1:1 must happen: every ``count`` weeks, or once a month or quarter."""

    unit: Unit
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """Given ``weekly``, ``biweekly``, ``fortnightly``, ``monthly``, ``quarterly``
        or ``Nw`` (N from 1 to 99), return the cadence; raise ValueError otherwise."""
        word = text.strip().lower()
        named = {
            "weekly": cls(Unit.WEEK, 1),
            "biweekly": cls(Unit.WEEK, 2),
            "fortnightly": cls(Unit.WEEK, 2),
            "monthly": cls(Unit.MONTH, 1),
            "quarterly": cls(Unit.QUARTER, 1),
        }
        if word in named:
            return named[word]
        match = _NW.match(word)
        if match:
            return cls(Unit.WEEK, int(match.group(1)))
        raise ValueError(
            f"unknown cadence {text!r}; use weekly, biweekly, fortnightly, monthly, "
            "quarterly or Nw (every N weeks, e.g. 3w)"
        )

    def __str__(self) -> str:
        if self.unit is Unit.MONTH:
            return "monthly"
        if self.unit is Unit.QUARTER:
            return "quarterly"
        if self.count == 1:
            return "weekly"
        if self.count == 2:
            return "biweekly"
        return f"{self.count}w"

    @property
    def nominal(self) -> timedelta:
        """The usual length of one period, for rough sizing (not for period bounds)."""
        if self.unit is Unit.WEEK:
            return timedelta(weeks=self.count)
        if self.unit is Unit.MONTH:
            return timedelta(days=30)
        return timedelta(days=91)


@dataclass(frozen=True)
class Person:
    """Someone the owner has 1:1s with, and the rules for those 1:1s.

    ``day`` is 0 for Monday to 6 for Sunday; ``time`` is the usual start in the
    owner's timezone. ``anchor`` is the Monday that Nw cadences count from.
    ``paused`` with ``paused_until`` None means paused until resumed.
    """

    email: str
    name: str
    cadence: Cadence
    kind: Kind = Kind.REPORT
    day: int = 1
    time: time = time(10, 0)
    duration: timedelta = timedelta(minutes=30)
    timezone: str | None = None
    busy_feed: str | None = None
    paused: bool = False
    paused_until: date | None = None
    anchor: date = date(2024, 1, 1)

    def is_paused_on(self, day: date) -> bool:
        """Return whether the person's 1:1s are on hold on ``day`` (a local date)."""
        if not self.paused:
            return False
        return self.paused_until is None or day < self.paused_until

    @property
    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.timezone) if self.timezone else None


@dataclass(frozen=True)
class Owner:
    name: str
    email: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span of time ``[start, end)``."""

    start: datetime
    end: datetime

    # Python compares and subtracts two datetimes that share a tzinfo by wall
    # clock, which is wrong across a DST change; UTC makes them instants.

    def overlaps(self, other: Interval) -> bool:
        return _utc(self.start) < _utc(other.end) and _utc(other.start) < _utc(self.end)

    def contains(self, moment: datetime) -> bool:
        return _utc(self.start) <= _utc(moment) < _utc(self.end)

    @property
    def duration(self) -> timedelta:
        return _utc(self.end) - _utc(self.start)


@dataclass(frozen=True, order=True)
class Period(Interval):
    """The span in which one 1:1 must happen; bounds are local midnights."""


class Status(StrEnum):
    """What the calendar says of an occurrence."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"  # STATUS:CANCELLED, or an EXDATE of its series
    DELETED = "deleted"  # seen in an earlier read of the source, gone now


class Partstat(StrEnum):
    NEEDS_ACTION = "needs-action"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    DELEGATED = "delegated"


class Cutype(StrEnum):
    """What an attendee is (iCalendar's CUTYPE): only individuals are people."""

    INDIVIDUAL = "individual"
    GROUP = "group"
    RESOURCE = "resource"
    ROOM = "room"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> Cutype:
        """Given a CUTYPE value (any case; None when absent), return it; RFC 5545 reads
        a missing or unknown value as an individual (and an x-name as unknown)."""
        word = (text or "individual").strip().lower()
        try:
            return cls(word)
        except ValueError:
            return cls.UNKNOWN if word.startswith("x-") else cls.INDIVIDUAL


@dataclass(frozen=True)
class Attendee:
    email: str
    partstat: Partstat = Partstat.NEEDS_ACTION
    cutype: Cutype = Cutype.INDIVIDUAL

    @property
    def is_person(self) -> bool:
        """Whether the attendee may be a person: not a room, resource or group."""
        return self.cutype in (Cutype.INDIVIDUAL, Cutype.UNKNOWN)


class EventType(StrEnum):
    """What kind of entry an event is: a meeting, or something that only looks like one
    (Google's eventType). Only a meeting can be a 1:1."""

    MEETING = "meeting"
    OUT_OF_OFFICE = "out-of-office"  # blocks time
    FOCUS_TIME = "focus-time"  # blocks time
    WORKING_LOCATION = "working-location"  # never blocks time
    BIRTHDAY = "birthday"  # never blocks time
    FROM_GMAIL = "from-gmail"  # a booking Gmail found (a flight, a table)

    @property
    def blocks_time(self) -> bool:
        return self not in (EventType.WORKING_LOCATION, EventType.BIRTHDAY)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a calendar event, as read from a source.

    ``uid`` is the event's UID; ``recurrence_id`` is the original start of a
    recurring instance (None for single events), so ``(uid, recurrence_id)``
    identifies the occurrence even after it was moved. ``start``/``end`` are
    where it is now. ``person`` is the value of cadence's own marker
    (``X-CADENCE-PERSON`` / ``cadencePerson``) when present. ``sequence`` is the
    event's SEQUENCE as its organizer wrote it (0 when not said): a request to move
    a meeting someone else organizes must echo it (RFC 5546 §3.2.7).
    """

    uid: str
    start: datetime
    end: datetime
    summary: str = ""
    recurrence_id: datetime | None = None
    status: Status = Status.CONFIRMED
    organizer: str | None = None
    attendees: tuple[Attendee, ...] = ()
    person: str | None = None
    all_day: bool = False
    transparent: bool = False
    event_type: EventType = EventType.MEETING
    sequence: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """A stable identity: the UID plus the original start (or '' for single events)."""
        rid = self.recurrence_id.isoformat() if self.recurrence_id else ""
        return (self.uid, rid)

    @property
    def original_start(self) -> datetime:
        """Where the occurrence was meant to be before any move."""
        return self.recurrence_id or self.start

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    def participants(self) -> frozenset[str]:
        """Organizer and the attendees who may be people (not rooms, resources or
        groups), lower-cased."""
        return self._participants

    # Worked out once per occurrence: deciding whose 1:1 it is asks for every
    # tracked person, which on a large feed is most of planning's time. The
    # dataclass is frozen, so the answer cannot go stale.
    @cached_property
    def _participants(self) -> frozenset[str]:
        emails = {a.email.lower() for a in self.attendees if a.is_person}
        if self.organizer:
            emails.add(self.organizer.lower())
        return frozenset(emails)

    def declined_by(self, email: str) -> bool:
        email = email.lower()
        return any(
            a.email.lower() == email and a.partstat is Partstat.DECLINED for a in self.attendees
        )


class Reason(StrEnum):
    """Why a period has no live 1:1."""

    CANCELLED = "cancelled"
    DECLINED = "declined"
    DELETED = "deleted"
    MOVED = "moved"
    MISSING = "missing"
    NO_SERIES = "no-series"


@dataclass(frozen=True)
class Gap:
    """A period that holds no live 1:1 with the person.

    ``occurrence`` is the cancelled, declined, deleted or moved occurrence that
    caused it, when there is one. A ``no-series`` gap stands for the whole
    missing series; its ``period`` is the first period that needs a 1:1.
    """

    person: str
    period: Period
    reason: Reason
    occurrence: Occurrence | None = None

    @property
    def key(self) -> str:
        """The identity under which at most one proposal is ever made."""
        if self.reason is Reason.NO_SERIES:
            return f"{self.person}|no-series"
        return f"{self.person}|{self.period.start.date().isoformat()}"


@dataclass(frozen=True, order=True)
class Slot:
    """A proposed time. ``shorter`` marks a slot below the person's usual duration;
    ``bends`` names the rule an option offered for lack of free time bends
    (``shorter``, ``hours``: outside the working hours, ``next-period``), else ""."""

    start: datetime
    end: datetime
    shorter: bool = False
    bends: str = ""

    @property
    def duration(self) -> timedelta:
        return _utc(self.end) - _utc(self.start)


class ProposalStatus(StrEnum):
    OPEN = "open"
    SENT = "sent"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    # No longer applies before anyone answered: the person was paused or
    # removed, or their cadence, day, time or duration changed.
    WITHDRAWN = "withdrawn"

    @property
    def live(self) -> bool:
        """Still waiting for an answer (may yet be superseded or expire)."""
        return self in (ProposalStatus.OPEN, ProposalStatus.SENT)


@dataclass(frozen=True)
class Proposal:
    """cadence's answer to a gap: ranked slots, the reason, the cancelled occurrence."""

    id: int
    gap_key: str
    person: str
    reason: Reason
    status: ProposalStatus
    period: Period
    slots: tuple[Slot, ...]
    cancelled_start: datetime | None = None
    created_at: datetime | None = None
    accepted_slot: int | None = None
    sequence: int = 0
    notes: tuple[str, ...] = field(default=())
    # Why it closed, in words, when the status alone does not say it all.
    closed_reason: str | None = None
    # No slot fitted the rules: the slots are the nearest bookable options.
    no_free_time: bool = False

    @property
    def invitation_uid(self) -> str:
        """The UID of the invitation sent when this proposal is accepted (stable)."""
        return f"cadence-proposal-{self.id}-{self.gap_key.replace('|', '-')}"


@dataclass(frozen=True)
class WorkingHours:
    """When 1:1s may happen: local weekdays (0=Mon) and a daily window."""

    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
