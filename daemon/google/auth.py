"""Google authorization: the installed-app OAuth flow, the saved token, service accounts.

Two ways in, as ``[calendar.google]`` says:

- ``token``: a user's authorization, saved by ``cadence auth google`` (the
  installed-app flow of google-auth-oauthlib, offline access, consent asked
  every time so Google hands out a refresh token). The token JSON lives in a
  0600 file, or comes from systemd's ``$CREDENTIALS_DIRECTORY/google-token``.
  Access tokens are refreshed as they expire; the refreshed token is written
  back atomically when it came from a file cadence may write.
- ``service_account`` + ``subject``: a Workspace service account with
  domain-wide delegation, acting as the owner.

A refresh token Google no longer accepts (revoked, expired, or unused for six
months: ``invalid_grant``) raises :class:`GoogleAuthError`, whose message
tells the user to run ``cadence auth google`` again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import google.auth.exceptions
from cadence.daemon.core.errors import CadenceError, ConfigError, Problem
from cadence.daemon.credentials import require_private, write_secret
from cadence.daemon.google.settings import GoogleConfig
from google.auth.credentials import Credentials as BaseCredentials
from google.auth.transport.requests import Request
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

log = logging.getLogger(__name__)

SCOPES = (
    # Read and write events (series, moved instances, attachments).
    "https://www.googleapis.com/auth/calendar.events",
    # freebusy.query: calendar.events alone does not allow it.
    "https://www.googleapis.com/auth/calendar.freebusy",
    # Only the files cadence itself creates: the agenda documents.
    "https://www.googleapis.com/auth/drive.file",
)
CREDENTIAL_NAME = "google-token"
REAUTHORIZE = "run `cadence auth google` again"


def google_root(env: dict[str, str] | None = None) -> str | None:
    """Return the root URL of Google's APIs when $CADENCE_GOOGLE_ROOT moves them
    (to a local emulator or a proxy), else None: the real services."""
    env = dict(os.environ) if env is None else env
    root = env.get("CADENCE_GOOGLE_ROOT", "").strip()
    if not root:
        return None
    return root if root.endswith("/") else root + "/"


class GoogleAuthError(CadenceError):
    """Google no longer accepts the saved authorization; only the user can fix it."""


def _revoked(exc: google.auth.exceptions.RefreshError) -> bool:
    return "invalid_grant" in str(exc)


class TokenSource:
    """Where the user's token is read from, and whether refreshed tokens are saved."""

    def __init__(self, google: GoogleConfig, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if env is None else env
        directory = env.get("CREDENTIALS_DIRECTORY")
        systemd = Path(directory) / CREDENTIAL_NAME if directory else None
        if systemd is not None and systemd.is_file():
            # Handed over read-only by systemd: refreshed access tokens stay in memory.
            self.path, self.writable = systemd, False
        elif google.token is not None:
            self.path, self.writable = google.token, True
        else:
            raise ConfigError(
                [
                    Problem(
                        "calendar.google.token", "missing; set it, then run `cadence auth google`"
                    )
                ]
            )

    def load(self, token_uri: str | None = None) -> user_credentials.Credentials:
        try:
            if self.writable:
                # systemd's credentials are private by construction; a file is checked.
                require_private(self.path, "calendar.google.token")
            info = json.loads(self.path.read_text(encoding="utf-8"))
            creds: user_credentials.Credentials = (
                # The scopes granted, as saved: a refresh asking for others is refused.
                user_credentials.Credentials.from_authorized_user_info(info)
            )
        except FileNotFoundError:
            raise GoogleAuthError(
                f"no Google authorization at {self.path}; run `cadence auth google`"
            ) from None
        except (OSError, ValueError) as exc:
            raise GoogleAuthError(
                f"{self.path} is not a usable Google token ({exc}); {REAUTHORIZE}"
            ) from None
        # google-auth always sends refreshes to Google's token endpoint; a local
        # emulator or proxy ($CADENCE_GOOGLE_ROOT) gets them instead.
        return creds.with_token_uri(token_uri) if token_uri else creds

    def save(self, creds: user_credentials.Credentials) -> None:
        if self.writable:
            write_secret(self.path, creds.to_json())


def load_credentials(google: GoogleConfig, env: dict[str, str] | None = None) -> BaseCredentials:
    """Given ``[calendar.google]``, return fresh credentials; raise GoogleAuthError
    when Google refuses them and ConfigError when the config is incomplete."""
    if google.service_account is not None:
        if not google.subject:
            raise ConfigError(
                [Problem("calendar.google.subject", "missing; the account to act as (your email)")]
            )
        try:
            delegated: service_account.Credentials = (
                service_account.Credentials.from_service_account_file(
                    str(google.service_account), scopes=list(SCOPES)
                ).with_subject(google.subject)
            )
        except (OSError, ValueError) as exc:
            raise ConfigError(
                [Problem("calendar.google.service_account", f"cannot use it: {exc}")]
            ) from None
        refresh(delegated, describe=f"the service account acting as {google.subject}")
        return delegated
    source = TokenSource(google, env)
    root = google_root(env)
    creds = source.load(f"{root}token" if root else None)
    if not creds.valid:
        refresh(creds, describe=str(source.path))
        source.save(creds)
    return creds


def refused(exc: google.auth.exceptions.RefreshError, describe: str) -> GoogleAuthError:
    """Return the error to raise when Google would not renew an authorization."""
    if _revoked(exc) or "unauthorized_client" in str(exc):
        return GoogleAuthError(
            f"Google refused the authorization in {describe} (expired or revoked); {REAUTHORIZE}"
        )
    return GoogleAuthError(f"Google did not renew the authorization in {describe}: {exc}")


def refresh(creds: BaseCredentials, *, describe: str) -> None:
    """Refresh ``creds`` now; raise GoogleAuthError when Google refuses for good."""
    try:
        creds.refresh(Request())
    except google.auth.exceptions.RefreshError as exc:
        raise refused(exc, describe) from None
    except google.auth.exceptions.TransportError as exc:
        raise CadenceError(f"cannot reach Google's token service: {exc}") from None


def authorize(
    client_secrets: Path,
    token_path: Path,
    *,
    open_browser: bool,
    say: Callable[[str], None],
    browser: str | None = None,
) -> user_credentials.Credentials:
    """Run the installed-app flow: a local redirect server on a free loopback port,
    the user consents in a browser, and the token is saved (0600) at ``token_path``."""
    from google_auth_oauthlib.flow import InstalledAppFlow  # only this command needs it

    if not client_secrets.is_file():
        raise ConfigError(
            [
                Problem(
                    "calendar.google.client_secrets",
                    f"{client_secrets} does not exist; download the OAuth client "
                    "(type Desktop app) from the Google Cloud console there",
                )
            ]
        )
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(SCOPES))
    except ValueError as exc:
        raise ConfigError(
            [Problem("calendar.google.client_secrets", f"not an installed-app client: {exc}")]
        ) from None
    message = (
        "Open this address in a browser, sign in as the calendar's owner and allow "
        "access:\n\n    {url}\n"
        if not open_browser
        else "A browser window asks you to allow access. If none opens, open:\n\n    {url}\n"
    )
    creds: user_credentials.Credentials = flow.run_local_server(
        host="localhost",
        port=0,
        open_browser=open_browser,
        browser=browser,
        authorization_prompt_message=message,
        success_message="cadence is authorized. You can close this window.",
        access_type="offline",
        prompt="consent",
    )
    if not creds.refresh_token:
        raise GoogleAuthError("Google returned no refresh token; run `cadence auth google` again")
    write_secret(token_path, creds.to_json())
    say(f"Saved the authorization to {token_path} (mode 0600).")
    return creds
