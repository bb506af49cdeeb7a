"""``GoogleEmulator``: start the server, build real clients for it, steer and inspect it."""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document

from . import event_writes, invitations, oauth
from .calendars import Calendar, render
from .documents import Document, from_text
from .schemas import discovery
from .server import EmulatorServer
from .state import (
    Call,
    DriveFile,
    DrivePermission,
    Fault,
    Notification,
    OAuthClient,
    RefreshToken,
    Settings,
    State,
)

SCOPE = "https://www.googleapis.com/auth/"
DEFAULT_SCOPES = (SCOPE + "calendar", SCOPE + "drive.file")
CLIENT_ID = "emulator-client-1.apps.googleusercontent.com"
CLIENT_SECRET = "emulator-client-secret"


class GoogleEmulator:
    """Calendar v3, Drive v3, Docs v1 and Google OAuth, served on 127.0.0.1.

    Use as a context manager (or ``start()``/``stop()``). See the package
    docstring for the whole public API.
    """

    def __init__(self) -> None:
        self._state = State()
        self._server = EmulatorServer(self._state)
        self._state.clients[CLIENT_ID] = OAuthClient(CLIENT_ID, CLIENT_SECRET)
        self._service_account: dict[str, Any] | None = None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> GoogleEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> GoogleEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT/``: the rootUrl the real client is built with."""
        return self._server.root

    @property
    def token_uri(self) -> str:
        return self.root + "token"

    @property
    def auth_uri(self) -> str:
        return self.root + "auth"

    @property
    def now(self) -> datetime:
        """The emulator's clock: a fixed instant once set, else the real UTC time."""
        return self._state.clock.now()

    @now.setter
    def now(self, value: datetime | None) -> None:
        if value is not None and value.tzinfo is None:
            raise ValueError("the emulator's clock needs an aware datetime")
        self._state.clock.fixed = value

    @property
    def settings(self) -> Settings:
        """Limits Google leaves undocumented (free/busy range, expansion horizon, ...)."""
        return self._state.settings

    # -- users, clients, credentials -------------------------------------------

    def add_user(self, email: str, timezone: str = "UTC", aliases: tuple[str, ...] = ()) -> str:
        """Register a user and their primary calendar (its id is ``email``). ``aliases``
        are other addresses of the same account: invitations to them land in this
        calendar, and Google marks them ``self`` there."""
        with self._state.lock:
            self._state.users[email.lower()] = email
            for alias in aliases:
                self._state.aliases[alias.lower()] = email
            calendar = Calendar(email, email, timezone, aliases=tuple(aliases), summary=email)
            self._state.calendars[email.lower()] = calendar
        return email

    def add_alias(self, email: str, alias: str) -> None:
        """Give a user's account another address (invitations to it land with them)."""
        with self._state.lock:
            user = self._known(email)
            self._state.aliases[alias.lower()] = user
            calendar = self._calendar(user)
            calendar.aliases = (*calendar.aliases, alias)

    def add_calendar(self, owner: str, summary: str, timezone: str = "UTC") -> str:
        """Give ``owner`` a secondary calendar; return its id (``...@group.calendar.google.com``).
        Events made there are organized by the calendar itself."""
        with self._state.lock:
            user = self._known(owner)
            number = self._state.clock.next()
            calendar_id = f"c_{number:04d}emu@group.calendar.google.com"
            self._state.calendars[calendar_id] = Calendar(
                calendar_id, user, timezone, summary=summary, secondary=True
            )
        return calendar_id

    def add_room(self, email: str, name: str, timezone: str = "UTC") -> str:
        """A bookable room (a resource calendar): listed as an attendee it is marked
        ``resource: true``, accepts at once, and its calendar holds the booking."""
        with self._state.lock:
            self._state.calendars[email.lower()] = Calendar(
                email, email, timezone, summary=name, resource=True
            )
        return email

    def service(self, api: str, version: str, credentials: Any) -> Any:
        """A real google-api-python-client Resource for ``api`` whose every URL is here.

        ``credentials=None`` builds a client that sends no Authorization header.
        """
        document = copy.deepcopy(discovery(api, version))
        document["rootUrl"] = self.root
        document.pop("mtlsRootUrl", None)
        if credentials is None:
            return build_from_document(document, http=httplib2.Http())
        return build_from_document(document, credentials=credentials)

    def user_credentials(
        self, email: str, scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES
    ) -> Credentials:
        """Credentials holding a refresh token the emulator issued to ``email`` (no access
        token yet: the first call refreshes)."""
        with self._state.lock:
            user = self._known(email)
            token = self._state.clock.token("1//0emu")
            self._state.refresh_tokens[token] = RefreshToken(
                token, user, frozenset(scopes), CLIENT_ID
            )
        return Credentials(
            token=None,
            refresh_token=token,
            token_uri=self.token_uri,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=list(scopes),
        )

    def client_secrets(self, path: Path | str) -> Path:
        """Write an installed-app client secrets file whose auth and token URIs are here."""
        secrets = {
            "installed": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "project_id": "emulator-project",
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": ["http://localhost"],
            }
        }
        return _write_json(Path(path), secrets)

    def service_account_file(self, path: Path | str) -> Path:
        """Write a service-account key file (a fresh RSA key) with token_uri here."""
        with self._state.lock:
            if self._service_account is None:
                self._service_account = oauth.new_service_account(self._state)
            key = dict(self._service_account, token_uri=self.token_uri)
        return _write_json(Path(path), key)

    @property
    def consent_user(self) -> str | None:
        """Who signs in on the consent page (default: ``login_hint``, else the first user)."""
        return self._state.consent_user

    @consent_user.setter
    def consent_user(self, email: str | None) -> None:
        self._state.consent_user = email

    @property
    def deny_consent(self) -> bool:
        """When true the consent page answers ``error=access_denied``."""
        return self._state.deny_consent

    @deny_consent.setter
    def deny_consent(self, value: bool) -> None:
        self._state.deny_consent = value

    def revoke(self, refresh_token_or_user: str) -> None:
        """Revoke one refresh token, or every token of a user, with their access tokens."""
        key = refresh_token_or_user
        with self._state.lock:
            for refresh in self._state.refresh_tokens.values():
                if key in (refresh.token, refresh.user):
                    refresh.revoked = True
            for access in self._state.access_tokens.values():
                if key in (access.refresh_token, access.user):
                    access.revoked = True

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired: the next call answers 401."""
        with self._state.lock:
            for access in self._state.access_tokens.values():
                access.expires_at = min(access.expires_at, self._state.clock.now())

    # -- what people do in their calendars (not logged as API calls) -----------

    def create_event(
        self, calendar_id: str, body: dict[str, Any], organizer: str | None = None
    ) -> dict[str, Any]:
        """Create an event as the calendar's owner would in the web UI (any event type,
        birthdays and Gmail's events included); attendees with a calendar here get
        their copy. With ``organizer`` (an address from outside) it is an invitation
        someone else sent: it lands on this calendar alone."""
        with self._state.lock:
            calendar = self._calendar(calendar_id)
            event = event_writes.insert(
                calendar,
                self._state.clock,
                body,
                creator=organizer or calendar.owner,
                attachments=True,
                organizer=organizer,
                any_type=True,
            )
            invitations.propagate(self._state, calendar, event)
            return render(event, calendar, calendar.tz, brief=False)

    def cancel_instance(self, calendar_id: str, master_id: str, original_start: datetime) -> None:
        """Delete one instance of a series (it becomes a cancelled exception)."""
        with self._state.lock:
            calendar = self._calendar(calendar_id)
            instance = event_writes.instance_at(
                calendar, self._state.clock, master_id, original_start
            )
            deleted = event_writes.delete(calendar, self._state.clock, instance.id)
            invitations.propagate(self._state, calendar, deleted)

    def move_instance(
        self,
        calendar_id: str,
        master_id: str,
        original_start: datetime,
        new_start: datetime,
        new_end: datetime,
    ) -> None:
        """Move one instance of a series to new times."""
        with self._state.lock:
            calendar = self._calendar(calendar_id)
            moved = event_writes.move_instance(
                calendar, self._state.clock, master_id, original_start, new_start, new_end
            )
            invitations.propagate(self._state, calendar, moved)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event (a master: the whole series)."""
        with self._state.lock:
            calendar = self._calendar(calendar_id)
            deleted = event_writes.delete(calendar, self._state.clock, event_id)
            invitations.propagate(self._state, calendar, deleted)

    def respond(
        self,
        calendar_id: str,
        event_id: str,
        attendee_email: str,
        status: str,
        instance_start: datetime | None = None,
    ) -> None:
        """An attendee answers (declined, accepted, tentative, needsAction) for the whole
        event or, with ``instance_start``, for one instance of a series. The answer
        is recorded on the organizer's event (when its calendar is here) and so
        reaches every copy."""
        with self._state.lock:
            calendar = invitations.home_of(self._state, self._calendar(calendar_id), event_id)
            answered = event_writes.respond(
                calendar, self._state.clock, event_id, attendee_email, status, instance_start
            )
            invitations.propagate(self._state, calendar, calendar.events[event_id])
            del answered  # an instance's answer is an exception of the event just propagated

    def invalidate_sync_tokens(self, calendar_id: str) -> None:
        """Every sync token issued for the calendar so far answers 410 fullSyncRequired."""
        with self._state.lock:
            self._calendar(calendar_id).sync_epoch += 1

    def hide_calendar(self, email: str) -> None:
        """free/busy answers notFound for this calendar (as for one not shared with you)."""
        with self._state.lock:
            self._calendar(email).hidden = True

    def create_document(self, owner: str, title: str, text: str = "") -> str:
        """A Google Doc the user made themselves (not by the app: drive.file cannot see it)."""
        with self._state.lock:
            now = self._state.clock.now()
            file = DriveFile(
                self._state.clock.file_id(),
                title,
                "application/vnd.google-apps.document",
                self._known(owner),
                None,
                now,
                now,
            )
            self._state.files[file.id] = file
            self._state.documents[file.id] = from_text(file.id, title, text)
            return file.id

    # -- faults and the call log ----------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        reason: str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        *,
        after: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (a discovery method id, "token",
        "auth" or "batch") with an error in Google's shape for that API. With ``after``
        the call takes effect first (Google did the work; only the answer failed)."""
        with self._state.lock:
            self._state.faults.append(Fault(method, status, reason, times, retry_after, after))

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in order (a batch: the envelope, then each inner call)."""
        with self._state.lock:
            return list(self._state.calls)

    def calls_to(self, method_id: str) -> list[Call]:
        return [call for call in self.calls if call.method_id == method_id]

    def reset_calls(self) -> None:
        with self._state.lock:
            self._state.calls.clear()

    # -- inspection -------------------------------------------------------------

    def events(self, calendar_id: str, include_cancelled: bool = False) -> list[dict[str, Any]]:
        """The stored events (singles, masters, exceptions) as their owner sees them."""
        with self._state.lock:
            calendar = self._calendar(calendar_id)
            return [
                render(e, calendar, calendar.tz, brief=False)
                for e in calendar.events.values()
                if include_cancelled or not e.cancelled
            ]

    def instances(
        self, calendar_id: str, master_id: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """The live instances of a series overlapping ``[start, end)``, exceptions applied."""
        with self._state.lock:
            calendar = self._calendar(calendar_id)
            master = calendar.events[master_id]
            return [
                render(e, calendar, calendar.tz, brief=False)
                for e in calendar.expand(master, start.astimezone(UTC), end.astimezone(UTC))
                if not e.cancelled
            ]

    def documents(self) -> list[dict[str, Any]]:
        """Every Google Doc, as documents.get returns it."""
        with self._state.lock:
            return [d.resource() for d in self._state.documents.values()]

    def add_comment(self, doc_id: str, quoted: str, text: str) -> None:
        """Someone comments on ``quoted`` (text in the document): the plain-text export
        then marks it ``[a]`` and lists the comment at the end, as Drive's does."""
        with self._state.lock:
            self._state.documents[doc_id].comments.append((quoted, text))

    def document_text(self, doc_id: str) -> str:
        """A document's body text, paragraphs ending in "\\n" (no export BOM or CRLF)."""
        with self._state.lock:
            document: Document = self._state.documents[doc_id]
            return document.text

    def permissions(self, file_id: str) -> list[DrivePermission]:
        with self._state.lock:
            return list(self._state.files[file_id].permissions)

    @property
    def sent_notifications(self) -> list[Notification]:
        with self._state.lock:
            return list(self._state.notifications)

    # -- helpers ------------------------------------------------------------

    def _calendar(self, calendar_id: str) -> Calendar:
        calendar = self._state.calendars.get(calendar_id.lower())
        if calendar is None:
            raise KeyError(f"no calendar {calendar_id!r}; add_user() first")
        return calendar

    def _known(self, email: str) -> str:
        user = self._state.user(email)
        if user is None:
            raise KeyError(f"no user {email!r}; add_user() first")
        return user


def _write_json(path: Path, value: dict[str, Any]) -> Path:
    """Write a credentials file readable by its owner only, as real ones should be."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(value, handle, indent=2)
    return path
