"""Calling Google's APIs: clients from the bundled discovery documents, and retries.

Clients are built offline from the discovery documents that ship with
google-api-python-client (no discovery request at start), over an httplib2
connection with a timeout and the credentials of :mod:`cadence.daemon.google.auth`.
``$CADENCE_GOOGLE_ROOT`` moves every URL (API, uploads, batches) to another
root, such as a local emulator.

:func:`call` executes one request the way Google asks clients to: 429, 5xx
and 403 ``rateLimitExceeded``/``userRateLimitExceeded`` are retried with
capped exponential backoff and jitter (honouring ``Retry-After``); any other
4xx is not, since repeating it cannot help. A failure becomes a
:class:`GoogleApiError` naming the API, the call and Google's reason.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import google.auth.exceptions
import httplib2
from cadence.daemon.core.errors import CadenceError
from cadence.daemon.google.auth import google_root, refused
from google.auth.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

log = logging.getLogger(__name__)

RATE_LIMITS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
ATTEMPTS = 5
FIRST_WAIT = 1.0
LONGEST_WAIT = 32.0
# Google's advice: batches of at most 50 calls (Calendar allows 1000, Drive 100).
BATCH_SIZE = 50


class GoogleApiError(CadenceError):
    """A Google API call failed for good (or after its retries)."""

    def __init__(self, call: str, status: int | None, reason: str, message: str) -> None:
        self.call = call
        self.status = status
        self.reason = reason
        where = f"HTTP {status}, " if status else ""
        super().__init__(f"Google {call} failed ({where}{reason}): {message}")


Client = TypeVar("Client")


class Connection(Generic[Client]):
    """A client connected at its first use (``connect``), so that an authorization
    Google refuses fails that use (reported, retried) rather than the start; after
    such a refusal it is forgotten, and the next use tries the saved authorization
    afresh."""

    def __init__(self, connect: Callable[[], Client]) -> None:
        self._connect = connect
        self._client: Client | None = None

    def get(self) -> Client:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def forget(self) -> None:
        self._client = None


def service(
    api: str, version: str, credentials: Credentials, *, timeout: float = 30.0, env: Any = None
) -> Any:
    """Return a client for ``api`` ``version`` (calendar v3, drive v3, docs v1)."""
    document = json.loads(get_static_doc(api, version))
    root = google_root(env)
    if root:
        document["rootUrl"] = root
        document.pop("mtlsRootUrl", None)
    http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    return build_from_document(document, http=http)


def error_details(exc: HttpError) -> tuple[str, str]:
    """Return Google's reason and message from an error response."""
    try:
        body = json.loads(exc.content)["error"]
    except (ValueError, KeyError, TypeError):
        return "unknown", str(exc.reason) if hasattr(exc, "reason") else "no details"
    errors = body.get("errors") or []
    reason = errors[0].get("reason") if errors else None
    if not reason:
        # The newer APIs (Docs) carry a status and, for quotas, an ErrorInfo reason.
        infos = [d.get("reason") for d in body.get("details", []) if isinstance(d, dict)]
        reason = next((r for r in infos if r), None) or body.get("status") or "unknown"
    return str(reason), str(body.get("message", ""))


def retryable(exc: BaseException) -> bool:
    """Return whether Google asks for this failure to be retried."""
    if isinstance(exc, HttpError):
        status = exc.resp.status
        if status == 429 or status >= 500:
            return True
        return status == 403 and error_details(exc)[0] in RATE_LIMITS
    # A dropped connection or a timeout may heal on the next try.
    return isinstance(exc, (socket.timeout, ConnectionError, ssl.SSLError, httplib2.HttpLib2Error))


def _wait(rng: random.Random) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, HttpError):
            after = str(exc.resp.get("retry-after", ""))
            if after.isdigit():
                return min(float(after), LONGEST_WAIT)
        ceiling: float = min(FIRST_WAIT * 2 ** (state.attempt_number - 1), LONGEST_WAIT)
        return ceiling * (0.5 + 0.5 * rng.random())

    return wait


def call(
    request: Any,
    name: str,
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Any:
    """Execute ``request`` (an HttpRequest of the client) and return its result.

    ``name`` says what it is in errors and logs, e.g. ``calendar events.list``.
    """
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=_wait(rng or random.Random()),  # noqa: S311 - jitter, not secrecy
        retry=retry_if_exception(retryable),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda state: (
            log.info("Google %s: %s; trying again", name, _describe(state.outcome.exception()))
            if state.outcome
            else None
        ),
    )
    try:
        return retrying(request.execute)
    except HttpError as exc:
        reason, message = error_details(exc)
        raise GoogleApiError(name, exc.resp.status, reason, message) from None
    except google.auth.exceptions.RefreshError as exc:
        # The client renews an expired access token by itself; Google may refuse.
        raise refused(exc, "the saved token") from None
    except (OSError, httplib2.HttpLib2Error) as exc:
        raise GoogleApiError(name, None, type(exc).__name__, str(exc)) from None


def call_batch(
    client: Any,
    requests: Sequence[tuple[str, Any]],
    *,
    size: int = BATCH_SIZE,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> list[Any]:
    """Execute many ``(name, request)`` pairs of one API in batches of ``size``.

    Return, in order, each call's result or its :class:`GoogleApiError`. A call the
    batch answered with a retryable failure (or that a failed batch left unanswered)
    is tried again on its own with :func:`call`'s retries. A refused authorization
    is raised, as from :func:`call`.
    """
    results: list[Any] = [None] * len(requests)
    answers: dict[int, Any] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        answers[int(request_id)] = exception if exception is not None else response

    for first in range(0, len(requests), size):
        chunk = range(first, min(first + size, len(requests)))
        answers.clear()
        batch = client.new_batch_http_request(callback=collect)
        for index in chunk:
            batch.add(requests[index][1], request_id=str(index))
        if len(chunk) > 1:
            try:
                call(batch, f"{requests[first][0].split()[0]} batch", sleep=sleep, rng=rng)
            except GoogleApiError as exc:
                log.info("%s; sending its calls one by one", exc)
                answers.clear()
        for index in chunk:
            name, request = requests[index]
            answer = answers.get(index)
            if isinstance(answer, HttpError) and not retryable(answer):
                reason, message = error_details(answer)
                results[index] = GoogleApiError(name, answer.resp.status, reason, message)
                continue
            if index in answers and not isinstance(answer, HttpError):
                results[index] = answer
                continue
            try:
                results[index] = call(request, name, sleep=sleep, rng=rng)
            except GoogleApiError as exc:
                results[index] = exc
    return results


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, HttpError):
        reason, _ = error_details(exc)
        return f"HTTP {exc.resp.status} {reason}"
    return repr(exc)
