"""Reading the inbox: every message judged once, acted on once, marked after.

For each message not seen before (DESIGN rule 10):

1. parse it and judge it (``core.triage``): cadence's own mail and automatic
   mail are left alone; an iTIP REPLY goes to :func:`apply_reply`; the
   owner's reply to a proposal acts only with the proposal's secret;
2. act, in one transaction with the record of the message and the email that
   confirms the act to the owner (booking goes through the same path as
   ``cadence proposals accept``, dismissing as ``proposals dismiss``);
3. after the commit, mark (or move) in the mailbox what cadence handled.

A crash before the commit leaves the message unhandled: the next read acts on
it. A crash after it leaves the message recorded but unmarked: the next read
only marks it. Messages cadence leaves alone are recorded too (so they are
judged once) but never marked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from cadence.daemon.config import Config
from cadence.daemon.core.answers import (
    answer_email,
    booked_lines,
    dismissed_lines,
    unanswerable_lines,
)
from cadence.daemon.core.errors import (
    CadenceError,
    NotFoundError,
    SlotUnavailableError,
    SourceError,
    UsageError,
)
from cadence.daemon.core.identity import message_id, references_in
from cadence.daemon.core.incoming import Incoming, parse_incoming
from cadence.daemon.core.model import Cadence, Person, Proposal, Slot
from cadence.daemon.core.triage import Kind, Unanswerable, Verdict, triage
from cadence.daemon.credentials import credential
from cadence.daemon.invitation_replies import apply_reply
from cadence.daemon.invitations import Invitations
from cadence.daemon.mail.account import Security as ImapSecurity
from cadence.daemon.mail.imap import ImapInbox
from cadence.daemon.mail.inbox import After, Inbox, Mailbox
from cadence.daemon.mail.maildir_inbox import MaildirInbox
from cadence.daemon.store import AlreadyHandled, InboxRecord, NewMail, Store

log = logging.getLogger(__name__)

INBOX_SOURCE = "inbox"
# How far back a read looks: replies come within days of their proposal.
LOOKBACK = timedelta(days=30)
# Messages judged per read; the rest wait for the next one.
PER_READ = 200
# Replies answered "not understood" per proposal: beyond, a loop is more likely
# than a person still trying.
MOST_ANSWERS = 5


class Acting(Protocol):
    """What acting on a reply goes through: the engine's own accept and dismiss."""

    def accept(
        self, proposal_id: int, number: int = 1, *, fresh: bool = False,
        within: Callable[[Any], None] | None = None,
    ) -> object: ...  # fmt: skip

    def dismiss(self, proposal_id: int, *, within: Callable[[], None] | None = None) -> Any: ...


@dataclass
class InboxReport:
    read: int = 0
    acted: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"read": self.read, "acted": self.acted, "ignored": self.ignored,
                "errors": self.errors}  # fmt: skip


