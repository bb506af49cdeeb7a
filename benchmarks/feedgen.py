"""A large owner calendar feed, written the way Google Calendar exports it.

The feed is the secret iCal address of a busy lead, Olivia, spread over three
years around a fixed "now" (two years of history, one year ahead):

* 20 recurring 1:1 series (weekly or fortnightly) with the people cadence tracks
  (:func:`tracked_people`), with EXDATEs, cancelled (``RECURRENCE-ID`` +
  ``STATUS:CANCELLED``), moved, declined and per-instance edited overrides. A few
  fixed exceptions fall inside the lookahead, so a cycle finds gaps: cancelled
  and excluded instances, one 1:1 moved to the next week, one declined, one
  series ended by mistake; one tracked person has no series at all (a new hire).
* about one 1:1 series per hundred events with people cadence does not track
  (former reports, peers), each running a few weeks to months, mostly in the past.
* a few team series (daily stand-up, staff meeting, planning, all-hands, focus time).
* single meetings with several attendees for the rest: some declined, tentative,
  transparent, all-day, outside working hours or cancelled. Singles are dense in
  the past and thin out in the future, as they do in a real calendar.

Series are written in the calendar's zone (``TZID=Europe/Berlin``), singles in
UTC, lines folded at 75 octets, with ``X-WR-TIMEZONE`` and a ``VTIMEZONE``.
Everything is drawn from a seeded generator: the same arguments give the same bytes.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.core.model import Cadence, Kind, Person, Unit

__all__ = [
    "LOOKAHEAD",
    "NOW",
    "OWNER_EMAIL",
    "OWNER_NAME",
    "OWNER_ZONE",
    "Feed",
    "owner_feed",
    "tracked_people",
]

OWNER_NAME = "Olivia Owner"
OWNER_EMAIL = "olivia@example.com"
OWNER_ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(OWNER_ZONE)
# Monday 23 November 2026, 09:00 in Berlin, as in the end-to-end tests.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
# cadence's default schedule.lookahead; the fixed exceptions below fall inside it.
LOOKAHEAD = timedelta(weeks=8)
SPAN_START = NOW - timedelta(weeks=104)
SPAN_END = NOW + timedelta(weeks=52)

_LOCAL = "%Y%m%dT%H%M%S"
_UTC = "%Y%m%dT%H%M%SZ"
_STAMP = "20261123T060000Z"
_DOMAIN = "example.com"

_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:GMT+2",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:GMT+1",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]

_MEET_RULE = "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"

# The tracked people: (name, email local part, cadence, weekday, usual time, minutes).
# Weekday and time are distinct per person, so their 1:1s never overlap each other.
_TRACKED: tuple[tuple[str, str, str, int, time, int], ...] = (
    ("Alice Martin", "alice.martin", "weekly", 0, time(9, 30), 30),
    ("Bruno Keller", "bruno.keller", "weekly", 1, time(9, 30), 30),
    ("Chiara Rossi", "chiara.rossi", "weekly", 2, time(9, 30), 30),
    ("Dmitri Ivanov", "dmitri.ivanov", "biweekly", 3, time(9, 30), 45),
    ("Elif Yılmaz", "elif.yilmaz", "biweekly", 4, time(9, 30), 30),
    ("Farah Haddad", "farah.haddad", "weekly", 0, time(11, 0), 30),
    ("Gustav Lind", "gustav.lind", "weekly", 1, time(11, 0), 45),
    ("Hana Sato", "hana.sato", "weekly", 2, time(11, 0), 30),
    ("Inês Costa", "ines.costa", "biweekly", 3, time(11, 0), 30),
    ("Jonas Weber", "jonas.weber", "biweekly", 4, time(11, 0), 60),
    ("Kofi Mensah", "kofi.mensah", "weekly", 0, time(13, 30), 30),
    ("Lena Fischer", "lena.fischer", "weekly", 1, time(13, 30), 30),
    ("Mateo García", "mateo.garcia", "weekly", 2, time(13, 30), 45),
    ("Nora Berg", "nora.berg", "biweekly", 3, time(13, 30), 30),
    ("Oskar Nowak", "oskar.nowak", "biweekly", 4, time(13, 30), 30),
    ("Priya Nair", "priya.nair", "weekly", 0, time(15, 30), 30),
    ("Quentin Dubois", "quentin.dubois", "weekly", 1, time(15, 30), 30),
    ("Rosa Jiménez", "rosa.jimenez", "weekly", 2, time(15, 30), 30),
    ("Sven Olsen", "sven.olsen", "biweekly", 3, time(15, 30), 30),
    ("Tomás Novák", "tomas.novak", "biweekly", 4, time(15, 30), 60),
)
# Added to cadence, but no 1:1 exists yet.
_NEW_HIRE = ("Uma Patel", "uma.patel", "weekly", 4, time(10, 0), 30)

# Fixed exceptions in the lookahead, by index into _TRACKED (instance numbers count
# from the first instance after NOW).
_CANCELLED_AHEAD = {0: 1, 3: 1, 6: 2, 9: 0, 12: 3, 15: 1, 18: 2}
_EXCLUDED_AHEAD = {2: 0, 10: 4, 16: 2}
_MOVED_SAME_WEEK = {4: 0, 14: 1, 19: 1}
_MOVED_NEXT_WEEK = {7: 1}
_DECLINED_AHEAD = {13: 2}
_ENDED_WEEKS_AGO = {17: 3}
# Series that started recently (weeks before NOW); the others run from the span start.
_RECENT_START = {5: 12, 11: 20, 19: 30}

_FIRST = (
    "Aaron Ada Aiko Amir Ana Anders Aylin Bea Ben Carla Chen Clara Dario Dev Eero Emma Enzo "
    "Eva Felix Fiona Gabriel Gita Hugo Ida Igor Isla Jan Jia Julia Kai Karin Lars Leo Lina "
    "Luca Maja Malik Marta Max Mia Nadia Nils Noah Olga Omar Pablo Paula Pia Raj Rita Sami "
    "Sara Sofia Tariq Tea Theo Ulla Vera Viktor Wen Yara Yusuf Zoe"
)
_LAST = (
    "Andersen Bauer Becker Brandt Castro Chen Dahl Demir Eriksen Fontaine Frank Garcia "
    "Hansen Hoffmann Horvat Jensen Kaya Klein Koch Kowalski Larsen Lopez Marino Meyer "
    "Moreau Nguyen Novak Park Petrov Quinn Richter Schmidt Silva Singh Tanaka Vogel Wagner "
    "Wolf Yamamoto Zimmermann"
)

_TOPICS = (
    "Roadmap review",
    "Design review: sync engine",
    "Incident retro",
    "Hiring debrief",
    "Quarterly planning",
    "Budget check-in",
    "Architecture forum",
    "Customer escalation",
    "Interview loop",
    "Vendor demo",
    "OKR review",
    "Release go/no-go",
    "Security review",
    "Onboarding plan",
    "Data platform sync",
    "Cross-team alignment",
    "Tech talk",
    "Board prep",
    "Pricing workshop",
    "Support rotation handover",
)
_ALL_DAY = ("Public holiday", "Offsite", "Conference", "Home", "Team day", "Company event")
# The owner's own blocks: (summary, local start, minutes, transparent).
_BLOCKS = (
    ("Lunch", time(12, 30), 45, True),
    ("Commute", time(8, 15), 30, False),
    ("Prep: staff meeting", time(13, 30), 30, False),
    ("Hold for customer call", time(16, 0), 60, True),
    ("Reading", time(17, 30), 60, True),
    ("Doctor", time(8, 0), 60, False),
    ("Gym", time(18, 30), 90, False),
    ("Pick up kids", time(16, 30), 60, False),
    ("Expenses", time(17, 0), 30, True),
)
_OUT_OF_HOURS = (time(7, 0), time(7, 30), time(8, 0), time(17, 30), time(18, 0), time(19, 0))
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ROOMS = (
    "Room 4.12 Amsel",
    "Room 2.03 Fink",
    "Room 5.01 Star",
    "Cafeteria",
    "Berlin HQ, 3rd floor",
)


@dataclass(frozen=True)
class Feed:
    """A generated feed and what it holds."""

    body: bytes
    people: tuple[Person, ...]
    vevents: int
    series: int
    series_vevents: int
    singles: int


def tracked_people() -> tuple[Person, ...]:
    """Return the people to add to cadence: one per tracked 1:1 series, and a new hire
    without any series."""
    return tuple(
        Person(
            email=f"{local}@{_DOMAIN}",
            name=name,
            cadence=Cadence.parse(every),
            kind=Kind.REPORT,
            day=day,
            time=usual,
            duration=timedelta(minutes=minutes),
        )
        for name, local, every, day, usual, minutes in (*_TRACKED, _NEW_HIRE)
    )


def owner_feed(events: int = 10_000, *, seed: int = 7) -> Feed:
    """Return a Google-style export of about ``events`` VEVENTs (exactly that many when
    it is above the few hundred the tracked and team series need)."""
    writer = _Writer(random.Random(seed))
    people = tracked_people()
    for index, person in enumerate(people[: len(_TRACKED)]):
        writer.tracked_series(index, person)
    writer.team_series()
    for _ in range(max(0, events // 100)):
        writer.other_one_on_one()
    series_vevents = writer.vevents
    singles = max(0, events - series_vevents)
    for _ in range(singles):
        writer.single()
    return Feed(
        body=writer.body(),
        people=people,
        vevents=writer.vevents,
        series=writer.series,
        series_vevents=series_vevents,
        singles=singles,
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 sequence (RFC 5545 3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and raw[end] & 0xC0 == 0x80:
            end -= 1
        parts.append(raw[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _local(moment: datetime) -> str:
    """A wall-clock time in the calendar's zone, as ``;TZID=...:value``."""
    return f";TZID={OWNER_ZONE}:{moment:{_LOCAL}}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_UTC)


