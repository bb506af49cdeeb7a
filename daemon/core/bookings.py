"""Bookings: the meetings cadence arranged by invitation itself, and how they count
as 1:1s until a reply or the calendar says otherwise (DESIGN rule 8; pure).

A booking becomes occurrences like any event of the calendar, with its UID and
cadence's marker naming the person, so that gaps, free time, the report and the
digest all see it through the one path they already read the calendar by
(:func:`calendar_view`). Once the owner's calendar shows the booking's UID (she
put the invitation into it), the calendar is the truth for it again: only what
cadence learnt since and the calendar cannot know yet is laid over it (the
person declined; cadence withdrew it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import (
    Attendee,
    Gap,
    Occurrence,
    Owner,
    Partstat,
    Period,
    Person,
    Reason,
    Status,
)
from dateutil.rrule import rrulestr

__all__ = ["Booking", "BookingStatus", "calendar_view", "said_by_a_decline"]

# Instances of a recurring booking expanded at most: years of a weekly series.
_MOST_INSTANCES = 2000


class BookingStatus(StrEnum):
    """What became of an invitation: the person's answer, or cadence withdrew it."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        """Still a meeting that takes place (as far as cadence knows)."""
        return self in (BookingStatus.INVITED, BookingStatus.ACCEPTED, BookingStatus.TENTATIVE)


@dataclass(frozen=True)
class Booking:
    """A meeting cadence arranged by invitation: its UID and SEQUENCE, when it is
    (the first meeting, for a recurring one), and what came of it.

    ``organizer`` is the address the invitation named as ORGANIZER (and came
    from): updates and cancellations must come from it too. ``recurrence`` is the
    RRULE value of a recurring booking; ``ends`` the moment a recurring one was cut
    at (no meeting from then on). ``declined`` are instances someone declined (their
    original starts). ``period`` is the gap it answers (its proposal's period), and
    ``settings`` the person's settings it was made for.
    """

    id: int
    uid: str
    person: str
    person_name: str
    organizer: str
    start: datetime
    end: datetime
    zone: str
    status: BookingStatus = BookingStatus.INVITED
    sequence: int = 0
    recurrence: str | None = None
    proposal: int | None = None
    period: Period | None = None
    settings: str = ""
    person_partstat: Partstat = Partstat.NEEDS_ACTION
    owner_partstat: Partstat = Partstat.NEEDS_ACTION
    declined: tuple[datetime, ...] = ()
    ends: datetime | None = None
    closed_reason: str | None = None
    created_at: datetime | None = None

    @property
    def recurring(self) -> bool:
        return self.recurrence is not None

    @property
    def duration(self) -> timedelta:
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    def starts(self, until: datetime) -> list[datetime]:
        """The starts of its meetings before ``until`` (and before ``ends``): one for a
        single booking; a recurring one follows its zone's wall clock across DST, as
        calendars expand it."""
        last = until if self.ends is None else min(until, self.ends, key=_utc)
        if not self.recurring:
            return [self.start] if _utc(self.start) < _utc(last) else []
        zone = ZoneInfo(self.zone)
        first = self.start.astimezone(zone)
        # An UNTIL is kept in ``ends``; the rule is expanded on the naive wall clock.
        parts = [p for p in (self.recurrence or "").split(";") if p]
        rule = ";".join(p for p in parts if p.split("=", 1)[0].upper() not in ("UNTIL", "COUNT"))
        found: list[datetime] = []
        for moment in rrulestr(rule, dtstart=first.replace(tzinfo=None)):
            start = moment.replace(tzinfo=zone)
            if _utc(start) >= _utc(last) or len(found) >= _MOST_INSTANCES:
                break
            found.append(start)
        return found

    def next_start(self, after: datetime) -> datetime | None:
        """The start of its first meeting at or after ``after`` (None when there is none
        before it ends, or within a few years)."""
        horizon = after + timedelta(days=400 * 3)
        return next((s for s in self.starts(horizon) if _utc(s) >= _utc(after)), None)

    def occurrences(self, owner: Owner, since: datetime, until: datetime) -> list[Occurrence]:
        """Its meetings between ``since`` and ``until`` as occurrences of the owner's
        calendar: cadence organizes them for her, she and the person attend."""
        if self.status is BookingStatus.CANCELLED:
            return []
        found: list[Occurrence] = []
        for start in self.starts(until):
            if _utc(start) + self.duration <= _utc(since):
                continue
            found.append(
                Occurrence(
                    uid=self.uid,
                    start=start,
                    end=start + self.duration,
                    summary=f"1:1 {self.person_name}",
                    recurrence_id=start if self.recurring else None,
                    status=Status.CONFIRMED,
                    organizer=owner.email,
                    attendees=self._attendees(owner, start, (None, None)),
                    person=self.person,
                )
            )
        return found

    def _attendees(
        self, owner: Owner, original: datetime, seen: tuple[Partstat | None, Partstat | None]
    ) -> tuple[Attendee, Attendee]:
        """The owner and the person with their answers: what a reply told cadence wins
        over what the calendar shows (``seen``: the owner's, the person's), which wins
        over "not answered"."""
        owner_seen, person_seen = seen
        theirs = self.person_partstat
        if any(_utc(d) == _utc(original) for d in self.declined):
            theirs = Partstat.DECLINED
        mine = self.owner_partstat
        return (
            Attendee(owner.email, _answer(mine, owner_seen)),
            Attendee(self.person, _answer(theirs, person_seen)),
        )

    def overlay(self, seen: Occurrence, owner: Owner) -> Occurrence | None:
        """Given an occurrence of the booking as the owner's calendar shows it, return it
        as cadence knows it: its 1:1 (cadence organizes it for the owner; cadence's own
        address is no participant) with the answers cadence heard; None when cadence
        withdrew the booking."""
        if self.status is BookingStatus.CANCELLED:
            return None
        owner_email, person = owner.email.lower(), self.person.lower()
        partstats = {a.email.lower(): a.partstat for a in seen.attendees}
        return replace(
            seen,
            organizer=owner.email,
            attendees=self._attendees(
                owner, seen.original_start, (partstats.get(owner_email), partstats.get(person))
            ),
            person=self.person,
        )


