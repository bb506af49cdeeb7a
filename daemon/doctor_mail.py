"""Doctor's checks of mail: the transport that sends (a delivery's connection and
login, nothing sent), the inbox replies are read from (nothing read or marked),
and the outbox's emails that need the owner's word."""

from __future__ import annotations

import sqlite3

from cadence.daemon.core.errors import CadenceError, ConfigError, MailError, SourceError
from cadence.daemon.doctor_outcomes import Outcome, config_file, failed, passed, writable_fix
from cadence.daemon.engine import Engine
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.mail_words import EXAMPLE_HOST, mail_problem

_SECURITY = {"starttls": "STARTTLS", "ssl": "TLS", "none": "no TLS"}


def check_mail(engine: Engine) -> Outcome:
    """Connect to the mail transport as a delivery would, without sending anything."""
    email = engine.config.email
    if email.transport == "smtp" and email.smtp.host == EXAMPLE_HOST:
        return failed(
            f"{EXAMPLE_HOST} in email.smtp.host: this is the example address",
            f"put your mail server into email.smtp.host in {config_file(engine)} "
            '(or send into a Maildir: email.transport = "maildir")',
        )
    try:
        transport = engine.transport
        transport.check()
    except CadenceError as exc:
        if email.transport == "maildir":
            return failed(str(exc), writable_fix(email.maildir, "email.maildir.path", engine))
        if isinstance(exc, MailError):
            said = mail_problem(exc, transport.name, email.smtp)
            return failed(said, _smtp_fix(said, engine))
        return failed(str(exc), _smtp_fix(str(exc), engine))
    if isinstance(transport, MaildirTransport):
        return passed(f"{transport.path.absolute()} (writable)")
    smtp = email.smtp
    security = _SECURITY.get(smtp.security, smtp.security)
    login = f"logged in as {smtp.username}" if smtp.username else "no login"
    return passed(f"{smtp.host}:{smtp.port} ({security}, {login})")


def _smtp_fix(message: str, engine: Engine) -> str:
    config = config_file(engine)
    if "password_file" in message:  # the password file is missing or readable by others
        return f"fix email.smtp.password_file in {config}, or set $CADENCE_SMTP_PASSWORD"
    # The transport's words for a refused login, or a server with no AUTH at all.
    if "login as " in message or "cannot log in" in message:
        return (
            f"check email.smtp.username in {config} and the password "
            "(email.smtp.password_file, $CADENCE_SMTP_PASSWORD or the smtp-password credential)"
        )
    later = "try again later; if it persists, " if "will retry" in message else ""
    return (
        f"{later}check email.smtp.host, port and security in {config}, and that the mail "
        "server is up"
    )


def check_inbox(engine: Engine) -> Outcome:
    """Connect to the inbox, log in and open its folder; read and mark nothing."""
    try:
        inbox = engine.inbox
        detail = inbox.check()
    except ConfigError as exc:  # the password file is missing or readable by others
        return failed(str(exc), _inbox_fix(str(exc), engine))
    except SourceError as exc:
        return failed(str(exc), _inbox_fix(exc.reason, engine))
    imap = engine.config.email.inbox.imap
    if imap is not None:
        security = _SECURITY.get(imap.security, imap.security)
        return passed(f"{inbox.name} ({security}, logged in as {imap.username}): {detail}")
    return passed(detail)


def _inbox_fix(message: str, engine: Engine) -> str:
    config = config_file(engine)
    if engine.config.email.inbox.transport == "maildir":
        return f"check email.inbox.maildir.path in {config}: it must be a Maildir cadence can write"
    if "password_file" in message:
        return f"fix the password file named in {config}, or set $CADENCE_IMAP_PASSWORD"
    if "login as " in message or "refuses logins" in message:
        return (
            f"check email.inbox.imap.username in {config} and the password "
            "(email.inbox.imap.password_file, $CADENCE_IMAP_PASSWORD or the imap-password "
            "credential; without one, the SMTP password is used)"
        )
    if "folder" in message:
        return f"check email.inbox.imap.folder in {config}: that folder must exist"
    return (
        f"check email.inbox.imap.host, port and security in {config}, "
        "and that the mail server is up"
    )


def check_outbox(engine: Engine) -> Outcome:
    """Say which emails need the owner's word: unconfirmed ones (they may or may
    not have arrived) and failed ones (refused, or tried too often)."""
    try:
        found = engine.outbox()
    except (CadenceError, sqlite3.Error) as exc:
        return failed(f"cannot read the outbox: {exc}", "see the state check above")
    unsure = [e for e in found if e.status == "unconfirmed"]
    refused = [e for e in found if e.status == "failed"]
    waiting = len(found) - len(unsure) - len(refused)
    if not unsure and not refused:
        return passed(f"{waiting} email{'' if waiting == 1 else 's'} waiting; none unconfirmed")
    details, fixes = [], []
    if unsure:
        details.append(
            f"{len(unsure)} may or may not have arrived: " + "; ".join(e.describe() for e in unsure)
        )
        fixes.append(
            "check with the recipients; "
            + ", ".join(f"`{e.resend_command}`" for e in unsure)
            + " sends it again; "
            + ", ".join(f"`{e.confirm_command}`" for e in unsure)
            + " records it arrived"
        )
    if refused:
        details.append(
            f"{len(refused)} not delivered: "
            + "; ".join(f"{e.describe()} ({e.last_error})" for e in refused)
        )
        fixes.append("fix the cause, then " + ", ".join(f"`{e.resend_command}`" for e in refused))
    return failed("; ".join(details), "; ".join(fixes))
