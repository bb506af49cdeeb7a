"""The owner's people pages: who she meets, adding someone, changing how often,
pausing and resuming, and a new agenda link for someone.

Every value goes through the parsers the command line uses and every change
through the engine, so the web refuses what ``cadence person`` refuses, in the
same words, and warns where it warns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cadence.daemon.core import web_links
from cadence.daemon.core.dates import DAY_NAMES
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.core.model import WEEKDAYS, Cadence, Kind, Person
from cadence.daemon.core.values import (
    parse_clock,
    parse_date,
    parse_email,
    parse_kind,
    parse_meeting_length,
    parse_name,
    parse_weekday,
    parse_zone,
)
from cadence.daemon.engine import Engine
from cadence.daemon.people_changes import PersonChange
from cadence.daemon.web.signing_in import owner_context, sign_in_page
from cadence.daemon.web.site import Site
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The form's fields, the parser of each, and the Person field it sets.
_FIELDS: dict[str, tuple[Callable[[str], Any], str]] = {
    "name": (parse_name, "name"),
    "every": (Cadence.parse, "cadence"),
    "day": (parse_weekday, "day"),
    "time": (parse_clock, "time"),
    "duration": (parse_meeting_length, "duration"),
    "kind": (parse_kind, "kind"),
    "timezone": (parse_zone, "timezone"),
}
_SAID = {
    "added": "Added.",
    "updated": "Saved.",
    "paused": "Paused: no gaps or proposals meanwhile.",
    "resumed": "Resumed.",
    "rotated": "The agenda has a new link; the old one no longer works.",
}


def person_by_ref(engine: Engine, ref: Callable[[str], str], wanted: str) -> Person | None:
    return next((p for p in engine.people() if ref(p.email) == wanted), None)


def _parse(form: dict[str, str], *, adding: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the Person fields the form gives, and the problems by field."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, (parse, target) in _FIELDS.items():
        text = form.get(field, "").strip()
        if not text and field == "timezone":
            if not adding and "timezone" in form:
                values[target] = None  # emptied: the owner's timezone again
            continue
        if not text and field != "name":
            continue
        try:
            values[target] = parse(text)
        except ValueError as exc:
            problems[field] = str(exc)
    return values, problems


def _warnings(change: PersonChange) -> list[str]:
    said = list(change.warnings)
    if change.withdrawn:
        reason = change.withdrawn[0].closed_reason or "it no longer applies"
        said.append(f"Withdrew {len(change.withdrawn)} open proposal(s): {reason}.")
    return said


def routes(site: Site) -> list[Route]:
    ref = site.backend.person_ref

    def form_page(template: str, session: str, context: dict[str, Any], **values: Any) -> Response:
        """A page with a person's form: the choices it offers, its token, what was said
        and found wrong (``context``), in the owner's frame."""
        context.setdefault("problems", {})
        context.setdefault("said", "")
        context.setdefault("warnings", [])
        return site.page(
            template,
            status=context.pop("status", 200),
            nav="people",
            kinds=[k.value for k in Kind],
            weekdays=list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
            form_token=site.token(site.session_binding(session)),
            **values,
            **context,
            **owner_context(site, session),
        )

    def listing(session: str, **context: Any) -> Callable[[Engine], Response]:
        def render(engine: Engine) -> Response:
            context.setdefault("form", {})
            return form_page(
                "people.html",
                session,
                context,
                title="People",
                people=[(p, ref(p.email)) for p in engine.people()],
                zone=engine.config.owner.timezone,
            )

        return render

    async def people(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return sign_in_page(site, status=403 if request.method == "POST" else 200)
        if request.method == "GET":
            said = _SAID.get(request.query_params.get("said", ""), "")
            return await site.backend.run(listing(session, said=said))
        form = await site.form(request)
        refused = site.refusal(request, form, site.session_binding(session))
        if refused or form is None:
            return site.message("Nothing was done", refused or "", status=400)
        values, problems = _parse(form, adding=True)
        try:
            email = parse_email(form.get("email", ""))
        except ValueError as exc:
            problems["email"] = str(exc)
        if "cadence" not in values and "every" not in problems:
            problems["every"] = "say how often you meet: weekly, biweekly, monthly, ..."
        if problems:
            return await site.backend.run(
                listing(session, form=form, problems=problems, status=400)
            )
        try:
            change = await site.backend.run(lambda e: e.add_person(Person(email=email, **values)))
        except CadenceError as exc:
            return await site.backend.run(
                listing(session, form=form, problems={"email": str(exc)}, status=400)
            )
        warnings = _warnings(change)
        if warnings:
            return await site.backend.run(listing(session, said="Added.", warnings=warnings))
        return site.redirect("/people?said=added")

    def detail(session: str, person: Person, **context: Any) -> Callable[[Engine], Response]:
        def render(engine: Engine) -> Response:
            nonce = engine.store.web.existing_nonce(person.email)
            base = engine.config.web.base_url
            link = base + web_links.agenda_path(site.backend.key, nonce) if base and nonce else None
            return form_page(
                "person.html",
                session,
                context,
                title=person.name,
                person=person,
                ref=ref(person.email),
                agenda_link=link,
            )

        return render

    async def person_page(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return sign_in_page(site, status=403 if request.method == "POST" else 200)
        wanted = str(request.path_params["ref"])
        person = await site.backend.run(lambda e: person_by_ref(e, ref, wanted))
        if person is None:
            return site.message("No such person", "Nobody here goes by that address.", status=404)
        if request.method == "GET":
            said = _SAID.get(request.query_params.get("said", ""), "")
            return await site.backend.run(detail(session, person, said=said))
        form = await site.form(request)
        refused = site.refusal(request, form, site.session_binding(session))
        if refused or form is None:
            return site.message("Nothing was done", refused or "", status=400)
        what = str(request.path_params.get("what", "set"))
        try:
            if what == "pause":
                until = parse_date(form["until"]) if form.get("until", "").strip() else None
                change = await site.backend.run(lambda e: e.pause(person.email, until))
                said = "paused"
            elif what == "resume":
                change = await site.backend.run(lambda e: e.resume(person.email))
                said = "resumed"
            elif what == "rotate":
                await site.backend.run(lambda e: e.rotate_agenda_link(person.email))
                return site.redirect(f"/people/{wanted}?said=rotated")
            elif what == "set":
                values, problems = _parse(form, adding=False)
                if problems:
                    shown = replace(person, name=form.get("name", person.name))
                    return await site.backend.run(
                        detail(session, shown, problems=problems, status=400)
                    )
                change = await site.backend.run(lambda e: e.update_person(person.email, **values))
                said = "updated"
            else:
                return site.message("Nothing was done", "Unknown action.", status=404)
        except (CadenceError, ValueError) as exc:
            return await site.backend.run(
                detail(session, person, problems={what: str(exc)}, status=400)
            )
        warnings = _warnings(change)
        if warnings:
            return await site.backend.run(
                detail(session, change.person, said=_SAID[said], warnings=warnings)
            )
        return site.redirect(f"/people/{wanted}?said={said}")

    return [
        Route("/people", people, methods=["GET", "POST"]),
        Route("/people/{ref}", person_page, methods=["GET"]),
        Route("/people/{ref}/{what}", person_page, methods=["POST"]),
    ]
