"""Google authorization against the emulator: the installed-app flow of `cadence auth
google`, the saved token (0600, refreshed, from systemd credentials), a revoked
refresh token, and a service account acting as the owner."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import webbrowser
from pathlib import Path

import pytest
from cadence.cli.main import cli
from cadence.daemon.google.auth import SCOPES, GoogleAuthError, load_credentials
from cadence.daemon.google.settings import GoogleConfig
from click.testing import CliRunner

from tests.google_emulator import ConsentingBrowser, GoogleEmulator
from tests.support.configs import write_config
from tests.support.google_world import OWNER

pytestmark = pytest.mark.slow


def at(google: GoogleEmulator) -> dict[str, str]:
    """The environment that points cadence at the emulator instead of Google."""
    return {"CADENCE_GOOGLE_ROOT": google.root}


def token_file(google: GoogleEmulator, path: Path) -> Path:
    creds = google.user_credentials(OWNER, scopes=list(SCOPES))
    path.write_text(creds.to_json(), encoding="utf-8")
    path.chmod(0o600)
    return path


def config(tmp_path: Path, google: GoogleEmulator) -> Path:
    secrets = google.client_secrets(tmp_path / "client_secret.json")
    google_calendar = {"client_secrets": secrets.name, "token": "google-token.json"}
    return write_config(
        tmp_path,
        {
            "state": None,
            "calendar": {"backend": "google", "google": google_calendar},
            "agenda": {"backend": "none"},
        },
    )


def test_auth_google_runs_the_consent_flow_and_saves_a_private_token(
    google: GoogleEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the emulator speaks http
    webbrowser.register("consenting", None, ConsentingBrowser("consenting"), preferred=True)
    path = config(tmp_path, google)
    result = CliRunner().invoke(cli, ["--config", str(path), "auth", "google"])
    assert result.exit_code == 0, result.output
    token = tmp_path / "google-token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    saved = json.loads(token.read_text())
    assert saved["refresh_token"]
    assert set(saved["scopes"]) >= {
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.freebusy",
        "https://www.googleapis.com/auth/drive.file",
    }
    assert f"Saved the authorization to {token}" in result.output
    # The refresh token never shows on the terminal.
    assert saved["refresh_token"] not in result.output


def test_auth_google_without_a_browser_prints_the_address(
    google: GoogleEmulator, tmp_path: Path
) -> None:
    path = config(tmp_path, google)
    process = subprocess.Popen(
        [sys.executable, "-m", "cadence.cli", "--config", str(path), "auth", "google", "-n"],
        env={**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    shown = []
    for line in process.stdout:
        shown.append(line)
        address = line.strip()
        if address.startswith(google.auth_uri):
            # The user pastes the address into a browser on another machine.
            ConsentingBrowser().open(address)
            break
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Open this address in a browser" in "".join(shown)
    assert (tmp_path / "google-token.json").is_file()


def test_an_expired_access_token_is_refreshed_and_saved(
    google: GoogleEmulator, tmp_path: Path
) -> None:
    token = token_file(google, tmp_path / "token.json")
    before = json.loads(token.read_text())
    google.expire_access_tokens()
    creds = load_credentials(GoogleConfig("primary", None, token, None, None), env=at(google))
    assert creds.valid
    after = json.loads(token.read_text())
    assert after["token"] and after["token"] != before.get("token")
    assert after["refresh_token"] == before["refresh_token"]
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert [c.method_id for c in google.calls] == ["token"]


def test_a_token_from_systemd_credentials_is_used_and_left_alone(
    google: GoogleEmulator, tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    token = token_file(google, credentials / "google-token")
    token.chmod(0o400)
    before = token.read_text()
    google.expire_access_tokens()
    creds = load_credentials(
        GoogleConfig("primary", None, tmp_path / "absent.json", None, None),
        env={"CREDENTIALS_DIRECTORY": str(credentials), **at(google)},
    )
    assert creds.valid
    assert token.read_text() == before  # read-only: the fresh access token stays in memory


def test_a_revoked_refresh_token_says_to_authorize_again(
    google: GoogleEmulator, tmp_path: Path
) -> None:
    token = token_file(google, tmp_path / "token.json")
    google.revoke(OWNER)
    google.expire_access_tokens()
    with pytest.raises(GoogleAuthError) as caught:
        load_credentials(GoogleConfig("primary", None, token, None, None), env=at(google))
    message = str(caught.value)
    assert "run `cadence auth google` again" in message
    assert json.loads(token.read_text())["refresh_token"] not in message


def test_a_missing_or_open_token_file_is_a_clear_error(
    google: GoogleEmulator, tmp_path: Path
) -> None:
    with pytest.raises(GoogleAuthError, match="run `cadence auth google`"):
        load_credentials(
            GoogleConfig("primary", None, tmp_path / "none.json", None, None), at(google)
        )
    token = token_file(google, tmp_path / "token.json")
    token.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        load_credentials(GoogleConfig("primary", None, token, None, None), env=at(google))


def test_a_service_account_acts_as_the_owner(google: GoogleEmulator, tmp_path: Path) -> None:
    key = google.service_account_file(tmp_path / "sa.json")
    creds = load_credentials(GoogleConfig("primary", None, None, key, OWNER), env=at(google))
    assert creds.valid
    calendar = google.service("calendar", "v3", creds)
    listing = calendar.events().list(calendarId="primary").execute()
    assert listing["summary"] == OWNER
    assert google.calls_to("calendar.events.list")[0].user == OWNER
