"""Secrets: where they come from, and the 0600 rule."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cadence.daemon.core.errors import ConfigError
from cadence.daemon.credentials import credential, write_secret

KEY = "email.smtp.password_file"


def test_the_environment_wins(tmp_path: Path) -> None:
    env = {"CADENCE_SMTP_PASSWORD": "from-env", "CREDENTIALS_DIRECTORY": str(tmp_path)}
    (tmp_path / "smtp-password").write_text("from-systemd")
    assert credential("smtp-password", "CADENCE_SMTP_PASSWORD", None, KEY, env) == "from-env"


def test_systemd_credentials_come_next(tmp_path: Path) -> None:
    (tmp_path / "smtp-password").write_text("from-systemd\n")
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    assert credential("smtp-password", "CADENCE_SMTP_PASSWORD", None, KEY, env) == "from-systemd"


def test_a_private_file_is_read_and_an_open_one_refused(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    write_secret(secret, "s3cret\n")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert credential("smtp-password", "X", secret, KEY, {}) == "s3cret"
    secret.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        credential("smtp-password", "X", secret, KEY, {})
    assert "chmod 600" in str(caught.value) and KEY in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_missing_file_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=KEY):
        credential("smtp-password", "X", tmp_path / "nope", KEY, {})


def test_write_secret_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "token.json"
    write_secret(target, "one")
    write_secret(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["token.json"]


def test_an_empty_systemd_credential_falls_through_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "smtp-password").write_text("\n")
    secret = tmp_path / "password"
    write_secret(secret, "from-file")
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    assert credential("smtp-password", "X", secret, KEY, env) == "from-file"
    assert credential("smtp-password", "X", None, KEY, env) is None
