"""The owner's main page and what it acts on: the heatmap of ``cadence report``
with the week ahead, each person's open action items and the open proposals
(book a slot, or dismiss), and the bookings cadence arranged.

Without a session every one of these shows the sign-in page and no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cadence.daemon.adherence import DEFAULT_WEEKS
from cadence.daemon.core.dates import MONTHS
from cadence.daemon.core.digest_render import Meeting
from cadence.daemon.core.errors import CadenceError, SlotUnavailableError, UsageError
from cadence.daemon.core.messages import period_text, slot_text
from cadence.daemon.core.model import Person, Proposal
from cadence.daemon.core.report import Adherence, Report
from cadence.daemon.core.report_render import LEGEND, UNICODE, cell_title, status_text
from cadence.daemon.digest import meetings_ahead, open_items
from cadence.daemon.engine import Engine
from cadence.daemon.web.signing_in import owner_context, sign_in_page
from cadence.daemon.web.site import Site
from cadence.daemon.wiring import OWNER_SOURCE
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class HeatCell:
    css: str
    span: int
    title: str
    glyph: str


@dataclass(frozen=True)
class HeatRow:
    entry: Adherence
    ref: str
    cells: tuple[HeatCell, ...]
    status: str
    status_css: str


@dataclass(frozen=True)
class OpenProposal:
    proposal: Proposal
    person: Person
    period: str
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Overview:
    report: Report
    weeks: tuple[tuple[str, str], ...]  # (day, month) over each week's column
    rows: tuple[HeatRow, ...]
    meetings: tuple[Meeting, ...]
    items: tuple[tuple[Person, str, tuple[str, ...]], ...]  # person, ref, open items
    proposals: tuple[OpenProposal, ...]


def _row(entry: Adherence, report: Report, ref: str) -> HeatRow:
    cells = []
    for outcome, span in zip(entry.outcomes, entry.spans, strict=True):
        risky = entry.at_risk and outcome is entry.current
        css = "at-risk" if risky else outcome.cell.value
        cells.append(HeatCell(css, span, cell_title(outcome, report), UNICODE.cells[outcome.cell]))
    status = status_text(entry)
    css = "status-overdue" if entry.overdue_days else ("status-risk" if entry.at_risk else "")
    return HeatRow(entry, ref, tuple(cells), status, css)


def gather(engine: Engine, ref: Any) -> Overview:
    """Given an engine and how people are named in addresses, return the main page."""
    now, owner = engine.clock(), engine.config.owner
    report = engine.report(DEFAULT_WEEKS)
    people = engine.people()
    occurrences = engine.store.observations.occurrences(now - timedelta(days=1), [OWNER_SOURCE])
    meetings = meetings_ahead(people, occurrences, owner, engine.agendas, now)
    items = []
    for person in people:
        found, _ = open_items(engine.agendas, person)
        if found:
            items.append((person, ref(person.email), found))
    by_email = {p.email: p for p in people}
    proposals = []
    for proposal in engine.proposals():
        whose = by_email.get(proposal.person)
        if whose is None:
            continue
        slots = tuple(slot_text(proposal, s, whose, owner) for s in proposal.slots)
        proposals.append(OpenProposal(proposal, whose, period_text(proposal, whose, owner), slots))
    weeks = tuple((f"{m.day:02d}", MONTHS[m.month - 1]) for m in report.weeks)
    return Overview(
        report=report,
        weeks=weeks,
        rows=tuple(_row(e, report, ref(e.person.email)) for e in report.people),
        meetings=tuple(meetings),
        items=tuple(items),
        proposals=tuple(proposals),
    )


_SAID = {
    "booked": "Booked.",
    "dismissed": "Dismissed.",
}


def routes(site: Site) -> list[Route]:
    async def overview(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return sign_in_page(site)
        found = await site.backend.run(lambda e: gather(e, site.backend.person_ref))
        return site.page(
            "overview.html",
            title="Your 1:1s",
            nav="overview",
            view=found,
            legend=LEGEND,
            glyphs=UNICODE.cells,
            today=found.report.now.astimezone(found.report.zone).date(),
            said=_SAID.get(request.query_params.get("said", ""), ""),
            note="",
            form_token=site.token(site.session_binding(session)),
            **owner_context(site, session),
        )

    async def act(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return sign_in_page(site, status=403)
        form = await site.form(request)
        refused = site.refusal(request, form, site.session_binding(session))
        raw = str(request.path_params["pid"])
        if refused or form is None or not raw.isdigit():
            return site.message("Nothing was done", refused or "Unknown proposal.", status=400)
        proposal_id, what = int(raw), str(request.path_params["what"])
        if what not in ("book", "dismiss"):
            return site.message("Nothing was done", "Unknown action.", status=404)
        try:
            if what == "book":
                slot = int(form.get("slot", "0")) if form.get("slot", "").isdigit() else 0
                await site.backend.run(lambda e: e.accept(proposal_id, slot))
                return site.redirect("/?said=booked")
            await site.backend.run(lambda e: e.dismiss(proposal_id))
            return site.redirect("/?said=dismissed")
        except (SlotUnavailableError, UsageError) as exc:
            return site.message("Nothing was done", f"{exc}.", status=409, links=(("Back", "/"),))
        except CadenceError as exc:
            return site.message(
                "Not done yet",
                f"cadence could not finish: {exc}. Try again in a while.",
                status=503,
            )

    async def bookings(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return sign_in_page(site)
        found = await site.backend.run(lambda e: (e.bookings(), _booked(e)))
        return site.page(
            "bookings.html",
            title="Bookings",
            nav="bookings",
            bookings=found[0],
            booked=found[1],
            zone=site.backend.config.owner.zone,
            **owner_context(site, session),
        )

    return [
        Route("/", overview, methods=["GET"]),
        Route("/proposals/{pid}/{what:str}", act, methods=["POST"]),
        Route("/bookings", bookings, methods=["GET"]),
    ]


def _booked(engine: Engine) -> list[Any]:
    """The times booked from a proposal, from a week ago on, soonest first."""
    now = engine.clock()
    found = []
    for proposal in engine.proposals(include_closed=True):
        if proposal.accepted_slot is None:
            continue
        slot = proposal.slots[proposal.accepted_slot - 1]
        if slot.end >= now - timedelta(days=7):
            found.append((proposal, slot))
    return sorted(found, key=lambda pair: pair[1].start)
