"""Mail transports against real things: an aiosmtpd server and a Maildir on disk."""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cadence.daemon.core.errors import MailError
from cadence.daemon.core.itip import Method, Role, booking_email
from cadence.daemon.mail import Transport
from cadence.daemon.mail.maildir import MaildirTransport, file_name
from cadence.daemon.mail.smtp import SmtpTransport

from tests.support.bookings import OWNER, booking
from tests.support.smtp_server import SmtpTestServer, TlsFiles, free_port, make_tls

BERLIN = ZoneInfo("Europe/Berlin")
RECIPIENTS = ["olivia@example.com", "alice@example.com"]
PASSWORD = "s3cret-Pa55word"


def sample(message_id: str = "<sample-1@cadence.example.com>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "cadence <cadence@example.com>"
    message["To"] = "Olivia Owner <olivia@example.com>"
    message["Subject"] = "1:1 with Ålice Example: cancelled on Tue 24 Nov — 3 new times"
    message["Message-ID"] = message_id
    message["X-Cadence-Proposal"] = "42"
    message.set_content("Pick a new time.\n" + "long line " * 40 + "\n")
    return message


def invitation() -> EmailMessage:
    return booking_email(
        booking(),
        OWNER,
        role=Role.PERSON,
        method=Method.REQUEST,
        sender="cadence@example.com",
        message_id="<invite-7@cadence.example.com>",
        agenda_url="https://agenda.example.com/alice",
        stamp=datetime(2026, 11, 23, 10, tzinfo=BERLIN),
    )


# --- one contract, every transport ------------------------------------------------------


@dataclass
class Harness:
    transport: Transport
    broken: Transport
    received: Callable[[], list[tuple[list[str], EmailMessage]]]


def _maildir_received(path: Path) -> list[tuple[list[str], EmailMessage]]:
    found = []
    for sub in ("new", "cur"):
        for entry in sorted((path / sub).iterdir()) if (path / sub).exists() else []:
            message = message_from_bytes(entry.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            recipients = [str(v) for v in message.get_all("Delivered-To", [])]
            del message["Delivered-To"]
            found.append((recipients, message))
    return found


@pytest.fixture(params=[pytest.param("smtp", marks=pytest.mark.slow), "maildir"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "maildir":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        yield Harness(
            MaildirTransport(tmp_path / "Maildir"),
            MaildirTransport(blocker / "Maildir"),
            lambda: _maildir_received(tmp_path / "Maildir"),
        )
        return
    with SmtpTestServer() as server:
        yield Harness(
            SmtpTransport(server.host, server.port, "none", timeout=5),
            SmtpTransport("127.0.0.1", free_port(), "none", timeout=5),
            lambda: [(list(r.rcpt_tos), r.message) for r in server.messages],
        )


def test_sent_message_arrives_once_with_headers_intact(harness: Harness) -> None:
    message = sample()
    harness.transport.send(message, RECIPIENTS)
    (got,) = harness.received()
    recipients, arrived = got
    assert recipients == RECIPIENTS
    for key in message:
        assert arrived[key] == message[key], key
    assert arrived["Message-ID"] == "<sample-1@cadence.example.com>"
    assert arrived.get_content() == message.get_content()
    assert harness.transport.delivered("<sample-1@cadence.example.com>") in (True, None)


def test_invitation_arrives_as_an_imip_request(harness: Harness) -> None:
    message = invitation()
    harness.transport.send(message, ["alice@example.com", "olivia@example.com"])
    ((_, arrived),) = harness.received()
    calendars = [p for p in arrived.walk() if p.get_content_type() == "text/calendar"]
    assert [p.get_param("method") for p in calendars] == ["REQUEST"]
    sent = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendars[0].get_payload(decode=True) == sent.get_payload(decode=True)


def test_check_passes_on_a_working_transport(harness: Harness) -> None:
    harness.transport.check()
    assert harness.received() == []


def test_broken_transport_raises_mail_error(harness: Harness) -> None:
    with pytest.raises(MailError) as checked:
        harness.broken.check()
    assert harness.broken.name in str(checked.value)
    with pytest.raises(MailError) as sent:
        harness.broken.send(sample(), RECIPIENTS)
    assert not sent.value.permanent


def test_name_says_where_mail_goes(harness: Harness) -> None:
    assert harness.transport.name.startswith(("smtp://127.0.0.1:", "maildir:"))


# --- SMTP ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer(users={"olivia": PASSWORD}) as running:
        yield running


def plain(server: SmtpTestServer, **kw: object) -> SmtpTransport:
    return SmtpTransport(server.host, server.port, "none", timeout=5, **kw)  # type: ignore[arg-type]


@pytest.mark.slow
def test_refused_connection_is_temporary_and_names_the_server() -> None:
    port = free_port()
    with pytest.raises(MailError) as caught:
        SmtpTransport("127.0.0.1", port, "none", timeout=5).send(sample(), RECIPIENTS)
    assert not caught.value.permanent
    assert f"smtp://127.0.0.1:{port}" in str(caught.value)
    assert "refused" in str(caught.value)


@pytest.mark.slow
def test_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(MailError) as caught:
            SmtpTransport("127.0.0.1", port, "none", timeout=0.3).check()
    assert not caught.value.permanent
    assert "no answer within 0.3s" in str(caught.value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("switch", "reply", "permanent"),
    [
        ("rcpt_reply", "550 5.1.1 No such user", True),
        ("rcpt_reply", "451 4.3.0 Try again later", False),
        ("data_reply", "554 5.6.0 Message rejected", True),
        ("data_reply", "451 4.3.0 Try again later", False),
    ],
)
def test_refusals_map_to_permanence(
    server: SmtpTestServer, switch: str, reply: str, permanent: bool
) -> None:
    setattr(server, switch, reply)
    with pytest.raises(MailError) as caught:
        plain(server).send(sample(), RECIPIENTS)
    assert caught.value.permanent is permanent
    assert reply.split()[0] in str(caught.value)
    assert server.messages == []


@pytest.mark.slow
def test_partly_refused_recipients_are_final(server: SmtpTestServer) -> None:
    server.rcpt_replies["alice@example.com"] = "451 4.2.1 Mailbox busy"
    with pytest.raises(MailError) as caught:
        plain(server).send(sample(), RECIPIENTS)
    # Olivia has it already: a retry would send it to her twice.
    assert caught.value.permanent
    assert "alice@example.com" in str(caught.value)
    assert [r.rcpt_tos for r in server.messages] == [("olivia@example.com",)]


@pytest.mark.slow
def test_connection_dropped_before_the_end_of_data_is_not_delivered(
    server: SmtpTestServer,
) -> None:
    server.drop_at_data = True
    called: list[bool] = []
    with pytest.raises(MailError) as caught:
        plain(server).send(sample(), RECIPIENTS, lambda: called.append(True) or True)
    assert not caught.value.permanent and not caught.value.unknown
    # It never came to the hand-over.
    assert called == []
    assert server.messages == []


@pytest.mark.slow
def test_connection_dropped_after_the_end_of_data_is_unknown(server: SmtpTestServer) -> None:
    server.drop_after_data = True
    called: list[bool] = []
    with pytest.raises(MailError) as caught:
        plain(server).send(sample(), RECIPIENTS, lambda: called.append(True) or True)
    assert caught.value.unknown and not caught.value.permanent
    assert "may have taken it" in str(caught.value)
    assert called == [True]
    # The server has it: a blind retry would deliver a second copy.
    assert len(server.messages) == 1


@pytest.mark.slow
def test_no_answer_to_the_end_of_data_within_the_timeout_is_unknown(
    server: SmtpTestServer,
) -> None:
    # The server keeps the message and takes longer to answer than the client waits.
    server.on_message = lambda _: time.sleep(1.0)
    with pytest.raises(MailError) as caught:
        SmtpTransport(server.host, server.port, "none", timeout=0.3).send(sample(), RECIPIENTS)
    assert caught.value.unknown
    assert len(server.messages) == 1


@pytest.mark.slow
def test_a_refusal_after_the_end_of_data_is_certain(server: SmtpTestServer) -> None:
    server.data_reply = "451 4.3.0 Try again later"
    called: list[bool] = []
    with pytest.raises(MailError) as caught:
        plain(server).send(
            sample(), RECIPIENTS, lambda: called.append(True) or True, lambda: called.append(False)
        )
    assert not caught.value.unknown
    assert called == [True]  # handed over, never taken


def test_the_hand_over_and_the_taking_are_announced_in_order(harness: Harness) -> None:
    events: list[str] = []

    def handover() -> bool:
        # Nothing has arrived yet when the hand-over begins.
        events.append(f"handover with {len(harness.received())} received")
        return True

    def taken() -> None:
        events.append(f"taken with {len(harness.received())} received")

    assert harness.transport.send(sample(), RECIPIENTS, handover, taken) is True
    assert events == ["handover with 0 received", "taken with 1 received"]


def test_a_handover_called_off_delivers_nothing(harness: Harness) -> None:
    assert harness.transport.send(sample(), RECIPIENTS, lambda: False) is False
    assert harness.received() == []
    assert harness.transport.delivered("<sample-1@cadence.example.com>") in (False, None)
    assert harness.transport.send(sample(), RECIPIENTS) is True
    assert len(harness.received()) == 1


@pytest.mark.slow
def test_login_when_configured(server: SmtpTestServer) -> None:
    plain(server, username="olivia", password=PASSWORD).send(sample(), RECIPIENTS)
    assert server.messages[0].authenticated


@pytest.mark.slow
def test_failed_login_is_permanent_and_keeps_the_password_secret(server: SmtpTestServer) -> None:
    transport = plain(server, username="olivia", password=PASSWORD + "-wrong")
    with pytest.raises(MailError) as caught:
        transport.send(sample(), RECIPIENTS)
    assert caught.value.permanent
    assert "535" in str(caught.value) and "olivia" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(transport), transport.name):
        assert PASSWORD not in text
    assert server.messages == []


@pytest.mark.slow
def test_login_without_auth_on_offer_is_permanent() -> None:
    with SmtpTestServer() as bare, pytest.raises(MailError) as caught:
        plain(bare, username="olivia", password=PASSWORD).check()
    assert caught.value.permanent
    assert "AUTH" in str(caught.value)


@pytest.mark.slow
def test_starttls_then_login(tls: TlsFiles) -> None:
    users = {"olivia": PASSWORD}
    with SmtpTestServer(tls=tls, users=users, auth_require_tls=True) as server:
        transport = SmtpTransport(
            server.host, server.port, "starttls", "olivia", PASSWORD,
            timeout=5, ssl_context=tls.client_context(),
        )  # fmt: skip
        transport.check()
        transport.send(sample(), RECIPIENTS)
    (received,) = server.messages
    assert received.tls and received.authenticated


@pytest.mark.slow
def test_implicit_tls(tls: TlsFiles) -> None:
    with SmtpTestServer(tls=tls, implicit_tls=True) as server:
        transport = SmtpTransport(
            server.host, server.port, "ssl", timeout=5, ssl_context=tls.client_context()
        )
        transport.send(sample(), RECIPIENTS)
    assert len(server.messages) == 1


@pytest.mark.slow
def test_untrusted_certificate_is_refused(tls: TlsFiles) -> None:
    with SmtpTestServer(tls=tls) as server, pytest.raises(MailError) as caught:
        SmtpTransport(server.host, server.port, "starttls", timeout=5).send(sample(), RECIPIENTS)
    assert "TLS" in str(caught.value)
    assert server.messages == []


@pytest.mark.slow
def test_no_starttls_on_offer_never_falls_back_to_plaintext(server: SmtpTestServer) -> None:
    transport = SmtpTransport(server.host, server.port, "starttls", timeout=5)
    for attempt in (transport.check, lambda: transport.send(sample(), RECIPIENTS)):
        with pytest.raises(MailError) as caught:
            attempt()
        assert "STARTTLS" in str(caught.value)
    assert server.messages == []


@pytest.mark.slow
def test_smtp_cannot_tell_what_it_delivered(server: SmtpTestServer) -> None:
    assert plain(server).delivered("<sample-1@cadence.example.com>") is None


# --- Maildir -------------------------------------------------------------------------


def test_maildir_second_send_of_a_message_id_writes_nothing(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path / "Maildir")
    assert transport.delivered("<sample-1@cadence.example.com>") is False
    transport.send(sample(), RECIPIENTS)
    transport.send(sample(), RECIPIENTS)
    files = list((tmp_path / "Maildir" / "new").iterdir())
    assert [f.name for f in files] == [file_name("<sample-1@cadence.example.com>")]
    assert list((tmp_path / "Maildir" / "tmp").iterdir()) == []
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert transport.delivered("<sample-1@cadence.example.com>") is True
    assert transport.delivered("<other@cadence.example.com>") is False


def test_maildir_knows_messages_a_client_has_read(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path)
    transport.send(sample(), RECIPIENTS)
    name = file_name("<sample-1@cadence.example.com>")
    os.rename(tmp_path / "new" / name, tmp_path / "cur" / f"{name}:2,S")
    assert transport.delivered("<sample-1@cadence.example.com>") is True
    transport.send(sample(), RECIPIENTS)
    assert list((tmp_path / "new").iterdir()) == []


def test_maildir_file_names_are_safe_and_ignore_brackets() -> None:
    name = file_name("<a/b:c..\r\n@x>")
    assert name == file_name("a/b:c..\r\n@x")
    assert name.replace(".", "").isalnum()
    assert file_name("<one@x>") != file_name("<two@x>")


def test_maildir_refuses_a_message_without_id(tmp_path: Path) -> None:
    message = sample()
    del message["Message-ID"]
    with pytest.raises(MailError) as caught:
        MaildirTransport(tmp_path).send(message, RECIPIENTS)
    assert caught.value.permanent


def test_maildir_refuses_injected_recipients(tmp_path: Path) -> None:
    with pytest.raises(MailError) as caught:
        MaildirTransport(tmp_path).send(sample(), ["a@example.com\nBcc: b@example.com"])
    assert caught.value.permanent


def test_maildir_check_creates_the_folders(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path / "deep" / "Maildir")
    transport.check()
    assert sorted(p.name for p in (tmp_path / "deep" / "Maildir").iterdir()) == [
        "cur",
        "new",
        "tmp",
    ]
    assert transport.name == f"maildir:{tmp_path / 'deep' / 'Maildir'}"
