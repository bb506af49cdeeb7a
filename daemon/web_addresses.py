"""The web app's addresses in emails and invitations, and the key that signs them.

The key is 32 random bytes in ``web.key`` beside the state database (mode
0600), made the first time it is needed: when the web app starts, or when an
email that links to it is written. Two processes making it at once agree on
one (the file is linked into place, never replaced). Links are signed with
that key mixed with the installation secret of the state (see
:mod:`cadence.daemon.core.web_links`).

With ``[web] enabled`` and a ``base_url``, a Markdown agenda's link is the
person's agenda page (:class:`WebAgendas`): the one address others can open
that leads to the agenda, so invitations and emails carry it.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from cadence.daemon.agendas.markdown import MarkdownAgendas
from cadence.daemon.clock import Clock
from cadence.daemon.config import Config
from cadence.daemon.core import web_links
from cadence.daemon.core.errors import StoreError
from cadence.daemon.core.model import Owner, Person, Proposal
from cadence.daemon.credentials import private_directory
from cadence.daemon.store import Store

KEY_NAME = "web.key"
# A sign-in link in an email works this long; one from `cadence web login` less.
EMAIL_SIGN_IN = timedelta(days=14)


def key_path(config: Config) -> Path:
    return config.state_path.parent / KEY_NAME


def load_key(path: Path) -> bytes:
    """Return the key kept at ``path``, making it first (mode 0600) when there is none.
    Raise StoreError when it cannot be read or made."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read the web app's key: {exc}") from None
    try:
        private_directory(path.parent)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, (secrets.token_hex(32) + "\n").encode("ascii"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            temporary.unlink(missing_ok=True)
        return _read_key(path)
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: cannot make the web app's key: {exc}") from None


def _read_key(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) < 16:
        raise ValueError("too short; delete it and cadence makes a new one")
    return key


class WebAddresses:
    """The web app's signed addresses, under ``base_url``."""

    def __init__(self, base_url: str, key: bytes, store: Store) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.store = store

    @classmethod
    def of(cls, config: Config, store: Store) -> WebAddresses:
        """Build them for the config's web app, whose base_url must be set."""
        assert config.web.base_url is not None
        key = web_links.link_key(load_key(key_path(config)), store.identity.secret())
        return cls(config.web.base_url, key, store)

    def proposal(self, proposal: Proposal, choice: str) -> str:
        """The confirm page of one slot (``"1"``..) or of dismissing (``"dismiss"``)."""
        return self.base_url + web_links.proposal_path(self.key, proposal.id, choice)

    def agenda(self, person: Person, now: datetime) -> str:
        """The person's agenda page (its nonce is made on first use)."""
        nonce = self.store.web.nonce(person.email, now)
        return self.base_url + web_links.agenda_path(self.key, nonce)

    def sign_in(self, expires: datetime) -> str:
        """A link that signs the owner in until ``expires``."""
        return self.base_url + web_links.sign_in_path(self.key, int(expires.timestamp()))


class WebAgendas:
    """Markdown agendas whose link is the person's page in the web app: the file
    stays where it is, and the page shows it and takes the edits."""

    def __init__(self, files: MarkdownAgendas, addresses: WebAddresses, clock: Clock) -> None:
        self.files = files
        self.addresses = addresses
        self.clock = clock

    def url(self, person: Person) -> str:
        return self.addresses.agenda(person, self.clock())

    def ensure(self, person: Person, owner: Owner) -> str:
        self.files.ensure(person, owner)
        return self.url(person)

    def prepare(self, person: Person, owner: Owner, meeting_start: datetime) -> bool:
        return self.files.prepare(person, owner, meeting_start)

    def text(self, person: Person) -> str | None:
        return self.files.text(person)
