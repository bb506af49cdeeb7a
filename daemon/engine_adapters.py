"""The engine's adapters: the store and what the config asks for, each built on
first use (a command that needs no calendar never builds one).

:class:`EngineAdapters` is the base of the engine's facets (people, proposals,
cycles, status): an adapter put in place before its first use (as tests do with
a failing calendar) is the one every facet works through.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from cadence.daemon.agendas import AgendaBackend
from cadence.daemon.agendas.markdown import MarkdownAgendas
from cadence.daemon.agendas.none import NoAgendas
from cadence.daemon.calendars import Calendar, CalendarWriter
from cadence.daemon.calendars.google import GoogleCalendar
from cadence.daemon.calendars.google_writes import GoogleWriter
from cadence.daemon.calendars.ics import IcsCalendar
from cadence.daemon.clock import Clock, system_clock
from cadence.daemon.config import Config
from cadence.daemon.core.errors import ConfigError, Problem
from cadence.daemon.core.model import Person
from cadence.daemon.credentials import credential
from cadence.daemon.google.api import service
from cadence.daemon.google.auth import authorize, load_credentials
from cadence.daemon.inbox import build_inbox
from cadence.daemon.mail import Transport
from cadence.daemon.mail.inbox import Inbox
from cadence.daemon.mail.maildir import MaildirTransport
from cadence.daemon.mail.smtp import SmtpTransport
from cadence.daemon.proposing import ProposalMailer
from cadence.daemon.store import Store
from cadence.daemon.web_addresses import WebAddresses, WebAgendas
from cadence.daemon.wiring import Services


class EngineAdapters:
    """Given a Config and a clock, build the adapters once, when first used."""

    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or system_clock()

    @cached_property
    def store(self) -> Store:
        return Store(self.config.state_path)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    @cached_property
    def calendar(self) -> Calendar:
        if self.config.calendar_backend == "google":
            google = self.config.google
            return GoogleCalendar(
                lambda: service("calendar", "v3", load_credentials(google)),
                google.calendar_id,
                self.config.owner.zone,
                self.config.owner.email,
            )
        if self.config.ics is None:
            raise ConfigError(
                [Problem("calendar.ics.url", "missing; the ics backend needs a feed")]
            )
        ics = self.config.ics
        return IcsCalendar(
            ics.url,
            default_zone=self.config.owner.zone,
            timeout=ics.timeout.total_seconds(),
            max_bytes=ics.max_bytes,
            base_dir=self.config.base_dir,
        )

    @cached_property
    def writer(self) -> CalendarWriter | None:
        """The owner's calendar to write to, when it is writable (Google)."""
        if self.config.calendar_backend != "google":
            return None
        calendar = self.calendar
        assert isinstance(calendar, GoogleCalendar)
        return GoogleWriter(calendar, attach_files=self.config.agenda.backend == "google-docs")

    def busy_feed(self, person: Person) -> Calendar:
        assert person.busy_feed
        ics = self.config.ics
        return IcsCalendar(
            person.busy_feed,
            default_zone=person.zone or self.config.owner.zone,
            timeout=ics.timeout.total_seconds() if ics else 20.0,
            max_bytes=ics.max_bytes if ics else 20_000_000,
            base_dir=self.config.base_dir,
            setting=f"the busy feed of {person.email}",
        )

    @cached_property
    def transport(self) -> Transport:
        email = self.config.email
        if email.transport == "maildir":
            assert email.maildir is not None
            return MaildirTransport(email.maildir)
        smtp = email.smtp
        password = credential(
            "smtp-password", "CADENCE_SMTP_PASSWORD", smtp.password_file, "email.smtp.password_file"
        )
        return SmtpTransport(
            smtp.host,
            smtp.port,
            smtp.security,  # type: ignore[arg-type]
            username=smtp.username,
            password=password,
            timeout=smtp.timeout.total_seconds(),
        )

    @cached_property
    def inbox(self) -> Inbox:
        """The inbox replies are read from; raise UsageError when there is none."""
        return build_inbox(self.config)

    @cached_property
    def web_addresses(self) -> WebAddresses | None:
        """The web app's signed addresses, when it is on and has a base_url."""
        return WebAddresses.of(self.config, self.store) if self.config.web.links else None

    @cached_property
    def agendas(self) -> AgendaBackend:
        agenda = self.config.agenda
        if agenda.backend == "markdown":
            files = MarkdownAgendas(agenda.directory, agenda.base_url, self.config.owner.zone)
            if self.web_addresses is not None:
                return WebAgendas(files, self.web_addresses, self.clock)
            return files
        if agenda.backend == "none":
            return NoAgendas()
        if agenda.backend == "google-docs" and self.config.calendar_backend == "google":
            from cadence.daemon.agendas.google_docs import GoogleDocsAgendas
            from cadence.daemon.agendas.google_docs_drive import google_clients

            google = self.config.google
            return GoogleDocsAgendas(
                lambda: google_clients(load_credentials(google)),
                self.store.documents,
                self.config.owner.zone,
                self.clock,
            )
        raise ConfigError(
            [Problem("agenda.backend", "google-docs needs calendar.backend = google")]
        )

    def services(
        self, store: Store | None = None, heartbeat: Callable[[], None] | None = None
    ) -> Services:
        store = store or self.store
        services = Services(
            config=self.config,
            store=store,
            calendar=self.calendar,
            busy_feed=self.busy_feed,
            agendas=self.agendas,
            transport=self.transport,
            mailer=ProposalMailer(self.config, store, self.agendas, self.web_addresses),
            writer=self.writer,
        )
        if heartbeat is not None:
            services.heartbeat = heartbeat
        return services

    def authorize_google(self, *, open_browser: bool, say: Callable[[str], None]) -> None:
        """Run Google's installed-app flow and save the token (``cadence auth google``);
        ``say`` shows the user what to do. Raise ConfigError when the config cannot
        hold a token."""
        config = self.config
        google = config.google
        if google.service_account is not None:
            say(
                "calendar.google.service_account is set: cadence acts as "
                f"{google.subject} through the service account; nothing to authorize."
            )
            return
        if google.client_secrets is None:
            raise ConfigError(
                [
                    Problem(
                        "calendar.google.client_secrets", "missing; the OAuth client JSON to use"
                    )
                ],
                source=str(config.path),
            )
        if google.token is None:
            raise ConfigError(
                [Problem("calendar.google.token", "missing; where to save the authorization")],
                source=str(config.path),
            )
        authorize(google.client_secrets, google.token, open_browser=open_browser, say=say)
