"""A proposal's confirm pages: ``/p/ID/CHOICE/SIG``, linked from its email.

GET (and HEAD) shows the page: the time and a button, or, once the proposal
closed, what became of it and no button. Only the button's POST acts, through
the engine's ``accept`` (the path ``cadence proposals accept`` takes) or
``dismiss``; pressed again, or after the proposal closed, it says what
happened instead. See :mod:`.guard` for how a press is told from a scanner.
"""

from __future__ import annotations

from dataclasses import dataclass

from cadence.daemon.core import web_links
from cadence.daemon.core.errors import CadenceError, SlotUnavailableError, UsageError
from cadence.daemon.core.messages import period_text, slot_text
from cadence.daemon.core.model import Cadence, Person, Proposal, ProposalStatus, Unit
from cadence.daemon.engine import Engine
from cadence.daemon.proposing import Accepted
from cadence.daemon.web.site import Site
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_CLOSED = {
    ProposalStatus.DISMISSED: "It was dismissed: that gap gets no other proposal.",
    ProposalStatus.EXPIRED: "It expired: its period is over.",
    ProposalStatus.SUPERSEDED: "It is no longer needed: the calendar filled the gap by itself.",
    ProposalStatus.WITHDRAWN: "It was withdrawn before anyone answered",
}


@dataclass(frozen=True)
class _Found:
    proposal: Proposal
    person: Person
    slots: tuple[str, ...]  # how each slot reads
    period: str


def _find(engine: Engine, proposal_id: int) -> _Found | None:
    found = engine.store.proposals.get(proposal_id)
    if found is None:
        return None
    # A removed person's proposals were withdrawn; their page still reads.
    person = engine.store.people.get(found.person) or Person(
        found.person, found.person, Cadence(Unit.WEEK)
    )
    owner = engine.config.owner
    return _Found(
        found,
        person,
        tuple(slot_text(found, s, person, owner) for s in found.slots),
        period_text(found, person, owner),
    )


def _what_became(found: _Found) -> str:
    proposal = found.proposal
    if proposal.status is ProposalStatus.ACCEPTED and proposal.accepted_slot:
        number = proposal.accepted_slot
        return f"It is booked: time {number}, {found.slots[number - 1]}."
    said = _CLOSED.get(proposal.status, f"It is {proposal.status}.")
    if proposal.closed_reason:
        said = f"{said.rstrip('.')} ({proposal.closed_reason})."
    return said


def routes(site: Site) -> list[Route]:
    async def confirm(request: Request) -> Response:
        async def handle() -> tuple[Response, bool]:
            params = request.path_params
            choice, signature = str(params["choice"]), str(params["sig"])
            raw_id = str(params["pid"])
            if not raw_id.isdigit() or len(raw_id) > 12:
                return site.not_valid(), False
            proposal_id = int(raw_id)
            key = site.backend.key
            if not web_links.proposal_signature_ok(key, proposal_id, choice, signature):
                return site.not_valid(), False
            found = await site.backend.run(lambda e: _find(e, proposal_id))
            if found is None:
                return site.message(
                    "This proposal is gone",
                    "cadence no longer knows this proposal. Nothing was done.",
                    status=410,
                ), False
            if choice != "dismiss" and int(choice) > len(found.slots):
                return site.not_valid(), False
            binding = request.url.path
            if request.method == "POST":
                return await _act(request, found, choice, binding), True
            return _show(found, choice, binding), True

        return await site.lookup(request, handle)

    def _show(
        found: _Found, choice: str, binding: str, note: str = "", status: int = 200
    ) -> Response:
        proposal = found.proposal
        if not proposal.status.live:
            return site.message(
                f"1:1 with {found.person.name}: nothing to do",
                f"This proposal is closed. {_what_became(found)}",
                links=(("Your 1:1s at a glance", "/"),),
            )
        others = [
            (n, text, web_links.proposal_path(site.backend.key, proposal.id, str(n)))
            for n, text in enumerate(found.slots, start=1)
            if str(n) != choice
        ]
        return site.page(
            "confirm.html",
            status=status,
            title=f"1:1 with {found.person.name}",
            person=found.person,
            period=found.period,
            choice=choice,
            when=found.slots[int(choice) - 1] if choice != "dismiss" else "",
            shorter=choice != "dismiss" and proposal.slots[int(choice) - 1].shorter,
            minutes=_minutes(proposal, choice),
            others=others,
            token=site.token(binding),
            note=note,
        )

    async def _act(request: Request, found: _Found, choice: str, binding: str) -> Response:
        refused = site.refusal(request, await site.form(request), binding, dwell=1)
        if refused:
            return _show(found, choice, binding, note=refused, status=400)
        proposal_id = found.proposal.id

        def act(engine: Engine) -> Accepted | None:
            if choice == "dismiss":
                engine.dismiss(proposal_id)
                return None
            return engine.accept(proposal_id, int(choice))

        try:
            accepted = await site.backend.run(act)
        except SlotUnavailableError as exc:
            return _show(found, choice, binding, note=f"Not booked: {exc}.", status=409)
        except UsageError:
            # Closed meanwhile (another press, a reply, the CLI): say what became of it.
            now = await site.backend.run(lambda e: _find(e, proposal_id))
            return _show(now or found, choice, binding)
        except CadenceError as exc:
            return site.message(
                "Not booked yet",
                f"cadence could not finish: {exc}. Nothing was booked; try again in a while.",
                status=503,
            )
        if accepted is None:
            return site.message(
                "Dismissed",
                f"The proposal for your 1:1 with {found.person.name} is dismissed; that gap "
                "gets no other proposal.",
                links=(("Your 1:1s at a glance", "/"),),
            )
        return site.message(
            "Booked", _booked(accepted, found), links=(("Your 1:1s at a glance", "/"),)
        )

    return [Route("/p/{pid}/{choice}/{sig}", confirm, methods=["GET", "POST"])]


def _minutes(proposal: Proposal, choice: str) -> int:
    if choice == "dismiss":
        return 0
    return int(proposal.slots[int(choice) - 1].duration.total_seconds() // 60)


def _booked(accepted: Accepted, found: _Found) -> str:
    when = found.slots[found.proposal.slots.index(accepted.slot)]
    name = found.person.name
    return {
        "moved": f"Your 1:1 with {name} is moved to {when}; Google tells {name}.",
        "created": f"Your 1:1 with {name} is booked for {when}; Google tells {name}.",
        "invited": f"Your 1:1 with {name} is booked for {when}: {name} gets an invitation "
        "by email, and you a copy for your calendar.",
        "asked": f"Not moved: the 1:1 is {accepted.to}'s meeting. cadence asked {accepted.to} "
        f"by email to move it to {when}.",
    }.get(accepted.how, f"Booked for {when}.")
