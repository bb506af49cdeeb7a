"""Everything the emulator remembers, behind one lock.

Users with their primary calendars, OAuth clients and tokens, Drive files and
Docs documents, sync and page tokens, injected faults, the call log and the
notifications Google would have sent. Request handlers and the test-facing
methods of ``GoogleEmulator`` all hold ``State.lock`` while they read or write.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .calendars import Calendar
from .clock import Clock
from .documents import Document
from .sync import Page, SyncPoint


@dataclass(frozen=True)
class Call:
    """One API call as the emulator received it (an inner call of a batch is its own Call).

    ``query`` maps each parameter to its value, or to a list when it was repeated.
    ``response`` is the JSON body answered (None for empty or non-JSON bodies).
    """

    method_id: str
    http_method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int
    in_batch: bool
    user: str | None
    response: Any = None


@dataclass
class Fault:
    """An error to answer instead of running the next ``times`` calls of ``method_id``."""

    method_id: str
    status: int
    reason: str | None
    times: int
    retry_after: int | None
    # The call takes effect before the error is answered (a 5xx after the work was
    # done, or an answer lost on the way): a retry meets what the first try made.
    after: bool = False


@dataclass(frozen=True)
class Notification:
    """An email Google would send attendees (events written with sendUpdates=all|externalOnly)."""

    calendar_id: str
    event_id: str
    method_id: str
    send_updates: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth client: an installed app, or a service account (with its public key)."""

    client_id: str
    client_secret: str | None = None
    client_email: str | None = None
    key_id: str | None = None
    public_key_pem: bytes | None = None


@dataclass
class RefreshToken:
    token: str
    user: str
    scopes: frozenset[str]
    client_id: str
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    user: str
    scopes: frozenset[str]
    client_id: str
    expires_at: datetime
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    user: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    offline: bool
    consent: bool
    code_challenge: str | None
    challenge_method: str | None


@dataclass(frozen=True)
class DrivePermission:
    """A share created by permissions.create (``notified``: whether Google would email)."""

    file_id: str
    id: str
    type: str
    role: str
    email_address: str | None
    notified: bool
    email_message: str | None


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    owner: str
    created_by_client: str | None
    created: datetime
    modified: datetime
    content: bytes = b""
    version: int = 1
    permissions: list[DrivePermission] = field(default_factory=list)
    # Private to the app that set them, as Drive keeps appProperties.
    app_properties: dict[str, str] = field(default_factory=dict)


@dataclass
class Settings:
    """Limits Google does not document precisely; tests may change them."""

    freebusy_max_days: int = 62
    freebusy_max_calendars: int = 50
    expansion_horizon: timedelta = timedelta(days=730)
    access_token_lifetime: timedelta = timedelta(seconds=3599)
    batch_limits: dict[str, int] = field(default_factory=lambda: {"calendar": 1000, "drive": 100})
    # Google guarantees a deleted event in a listing only its id: with this set, every
    # cancelled item is just {"id", "status"} (no recurringEventId or originalStartTime).
    id_only_cancellations: bool = False
    # The status Docs answers for a batchUpdate pinned to a revision that is no longer
    # the latest (a 400 either way; Google's exact status is unverified).
    stale_revision_status: str = "INVALID_ARGUMENT"


class State:
    """The emulator's memory. Hold ``lock`` while touching anything here."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.settings = Settings()
        self.users: dict[str, str] = {}  # lower-cased email -> email as added
        self.aliases: dict[str, str] = {}  # lower-cased alias -> the user's email
        self.calendars: dict[str, Calendar] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.auth_codes: dict[str, AuthCode] = {}
        self.consented: set[tuple[str, str]] = set()  # (user, client_id) that saw a consent
        self.consent_user: str | None = None
        self.deny_consent = False
        self.files: dict[str, DriveFile] = {}
        self.documents: dict[str, Document] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.notifications: list[Notification] = []
        self.sync_points: dict[str, SyncPoint] = {}
        self.pages: dict[str, Page] = {}

    def user(self, email: str) -> str | None:
        """The user registered under ``email`` or one of their aliases (case-insensitive),
        or None (an address without a Google account)."""
        return self.users.get(email.lower()) or self.aliases.get(email.lower())

    def take_fault(self, method_id: str) -> Fault | None:
        """The fault due for this call of ``method_id``, counting it down."""
        for fault in self.faults:
            if fault.method_id == method_id and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def issue_access_token(
        self, user: str, scopes: frozenset[str], client_id: str, refresh_token: str | None
    ) -> AccessToken:
        token = AccessToken(
            token=self.clock.token("ya29.emu-"),
            user=user,
            scopes=scopes,
            client_id=client_id,
            expires_at=self.clock.now() + self.settings.access_token_lifetime,
            refresh_token=refresh_token,
        )
        self.access_tokens[token.token] = token
        return token