def _answer(heard: Partstat, seen: Partstat | None) -> Partstat:
    if heard is Partstat.DECLINED or seen is None:
        return heard
    if seen is Partstat.DECLINED or heard is Partstat.NEEDS_ACTION:
        return seen
    return heard


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def calendar_view(
    calendar: Iterable[Occurrence],
    bookings: Sequence[Booking],
    owner: Owner,
    since: datetime,
    until: datetime,
) -> list[Occurrence]:
    """Given the occurrences read from the owner's calendar, cadence's bookings, the
    owner and a span, return the owner's calendar as cadence knows it: a booking the
    calendar does not show yet counts as its meetings; one it shows is the calendar's,
    with what cadence heard laid over it; a withdrawn one is gone."""
    by_uid = {b.uid: b for b in bookings}
    shown: set[str] = set()
    view: list[Occurrence] = []
    for occurrence in calendar:
        booking = by_uid.get(occurrence.uid)
        if booking is None:
            view.append(occurrence)
            continue
        shown.add(booking.uid)
        known = booking.overlay(occurrence, owner)
        if known is not None:
            view.append(known)
    for booking in bookings:
        if booking.uid not in shown:
            view += booking.occurrences(owner, since, until)
    return view


def said_by_a_decline(
    gap: Gap, view: Sequence[Occurrence], bookings: Sequence[Booking], owner: Owner, person: Person
) -> Gap:
    """Given a gap and the calendar as cadence knows it, return the gap said by the
    latest word on it: when a booking meant for its period was declined, the gap is
    that decline (with the declined meeting), not the meeting the booking replaced."""
    uids = {b.uid for b in bookings}
    who = (owner.email, person.email)
    for occurrence in sorted(view, key=lambda o: _utc(o.start)):
        if (
            occurrence.uid in uids
            and gap.period.contains(occurrence.original_start)
            and occurrence.status in (Status.CONFIRMED, Status.TENTATIVE)
            and any(occurrence.declined_by(email) for email in who)
        ):
            return replace(gap, reason=Reason.DECLINED, occurrence=occurrence)
    return gap