def _every(first: datetime, step: timedelta, until: datetime) -> Iterator[datetime]:
    moment = first
    while moment < until:
        yield moment
        moment = (moment.replace(tzinfo=None) + step).replace(tzinfo=first.tzinfo)


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


class _Writer:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.lines: list[str] = [
            "BEGIN:VCALENDAR",
            "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{OWNER_EMAIL}",
            f"X-WR-TIMEZONE:{OWNER_ZONE}",
            *_VTIMEZONE,
        ]
        self.vevents = 0
        self.series = 0
        self._colleagues = [
            (f"{first} {last}", f"{first.lower()}.{last.lower()}@{_DOMAIN}")
            for first in _FIRST.split()
            for last in _LAST.split()
        ]

    def body(self) -> bytes:
        return ("\r\n".join([*self.lines, "END:VCALENDAR"]) + "\r\n").encode()

    # -- building blocks ----------------------------------------------------

    def _event(self, props: Sequence[str]) -> None:
        self.lines.append("BEGIN:VEVENT")
        self.lines.extend(_fold(p) for p in props)
        self.lines.append("END:VEVENT")
        self.vevents += 1

    def _uid(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(self.rnd.choices(alphabet, k=26)) + "@google.com"

    def _meet(self) -> tuple[str, str]:
        """A Google Meet link and the block Google writes into the description."""
        letters = string.ascii_lowercase
        code = "-".join("".join(self.rnd.choices(letters, k=n)) for n in (3, 4, 3))
        link = f"https://meet.google.com/{code}"
        block = (
            f"{_MEET_RULE}\nJoin with Google Meet: {link}\n\n"
            "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n"
            f"Please do not edit this section.\n{_MEET_RULE}"
        )
        return link, block

    @staticmethod
    def _attendee(name: str, email: str, partstat: str = "ACCEPTED", role: str = "REQ") -> str:
        return (
            f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE={role}-PARTICIPANT;PARTSTAT={partstat};"
            f"CN={name};X-NUM-GUESTS=0:mailto:{email}"
        )

    def _common(
        self,
        uid: str,
        summary: str,
        organizer: tuple[str, str],
        attendees: Sequence[str],
        *,
        description: str = "",
        location: str = "",
        created: datetime,
        sequence: int = 0,
        status: str = "CONFIRMED",
        transparent: bool = False,
        conference: str = "",
        recurrence_id: datetime | None = None,
    ) -> list[str]:
        modified = created + timedelta(days=self.rnd.randrange(0, 30), minutes=7)
        props = [
            "DTSTAMP:" + _STAMP,
            f"ORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}",
            f"UID:{uid}",
            *([f"RECURRENCE-ID{_local(recurrence_id)}"] if recurrence_id else []),
            *attendees,
        ]
        if conference:
            props.append(f"X-GOOGLE-CONFERENCE:{conference}")
        props += [
            f"CREATED:{_utc(created)}",
            f"DESCRIPTION:{_escape(description)}",
            f"LAST-MODIFIED:{_utc(min(modified, NOW))}",
            f"LOCATION:{_escape(location)}",
            f"SEQUENCE:{sequence}",
            f"STATUS:{status}",
            f"SUMMARY:{_escape(summary)}",
            "TRANSP:" + ("TRANSPARENT" if transparent else "OPAQUE"),
        ]
        return props

    def _pair(self, other: tuple[str, str], *, other_partstat: str = "ACCEPTED") -> list[str]:
        return [
            self._attendee(other[0], other[1], other_partstat),
            self._attendee(OWNER_NAME, OWNER_EMAIL),
        ]

    # -- 1:1 series ---------------------------------------------------------

    def _one_on_one_series(
        self,
        other: tuple[str, str],
        first: datetime,
        minutes: int,
        interval: int,
        until: datetime | None,
        *,
        rate: float,
        fixed: dict[datetime, str] | None = None,
    ) -> None:
        """Write a 1:1 series and its overrides: ``rate`` is the share of instances that
        carry a random exception; ``fixed`` forces an exception on given instances
        (``cancelled``, ``excluded``, ``moved``, ``moved-next-week``, ``declined``)."""
        rnd = self.rnd
        self.series += 1
        uid = self._uid()
        length = timedelta(minutes=minutes)
        link, block = self._meet()
        summary = f"{other[0].split()[0]} / {OWNER_NAME.split()[0]} 1:1"
        agenda = f"Agenda and notes: https://docs.google.com/document/d/{uid[:20]}/edit\n\n"
        created = first - timedelta(days=rnd.randrange(2, 20))
        step = timedelta(weeks=interval)
        instances = list(_every(first, step, until or SPAN_END))
        exceptions: dict[datetime, str] = {}
        for moment in instances:
            roll = rnd.random()
            if roll < rate:
                exceptions[moment] = rnd.choices(
                    ("notes", "moved", "cancelled", "excluded", "declined"),
                    weights=(45, 30, 12, 8, 5),
                )[0]
        # Far ahead, nobody has edited single instances yet.
        exceptions = {m: k for m, k in exceptions.items() if m < NOW + timedelta(weeks=20)}
        for moment in instances:
            if NOW <= moment < NOW + LOOKAHEAD:
                exceptions.pop(moment, None)
        exceptions.update(fixed or {})
        rule = f"RRULE:FREQ=WEEKLY;WKST=MO;BYDAY={_WEEKDAYS[first.weekday()]}"
        if interval > 1:
            rule = rule.replace("WKST", f"INTERVAL={interval};WKST")
        if until is not None:
            rule += f";UNTIL={_utc(until - timedelta(seconds=1))}"
        excluded = sorted(m for m, k in exceptions.items() if k == "excluded")
        common = self._common(
            uid,
            summary,
            (OWNER_NAME, OWNER_EMAIL),
            self._pair(other),
            description=agenda + block,
            created=created,
            conference=link,
        )
        self._event(
            [
                f"DTSTART{_local(first)}",
                f"DTEND{_local(first + length)}",
                rule,
                *(f"EXDATE{_local(m)}" for m in excluded),
                *common,
            ]
        )
        for moment, kind in sorted(exceptions.items()):
            if kind == "excluded":
                continue
            start, status, partstat = moment, "CONFIRMED", "ACCEPTED"
            description = agenda + block
            if kind == "cancelled":
                status = "CANCELLED"
            elif kind == "moved":
                start = self._moved_same_week(moment)
            elif kind == "moved-next-week":
                start = moment + timedelta(days=7 - moment.weekday())  # the next Monday
            elif kind == "declined":
                partstat = "DECLINED"
            else:
                description = (
                    agenda
                    + f"- follow up on {rnd.choice(_TOPICS).lower()}\n"
                    + f"- {rnd.choice(('feedback', 'career growth', 'on-call load', 'hiring'))}"
                    + "\n\n"
                    + block
                )
            props = self._common(
                uid,
                summary,
                (OWNER_NAME, OWNER_EMAIL),
                self._pair(other, other_partstat=partstat),
                description=description,
                created=created,
                sequence=1 + rnd.randrange(3),
                status=status,
                conference=link,
                recurrence_id=moment,
            )
            self._event([f"DTSTART{_local(start)}", f"DTEND{_local(start + length)}", *props])

    def _moved_same_week(self, moment: datetime) -> datetime:
        """Another working time in the same Monday-to-Friday week."""
        rnd = self.rnd
        day = moment.date() - timedelta(days=moment.weekday()) + timedelta(days=rnd.randrange(5))
        at = time(rnd.randrange(9, 16), rnd.choice((0, 30)))
        if day == moment.date() and at == moment.time():
            at = time(16, 0)
        return datetime.combine(day, at, tzinfo=moment.tzinfo)

    def tracked_series(self, index: int, person: Person) -> None:
        assert person.cadence.unit is Unit.WEEK
        interval = person.cadence.count
        if index in _RECENT_START:
            begin = NOW.date() - timedelta(weeks=_RECENT_START[index])
        else:
            begin = SPAN_START.date() + timedelta(days=self.rnd.randrange(21))
        first = datetime.combine(_next_weekday(begin, person.day), person.time, tzinfo=BERLIN)
        until = None
        if index in _ENDED_WEEKS_AGO:
            until = NOW - timedelta(weeks=_ENDED_WEEKS_AGO[index])
        ahead = [
            m
            for m in _every(first, timedelta(weeks=interval), until or SPAN_END)
            if NOW <= m < NOW + LOOKAHEAD
        ]
        fixed: dict[datetime, str] = {}
        for table, kind in (
            (_CANCELLED_AHEAD, "cancelled"),
            (_EXCLUDED_AHEAD, "excluded"),
            (_MOVED_SAME_WEEK, "moved"),
            (_MOVED_NEXT_WEEK, "moved-next-week"),
            (_DECLINED_AHEAD, "declined"),
        ):
            if index in table and table[index] < len(ahead):
                fixed[ahead[table[index]]] = kind
        minutes = int(person.duration.total_seconds() // 60)
        self._one_on_one_series(
            (person.name, person.email), first, minutes, interval, until, rate=0.3, fixed=fixed
        )

    def other_one_on_one(self) -> None:
        """A 1:1 series with someone cadence does not track, mostly over by now."""
        rnd = self.rnd
        other = rnd.choice(self._colleagues)
        weeks = rnd.randrange(4, 40)
        begin = SPAN_START + timedelta(days=rnd.randrange((NOW - SPAN_START).days))
        day = _next_weekday(begin.date(), rnd.randrange(5))
        first = datetime.combine(day, time(rnd.randrange(9, 17), rnd.choice((0, 30))), BERLIN)
        interval = rnd.choice((1, 2, 2, 3))
        until = first + timedelta(weeks=weeks)
        self._one_on_one_series(
            other, first, rnd.choice((25, 30, 30, 45)), interval, until, rate=0.25
        )

    # -- team series ----------------------------------------------------------

    def team_series(self) -> None:
        rnd = self.rnd
        team = [(p[0], f"{p[1]}@{_DOMAIN}") for p in _TRACKED[:8]]
        peers = rnd.sample(self._colleagues, 9)
        company = rnd.sample(self._colleagues, 25)
        monday = SPAN_START.date() - timedelta(days=SPAN_START.weekday())
        plans = (
            ("Daily stand-up", (0, 1, 2, 3, 4), 1, time(9, 15), 15, team, 0.06),
            ("Leadership staff meeting", (0,), 1, time(14, 0), 60, peers, 0.2),
            ("Sprint planning", (2,), 2, time(10, 0), 60, team, 0.2),
            ("Engineering all-hands", (3,), 4, time(17, 0), 60, company, 0.1),
            ("Focus time", (4,), 1, time(13, 0), 120, [], 0.15),
        )
        for summary, weekdays, interval, at, minutes, guests, rate in plans:
            self.series += 1
            uid = self._uid()
            length = timedelta(minutes=minutes)
            first = datetime.combine(monday + timedelta(days=weekdays[0]), at, tzinfo=BERLIN)
            link, block = self._meet() if guests else ("", "")
            attendees = [self._attendee(*g) for g in guests]
            if guests:
                attendees.append(self._attendee(OWNER_NAME, OWNER_EMAIL))
            created = first - timedelta(days=5)
            common = self._common(
                uid,
                summary,
                (OWNER_NAME, OWNER_EMAIL),
                attendees,
                description=block,
                created=created,
                conference=link,
            )
            byday = ",".join(_WEEKDAYS[d] for d in weekdays)
            rule = f"RRULE:FREQ=WEEKLY;WKST=MO;INTERVAL={interval};BYDAY={byday}"
            self._event(
                [f"DTSTART{_local(first)}", f"DTEND{_local(first + length)}", rule, *common]
            )
            week = monday
            while week < (NOW + timedelta(weeks=12)).date():
                for weekday in weekdays:
                    instance = datetime.combine(week + timedelta(days=weekday), at, tzinfo=BERLIN)
                    if rnd.random() >= rate:
                        continue
                    status = "CANCELLED" if rnd.random() < 0.4 else "CONFIRMED"
                    new = instance
                    if status == "CONFIRMED" and rnd.random() < 0.5:
                        new = instance + timedelta(minutes=rnd.choice((-60, -30, 30, 60)))
                    props = self._common(
                        uid,
                        summary,
                        (OWNER_NAME, OWNER_EMAIL),
                        attendees,
                        description=block,
                        created=created,
                        sequence=1,
                        status=status,
                        conference=link,
                        recurrence_id=instance,
                    )
                    self._event([f"DTSTART{_local(new)}", f"DTEND{_local(new + length)}", *props])
                week += timedelta(weeks=interval)

    # -- single meetings --------------------------------------------------------

    def _single_day(self) -> date:
        """A day in the span: uniform over the past, thinning out ahead of NOW."""
        rnd = self.rnd
        total = (SPAN_END - SPAN_START).days
        while True:
            day = SPAN_START.date() + timedelta(days=rnd.randrange(total))
            if day.weekday() >= 5 and rnd.random() < 0.9:
                continue
            ahead = (day - NOW.date()).days
            weight = (
                1.0
                if ahead < 0
                else 0.5
                if ahead < 14
                else 0.3
                if ahead < 28
                else 0.15
                if ahead < 56
                else 0.03
            )
            if rnd.random() < weight:
                return day

    def single(self) -> None:
        rnd = self.rnd
        uid = self._uid()
        day = self._single_day()
        created = datetime.combine(day, time(8), tzinfo=BERLIN) - timedelta(
            days=rnd.randrange(1, 40)
        )
        kind = rnd.random()
        if kind < 0.07:  # all day: holidays, offsites, working location
            self._event(
                [
                    f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                    f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                    *self._common(
                        uid,
                        rnd.choice(_ALL_DAY),
                        (OWNER_NAME, OWNER_EMAIL),
                        [],
                        created=created,
                        transparent=True,
                    ),
                ]
            )
            return
        if kind < 0.25:  # the owner's own blocks, no guests
            summary, at, minutes, transparent = rnd.choice(_BLOCKS)
            start = datetime.combine(day, at, tzinfo=BERLIN)
            self._event(
                [
                    f"DTSTART:{_utc(start)}",
                    f"DTEND:{_utc(start + timedelta(minutes=minutes))}",
                    *self._common(
                        uid,
                        summary,
                        (OWNER_NAME, OWNER_EMAIL),
                        [],
                        created=created,
                        transparent=transparent,
                    ),
                ]
            )
            return
        if kind < 0.37:  # calls across time zones, dinners
            at = rnd.choice(_OUT_OF_HOURS)
        else:
            at = time(rnd.randrange(9, 17), rnd.choice((0, 15, 30, 45)))
        minutes = rnd.choices((25, 30, 45, 50, 60, 90, 120), weights=(10, 35, 10, 5, 30, 7, 3))[0]
        start = datetime.combine(day, at, tzinfo=BERLIN)
        owner_state = rnd.choices(
            ("ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION"), weights=(62, 26, 7, 5)
        )[0]
        if rnd.random() < 0.12:  # an ad-hoc 1:1 with a colleague
            guests = [rnd.choice(self._colleagues)]
            summary = rnd.choice(("Coffee chat", "Quick sync", "Intro", "Catch-up"))
        else:
            size = rnd.randrange(8, 20) if rnd.random() < 0.04 else rnd.randrange(2, 5)
            guests = rnd.sample(self._colleagues, size)
            summary = rnd.choice(_TOPICS)
        organizer = (OWNER_NAME, OWNER_EMAIL) if rnd.random() < 0.3 else guests[0]
        attendees = [
            self._attendee(n, e, rnd.choice(("ACCEPTED", "ACCEPTED", "TENTATIVE", "NEEDS-ACTION")))
            for n, e in guests
        ]
        optional = owner_state != "ACCEPTED" and rnd.random() < 0.3
        attendees.insert(
            rnd.randrange(len(attendees) + 1),
            self._attendee(OWNER_NAME, OWNER_EMAIL, owner_state, "OPT" if optional else "REQ"),
        )
        link, block = self._meet() if rnd.random() < 0.4 else ("", "")
        text = "Pre-read: https://docs.example.com/d/" + uid[:12] if rnd.random() < 0.2 else ""
        props = self._common(
            uid,
            summary,
            organizer,
            attendees,
            description="\n\n".join(filter(None, (text, block))),
            location=rnd.choice(_ROOMS) if rnd.random() < 0.3 else "",
            created=created,
            sequence=rnd.choice((0, 0, 0, 1, 2)),
            status="CANCELLED" if rnd.random() < 0.03 else "CONFIRMED",
            transparent=rnd.random() < 0.05,
            conference=link,
        )
        self._event(
            [
                f"DTSTART:{_utc(start)}",
                f"DTEND:{_utc(start + timedelta(minutes=minutes))}",
                *props,
            ]
        )