@dataclass
class _Reader:
    inbox: Inbox
    store: Store
    config: Config
    acting: Acting
    now: datetime
    fresh: bool
    report: InboxReport

    @property
    def mailbox(self) -> str:
        return self.inbox.name

    def owner_addresses(self) -> frozenset[str]:
        email = self.config.email
        return frozenset(a.lower() for a in (self.config.owner.email, *email.to))

    # -- the mailbox ---------------------------------------------------------

    def settle(self, box: Mailbox) -> None:
        """Mark (or move) what was handled but not marked yet."""
        refs = self.store.inbox.unmarked(self.mailbox)
        if not refs:
            return
        gone = box.mark_handled(refs)
        for ref in gone:
            log.info("inbox: %s is no longer in %s; nothing to mark", ref, self.mailbox)
        self.store.inbox.set_marked(self.mailbox, refs, self.now)

    def read(self, box: Mailbox, heartbeat: Callable[[], None]) -> None:
        since = (self.now - LOOKBACK).date()
        for ref in box.list_new(since):
            if self.store.inbox.known(self.mailbox, ref):
                continue
            if self.report.read >= PER_READ:
                log.info("inbox: %d messages read; the rest wait for the next read", PER_READ)
                break
            heartbeat()
            raw = box.fetch(ref)
            if raw is None:
                continue
            self.report.read += 1
            try:
                self.handle(ref, parse_incoming(raw))
            except AlreadyHandled:
                log.info("inbox: %s was handled by another cadence process", ref)
            except CadenceError as exc:
                # Left unrecorded: the next read tries again.
                log.warning("inbox: message %s: %s; trying again next time", ref, exc)
                self.report.errors.append(f"{ref}: {exc}")

    # -- one message ---------------------------------------------------------

    def handle(self, ref: str, mail: Incoming) -> None:
        earlier = self.store.inbox.by_key(mail.key)
        if earlier is not None:
            # The same message again: a second copy, or moved to a new place.
            self._record(ref, mail, "ignore", earlier.proposal_id, "already handled",
                         mark=earlier.mark)  # fmt: skip
            self._ignored(mail, "already handled")
            return
        store = self.store.inbox
        found = {r: p for r in mail.references if (p := store.proposal_by_reference(r))}
        owner = self.owner_addresses()
        verdict = triage(mail, owner, found)
        if verdict.kind is Kind.IGNORE:
            why = verdict.why
            if mail.from_cadence and self._arrived(mail):
                why += "; it arrived, so the email is no longer unconfirmed"
            self._record(ref, mail, "ignore", None, why, mark=False)
            if why != verdict.why:
                self._ignored(mail, why)
                return
            forged = bool(found) and not mail.from_cadence and mail.sender not in owner
            self._ignored(mail, verdict.why, forged=forged)
        elif verdict.kind is Kind.CALENDAR:
            self._calendar(ref, mail, verdict)
        elif verdict.kind is Kind.BOOK:
            self._book(ref, mail, verdict)
        elif verdict.kind is Kind.DISMISS:
            self._dismiss(ref, mail, verdict)
        else:
            assert verdict.proposal is not None and verdict.unanswerable is not None
            self._answer(ref, mail, verdict.proposal, verdict, verdict.unanswerable)

    def _arrived(self, mail: Incoming) -> bool:
        """An email of cadence's own in the inbox (the owner's mailbox, or a copy to it)
        settles the uncertainty of an unconfirmed delivery: it did arrive."""
        if mail.message_id is None or not self.store.outbox.settle_delivered(mail.message_id):
            return False
        log.info("inbox: an unconfirmed email arrived after all; recorded as sent")
        return True

    def _record(
        self, ref: str, mail: Incoming, action: str, proposal: int | None, detail: str,
        *, mark: bool,
    ) -> None:  # fmt: skip
        sender = mail.sender or ""
        record = InboxRecord(self.mailbox, ref, mail.key, sender, action, proposal, detail, mark)
        self.store.inbox.record(record, self.now)

    def _ignored(self, mail: Incoming, why: str, *, forged: bool = False) -> None:
        # A proposal's secret from someone else than the owner: someone tried.
        level = logging.WARNING if forged else logging.INFO
        log.log(level, "inbox: ignored %s from %s: %s", _shown(mail), mail.sender or "?", why)
        self.report.ignored.append(
            {"message_id": _public_id(mail), "from": mail.sender, "why": why}
        )

    def _acted(
        self, mail: Incoming, action: str, proposal: int | None, detail: str, **extra: Any
    ) -> None:
        log.info("inbox: %s from %s: %s", _shown(mail), mail.sender or "?", detail)
        self.report.acted.append(
            {"message_id": _public_id(mail), "from": mail.sender, "action": action,
             "proposal": proposal, "booking": None, "detail": detail} | extra
        )  # fmt: skip

    def _person(self, proposal: Proposal) -> Person:
        person = self.store.people.get(proposal.person)
        if person is None:
            raise NotFoundError(f"{proposal.person} is no longer a person here")
        return person

    def _mail(self, mail: Incoming, proposal: Proposal, subject: str, lines: list[str]) -> NewMail:
        """The answer to the owner, under a key derived from her reply's identity."""
        email = self.config.email
        key = "inbox:" + hashlib.sha256(mail.key.encode()).hexdigest()[:32]
        mid = message_id(self.store.identity.secret(), key, email.sender)
        proposal_mid = self._proposal_message_id(proposal)
        message: EmailMessage = answer_email(
            self.config.owner,
            subject=subject,
            lines=lines,
            sender=email.sender,
            to=email.to,
            message_id=mid,
            reply_to_id=mail.message_id,
            references=[m for m in (proposal_mid, mail.message_id) if m],
            proposal=proposal,
            stamp=self.now,
        )
        return NewMail(key, mid, email.to, bytes(message))

    def _proposal_message_id(self, proposal: Proposal) -> str | None:
        for item in self.store.outbox.items():
            if item.proposal_id == proposal.id and item.key.startswith("proposal:"):
                return item.message_id
        return None

    def _calendar(self, ref: str, mail: Incoming, verdict: Verdict) -> None:
        invitations = Invitations(self.config, self.store)
        with self.store.db.transaction():
            outcomes = [apply_reply(invitations, r, mail.sender, self.now) for r in verdict.replies]
            applied = [o for o in outcomes if o.applied]
            shown = applied or outcomes
            detail = "; ".join(dict.fromkeys(o.detail for o in shown))
            proposal = next((o.proposal for o in shown if o.proposal is not None), None)
            booking = next((o.booking for o in shown if o.booking is not None), None)
            action = "reply" if applied else "ignore"
            self._record(ref, mail, action, proposal, detail, mark=bool(applied))
        if applied:
            partstat = verdict.replies[outcomes.index(applied[0])].partstat.lower()
            self._acted(mail, "reply", proposal, f"invitation reply: {detail}", partstat=partstat,
                        booking=booking)  # fmt: skip
        else:
            self._ignored(mail, f"invitation reply: {detail}")

    def _book(self, ref: str, mail: Incoming, verdict: Verdict) -> None:
        proposal, choice = verdict.proposal, verdict.choice
        assert proposal is not None and choice is not None and choice.slot is not None
        number = choice.slot
        try:
            person = self._person(proposal)
        except NotFoundError:
            self._answer(ref, mail, proposal, verdict, Unanswerable.CLOSED)
            return
        slot = proposal.slots[number - 1]
        detail = f"booked slot {number} of proposal #{proposal.id}"

        def within(accepted: Any) -> None:
            # Said as it was done: invited, moved, made, or only asked of the organizer.
            how, to = str(accepted.how), str(accepted.to)
            subject, lines = booked_lines(proposal, number, slot, person, self.config.owner,
                                          how=how, to=to)  # fmt: skip
            self._record(ref, mail, "book", proposal.id, detail, mark=True)
            self.store.outbox.enqueue(self._mail(mail, proposal, subject, lines), self.now)

        try:
            accepted = self.acting.accept(proposal.id, number, fresh=self.fresh, within=within)
        except SlotUnavailableError:
            self._answer(ref, mail, proposal, verdict, Unanswerable.TAKEN, taken=slot)
            return
        except (UsageError, NotFoundError):
            # Closed (or its person removed) since it was judged.
            self._answer(ref, mail, self._current(proposal), verdict, Unanswerable.CLOSED)
            return
        booking = getattr(accepted, "booking", None)
        self._acted(mail, "book", proposal.id, detail, slot=number, booking=booking)

    def _dismiss(self, ref: str, mail: Incoming, verdict: Verdict) -> None:
        proposal = verdict.proposal
        assert proposal is not None
        person = self._person(proposal)
        subject, lines = dismissed_lines(proposal, person, self.config.owner)
        confirmation = self._mail(mail, proposal, subject, lines)
        detail = f"dismissed proposal #{proposal.id}"

        def within() -> None:
            self._record(ref, mail, "dismiss", proposal.id, detail, mark=True)
            self.store.outbox.enqueue(confirmation, self.now)

        try:
            self.acting.dismiss(proposal.id, within=within)
        except (UsageError, NotFoundError):
            self._answer(ref, mail, self._current(proposal), verdict, Unanswerable.CLOSED)
            return
        self._acted(mail, "dismiss", proposal.id, detail)

    def _current(self, proposal: Proposal) -> Proposal:
        return self.store.proposals.get(proposal.id) or proposal

    def _answer(
        self,
        ref: str,
        mail: Incoming,
        proposal: Proposal,
        verdict: Verdict,
        why: Unanswerable,
        taken: Slot | None = None,
    ) -> None:
        if self.store.inbox.answers(proposal.id) >= MOST_ANSWERS:
            reason = f"{MOST_ANSWERS} replies about proposal #{proposal.id} already answered"
            self._record(ref, mail, "ignore", proposal.id, reason, mark=True)
            self._ignored(mail, reason)
            return
        # A person removed meanwhile is still named by address in the answer.
        person = self.store.people.get(proposal.person) or Person(
            proposal.person, proposal.person, Cadence.parse("weekly")
        )
        subject, lines = unanswerable_lines(
            proposal, person, self.config.owner, verdict.choice, why, taken
        )
        answer = self._mail(mail, proposal, subject, lines)
        detail = f"answered: {why} (proposal #{proposal.id})"
        with self.store.db.transaction():
            self._record(ref, mail, "answer", proposal.id, detail, mark=True)
            self.store.outbox.enqueue(answer, self.now)
        self._acted(mail, "answer", proposal.id, detail, why=str(why))


