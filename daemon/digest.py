"""The weekly digest: when it is due, what goes into it, and queuing it once per week.

It is due at ``[digest] day`` and ``time`` in the owner's timezone and goes
out at the first cycle from then on. The week is named by the ISO year-week of
that scheduled moment, which is also the outbox key (``digest:2026-W48``): the
outbox takes a key once, so neither a second cycle, a restart nor a crash
between queuing and noting it can send a week's digest twice. After downtime
only the latest missed digest is sent, and not even that one when the next is
due within :data:`CATCH_UP_CUTOFF`.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cadence.daemon.adherence import DEFAULT_WEEKS, agenda_links, load_report
from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.config import DigestConfig
from cadence.daemon.core.agenda import open_action_items
from cadence.daemon.core.digest_render import Digest, Meeting, UncertainEmail, digest_email
from cadence.daemon.core.errors import AgendaError, CadenceError
from cadence.daemon.core.identity import message_id
from cadence.daemon.core.model import Occurrence, Owner, Person
from cadence.daemon.core.reconcile import is_live, one_on_ones
from cadence.daemon.store import NewMail
from cadence.daemon.web_addresses import EMAIL_SIGN_IN
from cadence.daemon.wiring import HISTORY, OWNER_SOURCE, Services, owners_calendar

__all__ = [
    "CATCH_UP_CUTOFF",
    "META_KEY",
    "digest_due",
    "meetings_ahead",
    "open_items",
    "queue_digest",
    "scheduled_at",
    "week_key",
]

log = logging.getLogger(__name__)

META_KEY = "digest_week"
CATCH_UP_CUTOFF = timedelta(hours=12)
AHEAD = timedelta(days=7)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def week_key(day: date) -> str:
    """Return the ISO year-week of a date, ``2026-W48``; such keys sort by time."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def scheduled_at(day: date, digest: DigestConfig, zone: ZoneInfo) -> datetime:
    """Given a date, the digest settings and the owner's timezone, return when the
    digest of that date's ISO week is due."""
    monday = day - timedelta(days=day.weekday())
    # A time the clocks skip (spring forward) reads with the offset before the jump.
    local = datetime.combine(monday + timedelta(days=digest.day), digest.time, tzinfo=zone)
    return _utc(local).astimezone(zone)


def digest_due(
    now: datetime, digest: DigestConfig, zone: ZoneInfo, last_week: str | None
) -> str | None:
    """Given now, the digest settings, the owner's timezone and the week of the last
    digest queued (None if never), return the week whose digest is due now, or None.

    That is the week of the latest scheduled moment at or before now, unless its
    digest (or a later one) was queued, or the next one is due within
    CATCH_UP_CUTOFF (then that one covers the downtime).
    """
    if not digest.enabled:
        return None
    today = now.astimezone(zone).date()
    due = scheduled_at(today, digest, zone)
    if _utc(due) > _utc(now):
        due = scheduled_at(today - timedelta(weeks=1), digest, zone)
    following = scheduled_at(due.date() + timedelta(weeks=1), digest, zone)
    week = week_key(due.date())
    if last_week is not None and week <= last_week:
        return None
    if _utc(following) - _utc(now) < CATCH_UP_CUTOFF:
        return None
    return week


def meetings_ahead(
    people: list[Person],
    occurrences: list[Occurrence],
    owner: Owner,
    agendas: AgendaBackend,
    now: datetime,
) -> list[Meeting]:
    """The live 1:1s starting in the coming week, each with the person's agenda link and
    open action items (an unreadable agenda is noted, never fatal)."""
    found: list[Meeting] = []
    for person in people:
        ahead = [
            o
            for o in one_on_ones(person, owner, occurrences)
            if _utc(now) <= _utc(o.start) < _utc(now + AHEAD) and is_live(o, owner, person)
        ]
        if not ahead:
            continue
        items, problem = open_items(agendas, person)
        url = agenda_links(agendas, [person])[person.email]
        found += [Meeting(person, o.start, o.end, url, items, problem) for o in ahead]
    return sorted(found, key=lambda m: (_utc(m.start), m.person.email))


def open_items(agendas: AgendaBackend, person: Person) -> tuple[tuple[str, ...], str | None]:
    """The person's open action items as written, and why they could not be read."""
    try:
        text = agendas.text(person)
    except AgendaError as exc:
        log.warning("digest: agenda of %s: %s", person.email, exc)
        return (), f"agenda unreadable: {exc}"
    items = open_action_items(text or "")
    return tuple(" ".join(i.line.split()) for i in items), None


def build_digest(svc: Services, now: datetime, week: str) -> Digest:
    """Gather what the digest of ``week`` shows, as of now."""
    config, store = svc.config, svc.store
    people = store.people.all()
    report = load_report(
        store, config, now, DEFAULT_WEEKS, history=HISTORY, source=OWNER_SOURCE, people=people
    )
    occurrences = owners_calendar(store, config, now - timedelta(days=1), now + AHEAD)
    by_email = {p.email: p for p in people}
    proposals = [(p, by_email.get(p.person)) for p in store.proposals.all()]
    return Digest(
        week=week,
        owner=config.owner,
        now=now,
        report=report,
        links=agenda_links(svc.agendas, people),
        proposals=tuple(proposals),
        meetings=tuple(meetings_ahead(people, occurrences, config.owner, svc.agendas, now)),
        unconfirmed=tuple(
            UncertainEmail(i.id, i.recipients, i.subject)
            for i in store.outbox.items(["unconfirmed"])
        ),
        sign_in=svc.mailer.web.sign_in(now + EMAIL_SIGN_IN) if svc.mailer.web else None,
    )


def queue_digest(svc: Services, now: datetime) -> list[dict[str, str]]:
    """Queue the weekly digest when it is due (once per week, see the module); return
    the errors met, in the shape of a cycle's errors."""
    store, email = svc.store, svc.config.email
    week = digest_due(now, svc.config.digest, svc.config.owner.zone, store.get_meta(META_KEY))
    if week is None:
        return []
    key = f"digest:{week}"
    mid = message_id(store.identity.secret(), key, email.sender)
    try:
        content = build_digest(svc, now, week)
        message = digest_email(content, sender=email.sender, to=email.to, message_id=mid)
        store.outbox.enqueue(NewMail(key, mid, email.to, bytes(message)), now)
        # Only saves work: the outbox key alone already keeps the week to one email.
        store.set_meta(META_KEY, week)
    except CadenceError as exc:
        log.warning("weekly digest for %s not queued: %s", week, exc)
        return [{"source": "digest", "message": str(exc)}]
    log.info("weekly digest for %s queued", week)
    return []
