"""Google's error responses, in the shapes the real services send.

Three families answer differently, and the emulator mirrors each:

- Calendar v3 and Drive v3 (the older "apiary" front end) send
  ``{"error": {"errors": [{"domain", "reason", "message", ...}], "code", "message"}}``;
  clients read ``errors[0].reason``. Authentication failures also carry
  ``"status": "UNAUTHENTICATED"`` / ``"PERMISSION_DENIED"`` as Google adds them.
- Docs v1 (a newer front end) sends ``{"error": {"code", "message", "status"}}`` with
  no ``errors`` array; a rate limit adds a ``google.rpc.ErrorInfo`` detail whose
  reason is upper snake case (``RATE_LIMIT_EXCEEDED``). Clients must classify
  Docs errors by HTTP status.
- The OAuth token endpoint sends ``{"error": "invalid_grant", "error_description": ...}``.
"""

from __future__ import annotations

import re
from typing import Any

# reason -> (domain, message) for the reasons Google documents or is known to send.
REASONS: dict[str, tuple[str, str]] = {
    "badRequest": ("global", "Bad Request"),
    "invalid": ("global", "Invalid Value"),
    "required": ("global", "Required"),
    "authError": ("global", "Invalid Credentials"),
    "insufficientPermissions": ("global", "Insufficient Permission"),
    "forbidden": ("global", "Forbidden"),
    "notFound": ("global", "Not Found"),
    "duplicate": ("global", "The requested identifier already exists."),
    "deleted": ("global", "Resource has been deleted"),
    "conditionNotMet": ("global", "Precondition Failed"),
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
    "quotaExceeded": ("usageLimits", "Calendar usage limits exceeded."),
    "backendError": ("global", "Backend Error"),
    "internalError": ("global", "Internal Error"),
    "fullSyncRequired": ("calendar", "Sync token is no longer valid, a full sync is required."),
    "timeRangeEmpty": ("calendar", "The specified time range is empty."),
    # Google's limit and wording here are undocumented: the emulator's choice.
    "timeRangeTooLong": ("calendar", "The requested time range is too long."),
}

# Where Google says the problem lies, for reasons that always point at the same place.
LOCATIONS: dict[str, tuple[str, str]] = {
    "fullSyncRequired": ("parameter", "syncToken"),
    "conditionNotMet": ("header", "If-Match"),
}

DEFAULT_REASON: dict[int, str] = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
}

RPC_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error answer from an emulated API; the server renders it in the API's own shape."""

    def __init__(
        self,
        status: int,
        reason: str | None = None,
        message: str | None = None,
        *,
        location: str | None = None,
        location_type: str | None = None,
        rpc_status: str | None = None,
        retry_after: int | None = None,
        item_message: str | None = None,
    ) -> None:
        self.status = status
        self.reason = reason or DEFAULT_REASON.get(status, "backendError")
        domain, default_message = REASONS.get(self.reason, ("global", self.reason))
        self.domain = domain
        self.message = message or default_message
        default_type, default_location = LOCATIONS.get(self.reason, (None, None))
        self.location = location or default_location
        self.location_type = location_type or default_type
        if self.location and not self.location_type:
            self.location_type = "parameter"
        self.rpc_status = rpc_status
        self.retry_after = retry_after
        self.item_message = item_message or self.message
        super().__init__(f"{status} {self.reason}: {self.message}")

    def body(self, family: str) -> dict[str, Any]:
        """The JSON body for an API of ``family``: "apiary", "rpc" or "oauth"."""
        if family == "oauth":
            return {"error": self.reason, "error_description": self.message}
        if family == "rpc":
            error: dict[str, Any] = {
                "code": self.status,
                "message": self.message,
                "status": self.rpc_status or RPC_STATUS.get(self.status, "UNKNOWN"),
            }
            if self.status in (403, 429) and self.reason in REASONS:
                error["details"] = [_error_info(_upper_snake(self.reason))]
            return {"error": error}
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason}
        item["message"] = self.item_message
        if self.location:
            item["locationType"] = self.location_type
            item["location"] = self.location
        apiary: dict[str, Any] = {"errors": [item], "code": self.status, "message": self.message}
        if self.rpc_status:
            apiary["status"] = self.rpc_status
        return {"error": apiary}


def not_found(message: str = "Not Found", location: str | None = None) -> ApiError:
    return ApiError(404, "notFound", message, location=location)


def invalid(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "invalid", message, location=location)


def required(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "required", message, location=location)


def login_required() -> ApiError:
    """No Authorization header at all."""
    return ApiError(
        401,
        "required",
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location="Authorization",
        location_type="header",
        rpc_status="UNAUTHENTICATED",
        item_message="Login Required.",
    )


def invalid_credentials() -> ApiError:
    """An unknown, expired or revoked access token."""
    return ApiError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location="Authorization",
        location_type="header",
        rpc_status="UNAUTHENTICATED",
        item_message="Invalid Credentials",
    )


def insufficient_scopes() -> ApiError:
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        rpc_status="PERMISSION_DENIED",
        item_message="Insufficient Permission",
    )


def _upper_snake(reason: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", reason).upper()


def _error_info(reason: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "docs.googleapis.com"},
    }
