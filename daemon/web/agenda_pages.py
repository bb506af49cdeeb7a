"""Agenda pages: the person's own (``/a/NONCE-SIG``, the agenda link of their
invitations and emails) and the owner's (``/people/REF/agenda``, signed in).

Both show the living agenda and take the same two edits: a topic for the next
meeting (under the person's topics, or the owner's: on her page hers come
first) and a tick of an action item. Two people editing at once both keep
their edits; a tick whose line changed meanwhile is answered 409 with the
agenda as it is now, and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cadence.daemon.core import web_links
from cadence.daemon.core.agenda_edits import EditConflict
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.model import Person
from cadence.daemon.engine import Engine
from cadence.daemon.web import agenda_work
from cadence.daemon.web.agenda_html import agenda_html
from cadence.daemon.web.agenda_work import OWNER, PERSON, AgendaState
from cadence.daemon.web.people_pages import person_by_ref
from cadence.daemon.web.signing_in import owner_context, sign_in_page
from cadence.daemon.web.site import Site
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_SAID = {"topic": "Your topic was added.", "ticked": "Done: the agenda is saved."}


def _person_of_nonce(engine: Engine, nonce: str) -> Person | None:
    email = engine.store.web.person_for(nonce)
    return engine.store.people.get(email) if email else None


def routes(site: Site) -> list[Route]:
    def render(
        state: AgendaState,
        *,
        base: str,
        binding: str,
        owner_view: bool,
        said: str = "",
        note: str = "",
        topic: str = "",
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        token = site.token(binding)
        html = agenda_html(
            state.text, action=f"{site.backend.root}{base}/tick", token=token, tag=state.tag
        )
        response = site.page(
            "agenda.html",
            status=status,
            title=f"1:1 agenda: {state.person.name}",
            state=state,
            agenda=html,
            action=f"{base}/topic",
            token=token,
            whose=OWNER if owner_view else PERSON,
            owner_view=owner_view,
            said=_SAID.get(said, ""),
            note=note,
            topic=topic,
            **(extra or {}),
        )
        response.headers["etag"] = f'"{state.tag}"'
        return response

    async def edit(
        request: Request,
        person: Person,
        what: str,
        *,
        base: str,
        binding: str,
        owner_view: bool,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        form = await site.form(request)
        refused = site.refusal(request, form, binding)
        current = await site.backend.run(lambda e: agenda_work.state(e, person))

        def back(note: str, status: int, topic: str = "") -> Response:
            return render(
                current,
                base=base,
                binding=binding,
                owner_view=owner_view,
                note=note,
                topic=topic,
                status=status,
                extra=extra,
            )

        if refused or form is None:
            return back(refused or "", 400)
        job: Callable[[Engine], AgendaState]
        if what == "topic":
            whose = OWNER if form.get("whose") == OWNER else PERSON
            topic = form.get("topic", "")
            job = lambda e: agenda_work.add_topic(e, person, whose, topic)  # noqa: E731
        else:
            line = form.get("line", "")
            if not line.isdigit():
                return back("No such action item.", 400)
            number, text, done = int(line), form.get("text", ""), form.get("done") == "1"
            job = lambda e: agenda_work.set_task(e, person, number, text, done)  # noqa: E731
        try:
            await site.backend.run(job)
        except EditConflict as exc:
            note = f"Not saved: {exc}. Here is the agenda as it is now; nothing was lost."
            return back(note, 409)
        except ValueError as exc:
            return back(f"{exc}.", 400, form.get("topic", ""))
        except CadenceError as exc:
            return back(f"Not saved: {exc}", 503)
        return site.redirect(f"{base}?said={'topic' if what == 'topic' else 'ticked'}")

    # -- the person's page --------------------------------------------------------

    async def persons_page(request: Request) -> Response:
        token = str(request.path_params["token"])
        what = request.path_params.get("what")

        async def handle() -> tuple[Response, bool]:
            nonce = web_links.agenda_nonce(site.backend.key, token)
            if nonce is None or what not in (None, "topic", "tick"):
                return site.not_valid(), False
            person = await site.backend.run(lambda e: _person_of_nonce(e, nonce))
            if person is None:
                return site.message(
                    "This agenda link was replaced",
                    "The agenda has a new link now. Ask for it, or use the one in the latest "
                    "invitation.",
                    status=410,
                ), False
            base = f"/a/{token}"
            if request.method == "POST" and what is not None:
                return await edit(
                    request, person, what, base=base, binding=base, owner_view=False
                ), True
            if what is not None:
                return site.not_valid(), False
            current = await site.backend.run(lambda e: agenda_work.state(e, person))
            said = request.query_params.get("said", "")
            return render(current, base=base, binding=base, owner_view=False, said=said), True

        return await site.lookup(request, handle)

    # -- the owner's page -----------------------------------------------------------

    async def owners_page(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return sign_in_page(site, status=403 if request.method == "POST" else 200)
        ref = str(request.path_params["ref"])
        what = request.path_params.get("what")
        person = await site.backend.run(lambda e: person_by_ref(e, site.backend.person_ref, ref))
        if person is None or what not in (None, "topic", "tick"):
            return site.message("No such person", "Nobody here goes by that address.", status=404)
        base = f"/people/{ref}/agenda"
        binding = site.session_binding(session)
        extra = {"nav": "people", **owner_context(site, session)}
        if request.method == "POST" and what is not None:
            return await edit(
                request, person, what, base=base, binding=binding, owner_view=True, extra=extra
            )
        current = await site.backend.run(lambda e: agenda_work.state(e, person))
        said = request.query_params.get("said", "")
        return render(current, base=base, binding=binding, owner_view=True, said=said, extra=extra)

    def guarded(
        page: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            try:
                return await page(request)
            except CadenceError as exc:
                return site.message("The agenda cannot be shown", f"{exc}.", status=503)

        return answer

    return [
        Route("/a/{token}", guarded(persons_page), methods=["GET"]),
        Route("/a/{token}/{what}", guarded(persons_page), methods=["POST"]),
        Route("/people/{ref}/agenda", guarded(owners_page), methods=["GET"]),
        Route("/people/{ref}/agenda/{what}", guarded(owners_page), methods=["POST"]),
    ]