def build_inbox(config: Config, env: dict[str, str] | None = None) -> Inbox:
    """Given the config, return its inbox; raise UsageError when it has none, and
    ConfigError when its password cannot be read."""
    inbox = config.email.inbox
    after: After = "move" if inbox.after == "move" else "mark"
    if inbox.transport == "maildir" and inbox.maildir is not None:
        return MaildirInbox(inbox.maildir, after=after, move_to=inbox.move_to)
    if inbox.transport == "imap" and inbox.imap is not None:
        imap = inbox.imap
        password = credential(
            "imap-password", "CADENCE_IMAP_PASSWORD", imap.password_file,
            "email.inbox.imap.password_file", env,
        )  # fmt: skip
        if password is None and imap.shares_smtp_password:
            smtp = config.email.smtp
            password = credential(
                "smtp-password", "CADENCE_SMTP_PASSWORD", smtp.password_file,
                "email.smtp.password_file", env,
            )  # fmt: skip
        security: ImapSecurity = "ssl"
        if imap.security in ("starttls", "none"):
            security = "starttls" if imap.security == "starttls" else "none"
        return ImapInbox(
            imap.host,
            imap.port,
            security,
            imap.username,
            password,
            imap.folder,
            after=after,
            move_to=inbox.move_to,
            timeout=imap.timeout.total_seconds(),
        )
    raise UsageError(
        'no inbox is configured: set [email.inbox] transport = "imap" or "maildir" '
        f"in {config.path}"
    )


