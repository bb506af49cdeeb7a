"""The engine's front door: everything the CLI, the web app and the service can ask for.

Given a Config and a clock, :class:`Engine` builds the adapters once and offers
the operations behind each command. It returns values and raises
CadenceError subclasses; it never prints.

Its facets live in their own modules, as the classes it is made of: the
adapters the config asks for, built on first use (engine_adapters), under the
people (engine_people), under proposals: accepting, dismissing, bookings
(engine_proposals), under cycles, the inbox and deliveries (engine_cycles);
and beside them status and the report (engine_status). Each facet uses only
those under it. What is left here is the outbox and the links the engine
hands out.
"""

from __future__ import annotations

from datetime import timedelta

from cadence.daemon.core.errors import CadenceError, UsageError
from cadence.daemon.cycle import retry_policy
from cadence.daemon.engine_cycles import EngineCycles
from cadence.daemon.engine_status import EngineStatus
from cadence.daemon.queued_mail import QueuedEmail, confirm, listing, resend


class Engine(EngineCycles, EngineStatus):
    """What the CLI and the web app call: one object over a loaded config."""

    # -- the outbox ---------------------------------------------------------

    def outbox(self, *, include_sent: bool = False) -> list[QueuedEmail]:
        """The emails waiting, failed or unconfirmed (and sent, with ``include_sent``)."""
        return listing(self.store.outbox, include_sent=include_sent)

    def resend(self, item_id: int) -> QueuedEmail:
        """Send an unconfirmed or failed email again, on purpose; return how it ended."""
        now = self.clock()
        return resend(self.store.outbox, self.transport, item_id, now, retry_policy(self.config))

    def confirm(self, item_id: int) -> QueuedEmail:
        """Record that an unconfirmed email did arrive."""
        return confirm(self.store.outbox, item_id)

    # -- agenda -------------------------------------------------------------

    def agenda_url(self, email: str) -> str:
        person = self.person(email)
        url = self.agendas.ensure(person, self.config.owner)
        if url is None:
            raise CadenceError("agendas are turned off (agenda.backend = none)")
        return url

    def rotate_agenda_link(self, email: str) -> str | None:
        """Give the person a new agenda page link (the old one stops working); return it,
        or None when the web app makes no links."""
        person = self.person(email)
        self.store.web.rotate(person.email, self.clock())
        return self.web_addresses.agenda(person, self.clock()) if self.web_addresses else None

    def sign_in_link(self, lifetime: timedelta) -> str:
        """Return a link that signs the owner in to the web app for ``lifetime``; raise
        UsageError when the web app has no address."""
        if self.web_addresses is None:
            raise UsageError(
                "the web app makes no links: set [web] enabled = true and base_url "
                f"in {self.config.path}"
            )
        return self.web_addresses.sign_in(self.clock() + lifetime)

    def agenda_text(self, email: str) -> str:
        self.agenda_url(email)
        text = self.agendas.text(self.person(email))
        return text or ""
