"""The owner's sign-in: a signed link becomes a session cookie.

A sign-in link (``/in/EXPIRES-SIG``, from ``cadence web login`` or from a
cadence email) shows a page with one button; its POST starts a session and
sets the cookie: HttpOnly (no script reads it), SameSite=Strict (no other site
sends it), Secure under https, for :data:`SESSION_LIFETIME`. Sign-out ends the
session on the server too, not only in the browser.

Without a session, the owner's pages show :func:`sign_in_page` and no data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cadence.daemon.core import web_links
from cadence.daemon.web.site import Site
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SESSION_LIFETIME = timedelta(days=14)


def sign_in_page(site: Site, note: str = "", status: int = 200) -> Response:
    return site.page("signin.html", status=status, title="Sign in", note=note)


def owner_context(site: Site, session: str) -> dict[str, Any]:
    """What every owner page's template needs: the sign-out form's token."""
    return {"signed_in": True, "session_token": site.token(site.session_binding(session))}


def routes(site: Site) -> list[Route]:
    async def sign_in(request: Request) -> Response:
        async def handle() -> tuple[Response, bool]:
            token = str(request.path_params["token"])
            expires = web_links.sign_in_expiry(site.backend.key, token)
            if expires is None:
                return site.not_valid(), False
            if expires <= site.backend.now():
                return site.message(
                    "This sign-in link has expired",
                    "Sign-in links work for a while only. Run `cadence web login` for a "
                    "new one, or use the link in a newer email from cadence.",
                    status=410,
                ), True
            binding = request.url.path
            if request.method == "POST":
                form = await site.form(request)
                refused = site.refusal(request, form, binding, dwell=1)
                if refused is None:
                    return await _start(), True
                return _confirm(binding, refused, 400), True
            return _confirm(binding), True

        return await site.lookup(request, handle)

    def _confirm(binding: str, note: str = "", status: int = 200) -> Response:
        return site.page(
            "signin_confirm.html",
            status=status,
            title="Sign in",
            token=site.token(binding),
            note=note,
        )

    async def _start() -> Response:
        def start(engine: Any) -> str:
            now = engine.clock()
            return str(engine.store.web.new_session(now, now + SESSION_LIFETIME))

        session = await site.backend.run(start)
        response = site.redirect("/")
        response.set_cookie(
            site.cookie,
            session,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=site.backend.root or "/",
            secure=site.backend.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    async def sign_out(request: Request) -> Response:
        session = await site.session(request)
        if session is None:
            return site.redirect("/")
        form = await site.form(request)
        if site.refusal(request, form, site.session_binding(session)) is not None:
            return site.redirect("/")  # not this page's form: someone else's doing
        await site.backend.run(lambda e: e.store.web.end_session(session))
        response = site.redirect("/")
        response.delete_cookie(
            site.cookie,
            path=site.backend.root or "/",
            secure=site.backend.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    return [
        Route("/in/{token}", sign_in, methods=["GET", "POST"]),
        Route("/signout", sign_out, methods=["POST"]),
    ]
