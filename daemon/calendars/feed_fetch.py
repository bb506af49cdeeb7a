"""Fetch a calendar feed over HTTP(S) or from a file, and tell whether it changed.

A feed is fetched with a conditional GET (ETag, Last-Modified) and compared by
content hash, so an unchanged feed costs neither a download nor a parse. Every
failure becomes a SourceError that names the feed without its secret parts and
says what to do.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
from collections.abc import Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from cadence.daemon import __version__
from cadence.daemon.core.errors import SourceError
from cadence.daemon.core.urls import feed_url_problem, shown_url

__all__ = ["FetchResult", "fetch_feed", "icalendar_problem", "source_name"]

USER_AGENT = f"cadence/{__version__}"
MAX_REDIRECTS = 5
_HTTP_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
_BOM = b"\xef\xbb\xbf"
# A download: body, ETag, Last-Modified; None when the server answered 304.
_Fetched = tuple[bytes, str | None, str | None] | None
# A BEGIN or END line: a line starting with white space continues the previous one.
_STRUCTURE_LINE = re.compile(rb"(?:^|[\r\n])(BEGIN|END)[ \t]*:[ \t]*([A-Za-z-]*)", re.IGNORECASE)


@dataclass(frozen=True)
class FetchResult:
    """A fetched feed: its body, or None when unchanged since ``state`` was taken.

    ``state`` is what to hand back on the next fetch: ``etag``, ``last_modified``
    (when the server sent them) and ``content_hash`` (sha256 of the body).
    """

    body: bytes | None
    state: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.body is not None


def source_name(location: str) -> str:
    """Given a feed location, return a name for logs and errors that holds no secret:
    ``scheme://host/…/basic.ics`` for addresses, whatever the scheme (no credentials,
    query or token path), file paths as given."""
    return shown_url(location)


def icalendar_problem(body: bytes, what: str = "the response") -> str | None:
    """Given a response body (or file, ``what``), return why it is not an iCalendar
    stream, or None."""
    head = body[:4096].removeprefix(_BOM).lstrip()
    if head[:15].upper() == b"BEGIN:VCALENDAR":
        if not _ends_a_calendar(body):
            return "the feed is cut short (it does not end with END:VCALENDAR); will retry"
        return None
    if not head:
        return f"{what} is empty, not iCalendar"
    lowered = head.lower()
    if lowered.startswith(b"<!doctype html") or b"<html" in lowered:
        return (
            f"{what} is not iCalendar (it looks like an HTML page: "
            "is the address the secret iCal address?)"
        )
    return f"{what} is not iCalendar (it does not start with BEGIN:VCALENDAR)"


def _ends_a_calendar(body: bytes) -> bool:
    """Whether the last BEGIN or END line of a body is END:VCALENDAR: what follows it
    (a cache's comment, stray blank lines) is not the calendar's, and a body cut
    short ends inside a component instead. Only the tail is searched unless it
    holds no such line: a scan of a whole multi-MB body would copy it."""
    for tail in (body[-65536:], body):
        last = next(reversed(list(_STRUCTURE_LINE.finditer(tail))), None)
        if last is not None:
            return last.group(1).upper() == b"END" and last.group(2).upper() == b"VCALENDAR"
        if len(tail) == len(body):
            break
    return False


def fetch_feed(
    location: str,
    state: Mapping[str, str],
    *,
    timeout: float = 20.0,
    max_bytes: int = 20_000_000,
    base_dir: Path | None = None,
    setting: str = "calendar.ics.url",
) -> FetchResult:
    """Given a feed location (http(s):// or webcal:// URL, file:// URI or path, relative
    ones against ``base_dir``) and the state of the previous fetch, return the body or
    None when unchanged, with the new state; raise SourceError naming the feed and what
    to do. ``setting`` names the configuration key that holds the location."""
    name = source_name(location)
    problem = feed_url_problem(location)
    if problem:
        raise SourceError(name, f"{problem}: check {setting}")
    parts = urlsplit(location.strip())
    scheme = parts.scheme.lower()
    if scheme in _HTTP_SCHEMES:
        url = parts._replace(scheme=_HTTP_SCHEMES[scheme]).geturl()
        limits = _Limits(name, timeout, max_bytes, setting)
        try:
            fetched = _run(_http_get(url, state, limits))
        except (TimeoutError, httpx.TimeoutException) as error:
            message = f"no complete answer within {timeout:g} s; will retry"
            raise SourceError(name, message) from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            host = name.split("/")[2]  # the host as shown: no credentials
            raise SourceError(name, _connection_problem(error, host, setting)) from error
        if fetched is None:  # 304 Not Modified
            return FetchResult(None, dict(state))
        body, etag, last_modified = fetched
        return _result(name, body, state, etag=etag, last_modified=last_modified)
    if scheme == "file":
        path = Path(unquote(parts.path))
    elif len(scheme) > 1:  # "C:\..." is a path; "ftp://..." is not
        raise SourceError(
            name, f"cadence reads https://, http://, webcal:// or a file path: check {setting}"
        )
    else:
        path = Path(location).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return _result(name, _read_file(path, name, max_bytes, setting), state, what="the file")


def _run(exchange: Coroutine[None, None, _Fetched]) -> _Fetched:
    # Not asyncio.run: it waits for the executor's threads, and a DNS lookup the
    # deadline gave up on may take far longer than the deadline to return.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(exchange)
    except BaseExceptionGroup as group:
        # anyio connects inside a task group, which wraps what a signal handler raises
        # there (a stop, Ctrl-C) in a group: the caller must get it as raised.
        signalled = next(_not_errors(group), None)
        if signalled is None:
            raise
        raise signalled from None
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()  # shuts the executor down without waiting


def _not_errors(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    """The exceptions in ``group`` (nested groups opened) that are no Exception."""
    for member in group.exceptions:
        if isinstance(member, BaseExceptionGroup):
            yield from _not_errors(member)
        elif not isinstance(member, Exception):
            yield member


@dataclass(frozen=True)
class _Limits:
    name: str
    timeout: float
    max_bytes: int
    setting: str

    def too_large(self) -> SourceError:
        size = f"{self.max_bytes / 1_000_000:g} MB"
        return SourceError(self.name, f"larger than {size}; raise calendar.ics.max_size")


async def _http_get(url: str, state: Mapping[str, str], limits: _Limits) -> _Fetched:
    """Return (body, ETag, Last-Modified), or None when the server answers 304."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    # httpx's timeouts bound each wait; a server trickling bytes never waits long
    # enough to trip them, so the whole exchange also runs under one deadline.
    timeouts = httpx.Timeout(limits.timeout, connect=min(limits.timeout, 10.0))
    async with (
        asyncio.timeout(limits.timeout),
        httpx.AsyncClient(
            timeout=timeouts, follow_redirects=True, max_redirects=MAX_REDIRECTS
        ) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        if response.status_code == 304:
            return None
        _check_status(response.status_code, limits)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise limits.too_large()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limits.max_bytes:
                raise limits.too_large()
            chunks.append(chunk)
        headers_in = response.headers
        return b"".join(chunks), headers_in.get("ETag"), headers_in.get("Last-Modified")


def _check_status(status: int, limits: _Limits) -> None:
    if 200 <= status < 300:
        return
    if status in (401, 403):
        message = f"the feed refused access (HTTP {status}): check the secret address"
    elif status in (404, 410):
        message = f"not found (HTTP {status}): check {limits.setting}"
    elif status == 429:
        message = "the server asks to slow down (HTTP 429); will retry"
    elif status >= 500:
        message = f"the server failed (HTTP {status}); will retry"
    else:
        message = f"unexpected answer (HTTP {status}): check {limits.setting}"
    raise SourceError(limits.name, message)


def _connection_problem(error: httpx.HTTPError | httpx.InvalidURL, host: str, setting: str) -> str:
    # httpx's own messages may quote the URL, token included: build ours instead.
    if isinstance(error, httpx.TooManyRedirects):
        return f"more than {MAX_REDIRECTS} redirects: check {setting}"
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"the address (or a redirect) is not a usable http(s) URL: check {setting}"
    if any(isinstance(cause, socket.gaierror) for cause in _chain(error)):
        return f"cannot resolve the host {host}: check {setting} and the network; will retry"
    if isinstance(error, httpx.ConnectError):
        refused = any(isinstance(cause, ConnectionRefusedError) for cause in _chain(error))
        return f"cannot connect to {host}{' (refused)' if refused else ''}; will retry"
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError):
        return "the server broke off the connection; will retry"
    return f"the download failed ({type(error).__name__}); will retry"


def _chain(error: BaseException) -> Iterator[BaseException]:
    cause: BaseException | None = error
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def _read_file(path: Path, name: str, max_bytes: int, setting: str) -> bytes:
    try:
        with path.open("rb") as feed:
            body = feed.read(max_bytes + 1)
    except FileNotFoundError as error:
        raise SourceError(name, f"no such file: check {setting}") from error
    except IsADirectoryError as error:
        raise SourceError(name, f"a directory, not an .ics file: check {setting}") from error
    except PermissionError as error:
        message = "permission denied: let the user cadence runs as read the file"
        raise SourceError(name, message) from error
    except OSError as error:
        raise SourceError(name, f"cannot read the file ({error.strerror})") from error
    if len(body) > max_bytes:
        raise _Limits(name, 0.0, max_bytes, setting).too_large()
    return body


def _result(
    name: str,
    body: bytes,
    state: Mapping[str, str],
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    what: str = "the response",
) -> FetchResult:
    problem = icalendar_problem(body, what)
    if problem:
        raise SourceError(name, problem)
    digest = hashlib.sha256(body).hexdigest()
    new_state = {"content_hash": digest}
    if etag:
        new_state["etag"] = etag
    if last_modified:
        new_state["last_modified"] = last_modified
    # A server without validators (or one that ignores them) still sends the same
    # bytes when nothing changed: that must not cost a parse.
    unchanged = state.get("content_hash") == digest
    return FetchResult(None if unchanged else body, new_state)
