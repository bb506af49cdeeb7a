"""The [email.inbox] settings, where replies go, and where the IMAP password comes from."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cadence.daemon.config import Config, load_config
from cadence.daemon.core.errors import ConfigError, UsageError
from cadence.daemon.inbox import build_inbox
from cadence.daemon.mail.imap import ImapInbox
from cadence.daemon.mail.maildir_inbox import MaildirInbox

from tests.support.configs import by_smtp, write_config

FEED = {"calendar": {"ics": {"url": "feeds/me.ics"}}}


def load(tmp_path: Path, email: dict[str, Any]) -> Config:
    return load_config(write_config(tmp_path, FEED, {"email": email}), env={})


def imap(**settings: Any) -> dict[str, Any]:
    return {"inbox": {"transport": "imap", "imap": {"host": "imap.example.com", **settings}}}


def test_without_an_inbox_nobody_is_asked_to_reply(tmp_path: Path) -> None:
    config = load(tmp_path, {})
    assert not config.email.inbox.enabled
    assert config.email.reply_to is None
    with pytest.raises(UsageError, match="no inbox is configured"):
        build_inbox(config)


def test_the_imap_login_defaults_to_the_smtp_one(tmp_path: Path) -> None:
    smtp = by_smtp(host="smtp.example.com", username="olivia@example.com")
    config = load(tmp_path, {**smtp, **imap()})
    settings = config.email.inbox.imap
    assert settings is not None
    assert (settings.username, settings.port, settings.security) == (
        "olivia@example.com",
        993,
        "ssl",
    )
    assert settings.folder == "INBOX" and settings.timeout == timedelta(seconds=30)
    assert settings.shares_smtp_password
    # The login is an address: replies go to that mailbox.
    assert config.email.reply_to == "olivia@example.com"
    assert config.email.inbox.after == "mark"


def test_replies_go_to_the_sender_when_the_login_is_no_address(tmp_path: Path) -> None:
    settings = imap(username="olivia", port=143, security="starttls")
    config = load(tmp_path, {"from": "cadence@example.com", **settings})
    assert config.email.reply_to == "cadence@example.com"
    assert config.email.inbox.imap is not None and config.email.inbox.imap.port == 143


def test_reply_to_said_is_reply_to_used(tmp_path: Path) -> None:
    config = load(
        tmp_path, {"reply_to": "replies@example.com", **imap(username="olivia@example.com")}
    )
    assert config.email.reply_to == "replies@example.com"


def test_a_maildir_inbox(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        {"inbox": {"transport": "maildir", "after": "move", "move_to": "Done",
                   "maildir": {"path": "inbox"}}},
    )  # fmt: skip
    inbox = build_inbox(config)
    assert isinstance(inbox, MaildirInbox)
    assert inbox.path == tmp_path / "inbox" and inbox.after == "move" and inbox.move_to == "Done"
    assert config.email.reply_to == "olivia@example.com"  # from defaults to the owner


def test_what_is_missing_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, {"inbox": {"transport": "imap", "after": "delete"}})
    assert {p.where for p in caught.value.problems} == {
        "email.inbox.after",
        "email.inbox.imap.host",
        "email.inbox.imap.username",
    }
    with pytest.raises(ConfigError, match=r"email\.inbox\.maildir\.path: missing"):
        load(tmp_path, {"inbox": {"transport": "maildir"}})
    with pytest.raises(ConfigError, match=r"email\.inbox\.imap\.folderz: unknown key"):
        load(tmp_path, imap(username="o", folderz="x"))


def test_the_imap_password_comes_from_the_environment_a_file_or_the_smtp_login(
    tmp_path: Path,
) -> None:
    smtp = by_smtp(host="smtp.example.com", username="olivia@example.com")
    config = load(tmp_path, {**smtp, **imap()})

    def password(env: dict[str, str]) -> str | None:
        inbox = build_inbox(config, env)
        assert isinstance(inbox, ImapInbox)
        return inbox._password

    assert password({"CADENCE_IMAP_PASSWORD": "imap-secret"}) == "imap-secret"
    assert password({"CADENCE_SMTP_PASSWORD": "smtp-secret"}) == "smtp-secret"
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "imap-password").write_text("from-systemd\n")
    assert password({"CREDENTIALS_DIRECTORY": str(credentials)}) == "from-systemd"

    secret = tmp_path / "imap-password"
    secret.write_text("from-file\n")
    secret.chmod(0o600)
    own = load(tmp_path, {**smtp, **imap(password_file="imap-password")})
    assert own.email.inbox.imap is not None and not own.email.inbox.imap.shares_smtp_password
    inbox = build_inbox(own, {"CADENCE_SMTP_PASSWORD": "smtp-secret"})
    assert isinstance(inbox, ImapInbox) and inbox._password == "from-file"
    assert "from-file" not in repr(inbox)
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others; run: chmod 600"):
        build_inbox(own, {})
