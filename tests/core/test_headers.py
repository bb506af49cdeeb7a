"""Address headers survive folding: whatever a person's or the owner's name, the
invitation's To, Sender and Reply-To (and the From of every email) read back as one
address with that name.

Each email is rendered as cadence renders it, serialised as the outbox stores
it, passed through the generator smtplib flattens it with, and parsed back by
an independent path: the compat32 parser with ``email.utils.getaddresses`` and
RFC 2047 decoding (``email.header``), after unfolding as RFC 5322 says. The
modern parser (policy.default) must agree on the address and see one mailbox.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from zoneinfo import ZoneInfo

from cadence.daemon.core.headers import MAX_LINE, address_value
from cadence.daemon.core.itip import Method, Role, booking_email
from cadence.daemon.core.messages import clean
from cadence.daemon.core.model import Owner
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.bookings import booking

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 11, 25, 10, tzinfo=BERLIN)
LONG_NAME = "Dr. Alexandra Example-Longname, Head of Platform Engineering: EMEA @ Example Corp"

# Names made of what breaks headers: specials, quotes, backslashes, things that
# look like addresses or encoded-words, non-ASCII, long runs, odd whitespace.
PIECES = st.sampled_from(
    [":", "@", ",", ";", '"', "\\", "<", ">", "(", ")", ".", " ", "  ", "\t", "\u00a0",
     "é", "Ω", "日本", "🙂", "=?utf-8?q?x?=", "a@b.c", "Head of Platform", "x" * 80]
)  # fmt: skip
NAMES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=30).map("".join),
)


def smtp_bytes(message: EmailMessage) -> bytes:
    """What the mail server receives: the stored bytes, parsed by the outbox and
    flattened the way smtplib's send_message does."""
    stored = bytes(message)
    parsed = message_from_bytes(stored, policy=policy.SMTP)
    out = io.BytesIO()
    BytesGenerator(out, policy=parsed.policy).flatten(parsed, linesep="\r\n")
    return out.getvalue()


def mailboxes(raw: bytes, field: str) -> list[tuple[str, str]]:
    """The (decoded display name, address) pairs of a header, read the compat32 way."""
    legacy: Message = BytesParser(policy=policy.compat32).parsebytes(raw)
    values = [re.sub(r"\r?\n(?=[ \t])", "", str(v)) for v in legacy.get_all(field, [])]
    return [(str(make_header(decode_header(n))), a) for n, a in getaddresses(values)]


def assert_one(raw: bytes, field: str, name: str, address: str) -> None:
    assert mailboxes(raw, field) == [(clean(name), address)], raw.decode(errors="replace")
    (modern,) = message_from_bytes(raw, policy=policy.default)[field].addresses
    assert modern.addr_spec == address
    # The modern parser puts a space between adjacent encoded-words (RFC 2047 says
    # they join without one); apart from that it reads the same name.
    assert "".join(modern.display_name.split()) == "".join(clean(name).split())
    header = raw.split(b"\r\n\r\n")[0].decode("ascii")
    assert all(len(line) <= MAX_LINE for line in header.split("\r\n")), header


def invitation(
    person_name: str, owner_name: str, sender: str, role: Role = Role.PERSON
) -> EmailMessage:
    return booking_email(
        booking(person_name=person_name),
        Owner(owner_name, "olivia@example.com", "Europe/Berlin"),
        role=role,
        method=Method.REQUEST,
        sender=sender,
        message_id="<invite-7@cadence.example.com>",
        agenda_url="https://agenda.example.com/alice",
        stamp=AT,
    )


@given(person=NAMES, owner=NAMES, sender=NAMES)
@example(person=LONG_NAME, owner=LONG_NAME, sender=LONG_NAME)
@example(person='"; Bcc: eve@evil.example', owner="=?utf-8?q?Eve?=", sender="\\")
def test_every_name_stays_one_address_after_folding(person: str, owner: str, sender: str) -> None:
    raw = smtp_bytes(invitation(person, owner, f"{_quoted(sender)} <outgoing@example.com>"))
    assert_one(raw, "To", person, "alice@example.com")
    assert_one(raw, "Reply-To", owner, "olivia@example.com")
    assert_one(raw, "Sender", sender, "outgoing@example.com")
    (got,) = mailboxes(raw, "From")
    assert got[1] == "cadence@example.com"
    assert got[0] == (clean(owner) or "olivia@example.com") + " (via cadence)"
    raw = smtp_bytes(invitation(person, owner, "cadence@example.com", Role.OWNER))
    assert_one(raw, "To", owner, "olivia@example.com")


def _quoted(name: str) -> str:
    """The sender's name as a user writes it in the config: a quoted string."""
    inner = clean(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{inner}"'


def test_the_long_name_of_the_report_reads_back_whole() -> None:
    raw = smtp_bytes(invitation(LONG_NAME, "Olivia Owner", "cadence@example.com"))
    assert mailboxes(raw, "To") == [(LONG_NAME, "alice@example.com")]
    # Plain ASCII with specials: one quoted string, folded at a space inside it.
    assert b'To: "Dr. Alexandra Example-Longname, Head of Platform' in raw


@given(names=st.lists(NAMES, min_size=1, max_size=4))
def test_a_list_of_addresses_keeps_its_count(names: list[str]) -> None:
    pairs = [(clean(n), f"p{i}@example.com") for i, n in enumerate(names)]
    value = address_value("To", pairs)
    assert value is not None
    message = EmailMessage()
    message.set_raw("To", value)
    message.set_content("x")
    assert mailboxes(smtp_bytes(message), "To") == pairs


def test_a_plain_short_name_is_written_plainly() -> None:
    assert address_value("To", [("Alice Example", "alice@example.com")]) == (
        "Alice Example <alice@example.com>"
    )
    assert address_value("To", [("", "alice@example.com")]) == "alice@example.com"
    # Not plain ASCII: left to the email policy.
    assert address_value("To", [("Jürgen", "jürgen@example.de")]) is None
