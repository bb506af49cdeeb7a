"""HTTP routing and the pipeline every call goes through, on a ThreadingHTTPServer.

Paths are those the real client builds from the discovery documents with
``rootUrl`` pointed here: ``/calendar/v3/...``, ``/drive/v3/...``,
``/upload/drive/v3/...``, ``/v1/documents...`` (Docs), ``/batch/<api>/<version>``,
plus ``/token`` and ``/auth`` for OAuth. Each API call is: route, authenticate
the Bearer token (401 as Google answers it), check the token's scopes against
the method's scopes in the discovery document (403), answer an injected fault if
one is due, run the handler, apply ``fields``, and log a ``Call``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from traceback import format_exc
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import batch, calendar_api, docs_api, drive_api, fields, freebusy, oauth, schemas
from .api import Ctx, Handler, Reply, Request
from .errors import ApiError, insufficient_scopes, invalid_credentials, login_required
from .state import Call, State


@dataclass(frozen=True)
class Route:
    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    handler: Handler


def _route(method_id: str, http_method: str, path: str, handler: Handler) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/:]+)", path)
    return Route(method_id, http_method, re.compile(f"^{regex}$"), handler)


_EVENTS = "/calendar/v3/calendars/{calendarId}/events"
ROUTES = (
    _route("calendar.events.list", "GET", _EVENTS, calendar_api.events_list),
    _route("calendar.events.insert", "POST", _EVENTS, calendar_api.events_insert),
    _route("calendar.events.get", "GET", _EVENTS + "/{eventId}", calendar_api.events_get),
    _route("calendar.events.patch", "PATCH", _EVENTS + "/{eventId}", calendar_api.events_patch),
    _route("calendar.events.update", "PUT", _EVENTS + "/{eventId}", calendar_api.events_update),
    _route("calendar.events.delete", "DELETE", _EVENTS + "/{eventId}", calendar_api.events_delete),
    _route(
        "calendar.events.instances",
        "GET",
        _EVENTS + "/{eventId}/instances",
        calendar_api.events_instances,
    ),
    _route("calendar.freebusy.query", "POST", "/calendar/v3/freeBusy", freebusy.freebusy_query),
    _route("drive.files.create", "POST", "/drive/v3/files", drive_api.files_create),
    _route("drive.files.create", "POST", "/upload/drive/v3/files", drive_api.files_create),
    _route("drive.files.list", "GET", "/drive/v3/files", drive_api.files_list),
    _route("drive.files.get", "GET", "/drive/v3/files/{fileId}", drive_api.files_get),
    _route("drive.files.export", "GET", "/drive/v3/files/{fileId}/export", drive_api.files_export),
    _route(
        "drive.permissions.create",
        "POST",
        "/drive/v3/files/{fileId}/permissions",
        drive_api.permissions_create,
    ),
    _route("docs.documents.create", "POST", "/v1/documents", docs_api.documents_create),
    _route("docs.documents.get", "GET", "/v1/documents/{documentId}", docs_api.documents_get),
    _route(
        "docs.documents.batchUpdate",
        "POST",
        "/v1/documents/{documentId}:batchUpdate",
        docs_api.documents_batch_update,
    ),
)
BATCH_PATHS = {"/batch/calendar/v3": "calendar", "/batch/drive/v3": "drive"}


class Dispatcher:
    """Runs requests against the state, one at a time (the state lock is held throughout)."""

    def __init__(self, state: State, token_uri: str) -> None:
        self.state = state
        self.token_uri = token_uri

    def handle(self, request: Request) -> Reply:
        with self.state.lock:
            if request.path == "/token" and request.method == "POST":
                return self._oauth("token", request)
            if request.path == "/auth" and request.method == "GET":
                return self._oauth("auth", request)
            if request.path in BATCH_PATHS and request.method == "POST":
                return self._batch(BATCH_PATHS[request.path], request)
            return self.call(request)

    def call(self, request: Request, api: str | None = None) -> Reply:
        """One API call; ``api`` restricts which API a batch may reach."""
        found = self._match(request, api)
        if found is None:
            reply = _error_reply(
                ApiError(404, "notFound", f"No such method: {request.path}"), "apiary"
            )
            self._log("unknown", request, reply, None)
            return reply
        route, args = found
        family = "rpc" if route.method_id.startswith("docs.") else "apiary"
        user: str | None = None
        try:
            ctx = self._authorise(request, route, args)
            user = ctx.user
            fault = self.state.take_fault(route.method_id)
            if fault is not None:
                if fault.after:
                    route.handler(ctx)  # done, but the answer is an error
                raise ApiError(fault.status, fault.reason, retry_after=fault.retry_after)
            reply = route.handler(ctx)
            reply.body = _masked(reply.body, ctx.param("fields"))
        except ApiError as error:
            reply = _error_reply(error, family)
        except Exception:  # a bug in the emulator: answer 500 with the traceback to see it
            bug = ApiError(500, "backendError", "google_emulator failed:\n" + format_exc())
            reply = _error_reply(bug, family)
        self._log(route.method_id, request, reply, user)
        return reply

    def _authorise(self, request: Request, route: Route, args: dict[str, str]) -> Ctx:
        header = request.header("Authorization") or ""
        if not header.lower().startswith("bearer "):
            raise login_required()
        token = self.state.access_tokens.get(header[7:].strip())
        now = self.state.clock.now()
        if token is None or token.revoked or token.expires_at <= now:
            raise invalid_credentials()
        if not token.scopes & set(schemas.method(route.method_id).get("scopes", [])):
            raise insufficient_scopes()
        return Ctx(
            self.state, request, route.method_id, args, token.user, token.scopes, token.client_id
        )

    def _match(self, request: Request, api: str | None) -> tuple[Route, dict[str, str]] | None:
        for route in ROUTES:
            if api is not None and not route.method_id.startswith(api + "."):
                continue
            matched = route.pattern.match(request.path)
            if matched and route.http_method == request.method:
                return route, {k: unquote(v) for k, v in matched.groupdict().items()}
        return None

    def _oauth(self, method_id: str, request: Request) -> Reply:
        user: str | None = None
        try:
            fault = self.state.take_fault(method_id)
            if fault is not None:
                reason = fault.reason or (
                    "server_error" if fault.status >= 500 else "invalid_request"
                )
                raise ApiError(fault.status, reason, reason, retry_after=fault.retry_after)
            if method_id == "token":
                reply, user = oauth.token(self.state, request, self.token_uri)
            else:
                reply, user = oauth.authorize(self.state, request)
        except ApiError as error:
            reply = _error_reply(error, "oauth")
        self._log(method_id, request, reply, user)
        return reply

    def _batch(self, api: str, request: Request) -> Reply:
        try:
            fault = self.state.take_fault("batch")
            if fault is not None:
                raise ApiError(fault.status, fault.reason, retry_after=fault.retry_after)
            parts = batch.unpack(request)
            limit = self.state.settings.batch_limits[api]
            if len(parts) > limit:
                # Google's wording for an oversized batch is unverified.
                raise ApiError(400, "badRequest", f"A batch may hold at most {limit} requests.")
        except batch.BatchError as error:
            reply = _error_reply(ApiError(400, "badRequest", str(error)), "apiary")
            self._log("batch", request, reply, None)
            return reply
        except ApiError as error:
            reply = _error_reply(error, "apiary")
            self._log("batch", request, reply, None)
            return reply
        self._log("batch", request, Reply(status=200), None)
        replies = [(content_id, self.call(inner, api)) for content_id, inner in parts]
        content_type, body = batch.pack(replies, self.state.clock.token("batch_"))
        return Reply(body=body, content_type=content_type)

    def _log(self, method_id: str, request: Request, reply: Reply, user: str | None) -> None:
        query = {k: v[0] if len(v) == 1 else list(v) for k, v in request.query.items()}
        response = reply.body if isinstance(reply.body, dict | list) else None
        call = Call(
            method_id=method_id,
            http_method=request.method,
            path=request.path,
            query=query,
            body=_body_of(request),
            status=reply.status,
            in_batch=request.in_batch,
            user=user,
            response=response,
        )
        self.state.calls.append(call)


class EmulatorServer:
    """The dispatcher served over HTTP/1.1 on 127.0.0.1 from a background thread."""

    def __init__(self, state: State) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self.root = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self.dispatcher = Dispatcher(state, self.root + "token")
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_class(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            reply = server.dispatcher.handle(request)
            payload = reply.payload()
            self.send_response(reply.status)
            if payload and reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the call log is the record."""

    return Handler


def _error_reply(error: ApiError, family: str) -> Reply:
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.status == 401 and family != "oauth":
        headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return Reply(status=error.status, body=error.body(family), headers=headers)


def _masked(body: Any, mask: str | None) -> Any:
    """The body reduced to the ``fields`` selection, if there is one."""
    if mask is None or not isinstance(body, dict):
        return body
    try:
        return fields.apply(body, fields.parse(mask))
    except ValueError:
        raise ApiError(
            400, "invalidParameter", f"Invalid field selection {mask}", location="fields"
        ) from None


def _body_of(request: Request) -> Any:
    if not request.body:
        return None
    content_type = request.header("Content-Type") or ""
    if "json" in content_type:
        try:
            return json.loads(request.body)
        except ValueError:
            return request.body
    if "x-www-form-urlencoded" in content_type:
        return {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
    return request.body