def _public_id(mail: Incoming) -> str | None:
    """The message's Message-ID as logs and JSON may show it: cadence's own ids are
    secrets (a proposal's lets a reply act), so they are not shown."""
    if mail.message_id is None or references_in(mail.message_id):
        return None
    return mail.message_id


def _shown(mail: Incoming) -> str:
    found = _public_id(mail)
    if found is not None:
        return found
    return "an email of cadence's" if mail.message_id else "a message without Message-ID"


def check_inbox(
    inbox: Inbox,
    store: Store,
    config: Config,
    acting: Acting,
    now: datetime,
    *,
    fresh: bool = False,
    heartbeat: Callable[[], None] = lambda: None,
) -> InboxReport:
    """Read the inbox once: mark what an interruption left unmarked, judge and act on
    every new message, then mark what was handled. Record the inbox's health as a
    source; raise SourceError when the mailbox cannot be read."""
    report = InboxReport()
    reader = _Reader(inbox, store, config, acting, now, fresh, report)
    try:
        with inbox.session() as box:
            reader.settle(box)
            reader.read(box, heartbeat)
            reader.settle(box)
    except SourceError as exc:
        log.warning("inbox %s failed: %s", inbox.name, exc.reason)
        store.observations.record_failure(INBOX_SOURCE, inbox.name, exc.reason, now)
        raise
    store.observations.record_unchanged(INBOX_SOURCE, inbox.name, {}, now)
    return report
