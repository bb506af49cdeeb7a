"""What a request handler sees and returns, independent of HTTP plumbing and batching."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, invalid
from .state import State

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class Request:
    """An HTTP request: a top-level one, or one unpacked from a batch."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    in_batch: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    """A response: ``body`` is a JSON value, raw bytes, or None for an empty body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, indent=1).encode()


@dataclass
class Ctx:
    """One authorised call being handled: the state, the request and who makes it."""

    state: State
    request: Request
    method_id: str
    args: dict[str, str]
    user: str
    scopes: frozenset[str]
    client_id: str

    def param(self, name: str) -> str | None:
        values = self.request.query.get(name)
        return values[-1] if values else None

    def params(self, name: str) -> list[str]:
        return list(self.request.query.get(name, []))

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.param(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise invalid(f"Invalid boolean value: '{value}'.", location=name)
        return value.lower() == "true"

    def integer(self, name: str, default: int, *, low: int = 1, high: int | None = None) -> int:
        value = self.param(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise invalid(f"Invalid value '{value}'. Values must match int32.", name) from None
        if number < low:
            raise invalid(f"Invalid value '{value}'. Values must be >= {low}", location=name)
        return min(number, high) if high is not None else number

    def json(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise ApiError(400, "parseError", "Parse Error") from None
        if not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        return body


Handler = Callable[[Ctx], Reply]
