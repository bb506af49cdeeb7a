"""Google's OAuth 2.0 endpoints: ``POST /token`` and ``GET /auth`` (the consent page).

Token grants, answered like https://oauth2.googleapis.com/token:

- ``refresh_token``: a new access token for the refresh token's user and scopes
  (a ``scope`` parameter may narrow them); a revoked token answers 400
  ``invalid_grant`` "Token has been expired or revoked.".
- ``authorization_code``: a code from ``/auth`` (with PKCE checked); the answer
  carries a refresh token when ``access_type=offline`` and the user saw the
  consent screen (``prompt=consent``, or the first consent of that user to that app).
- ``urn:ietf:params:oauth:grant-type:jwt-bearer``: a service account's RS256
  assertion, verified against its key; ``sub`` makes the token act for that
  user (domain-wide delegation).

``/auth`` plays the user in the browser: it checks the client and a loopback
``redirect_uri`` and redirects back at once with ``code`` and ``state``, as if
the user (``consent_user``, else ``login_hint``, else the first user) consented.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .api import Reply, Request
from .errors import ApiError
from .state import AuthCode, OAuthClient, RefreshToken, State

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always addresses service-account assertions to Google's token URL.
GOOGLE_TOKEN_URLS = {
    "https://oauth2.googleapis.com/token",
    "https://accounts.google.com/o/oauth2/token",
    "https://www.googleapis.com/oauth2/v4/token",
}
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_CLOCK_SKEW = 300  # seconds of client clock error Google tolerates in assertions (approx.)


def token(state: State, request: Request, token_uri: str) -> tuple[Reply, str | None]:
    """Answer a token request; also return the user the token acts for."""
    form = {k: v[-1] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
    grant = form.get("grant_type")
    if grant == "refresh_token":
        return _refresh(state, request, form)
    if grant == "authorization_code":
        return _exchange(state, request, form)
    if grant == JWT_GRANT:
        return _jwt(state, form, token_uri)
    raise ApiError(400, "unsupported_grant_type", "Invalid grant_type: " + str(grant))


def authorize(state: State, request: Request) -> tuple[Reply, str | None]:
    """The consent page: redirect straight back to the app with a code."""
    query = {k: v[-1] for k, v in request.query.items()}
    client = state.clients.get(query.get("client_id", ""))
    if client is None or client.client_secret is None:
        return _page(401, "Error 401: invalid_client", "The OAuth client was not found."), None
    redirect = query.get("redirect_uri", "")
    parts = urlsplit(redirect)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK:
        return _page(400, "Error 400: redirect_uri_mismatch", redirect), None
    scopes = tuple(query.get("scope", "").split())
    if query.get("response_type") != "code" or not scopes:
        return _page(400, "Error 400: invalid_request", "response_type=code and scope"), None
    user = (
        state.consent_user
        or state.user(query.get("login_hint", ""))
        or next(iter(state.users.values()), None)
    )
    if user is None:
        return _page(400, "No user", "google_emulator has no user to sign in."), None
    params: dict[str, str] = {}
    if "state" in query:
        params["state"] = query["state"]
    if state.deny_consent:
        params["error"] = "access_denied"
        return _redirect(redirect, params), user
    consent = query.get("prompt") == "consent" or (user, client.client_id) not in state.consented
    state.consented.add((user, client.client_id))
    code = AuthCode(
        code=state.clock.token("4/0emu"),
        user=user,
        client_id=client.client_id,
        redirect_uri=redirect,
        scopes=scopes,
        offline=query.get("access_type") == "offline",
        consent=consent,
        code_challenge=query.get("code_challenge"),
        challenge_method=query.get("code_challenge_method"),
    )
    state.auth_codes[code.code] = code
    params.update(code=code.code, scope=" ".join(scopes))
    return _redirect(redirect, params), user


def new_service_account(state: State) -> dict[str, Any]:
    """Register a service account and return its key file's JSON (token_uri set later)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    number = state.clock.next()
    client_id = str(100_000_000_000_000_000_000 + number)
    email = f"cadence-{number}@emulator-project.iam.gserviceaccount.com"
    key_id = hashlib.sha1(f"key-{number}".encode(), usedforsecurity=False).hexdigest()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    state.clients[client_id] = OAuthClient(
        client_id=client_id, client_email=email, key_id=key_id, public_key_pem=public_pem
    )
    return {
        "type": "service_account",
        "project_id": "emulator-project",
        "private_key_id": key_id,
        "private_key": private_pem.decode(),
        "client_email": email,
        "client_id": client_id,
    }


def _refresh(state: State, request: Request, form: dict[str, str]) -> tuple[Reply, str | None]:
    client = _client(state, request, form)
    stored = state.refresh_tokens.get(form.get("refresh_token", ""))
    if stored is None or stored.revoked:
        raise ApiError(400, "invalid_grant", "Token has been expired or revoked.")
    if stored.client_id != client.client_id:
        raise ApiError(401, "unauthorized_client", "Unauthorized")
    wanted = frozenset(form.get("scope", "").split()) or stored.scopes
    if not wanted <= stored.scopes:
        raise ApiError(400, "invalid_scope", "Bad Request")
    access = state.issue_access_token(stored.user, wanted, client.client_id, stored.token)
    return _granted(state, access.token, " ".join(sorted(wanted))), stored.user


def _exchange(state: State, request: Request, form: dict[str, str]) -> tuple[Reply, str | None]:
    client = _client(state, request, form)
    code = state.auth_codes.pop(form.get("code", ""), None)
    if code is None or code.client_id != client.client_id:
        raise ApiError(400, "invalid_grant", "Bad Request")
    if form.get("redirect_uri") != code.redirect_uri:
        raise ApiError(400, "redirect_uri_mismatch", "Bad Request")
    if code.code_challenge is not None and not _pkce_ok(code, form.get("code_verifier")):
        raise ApiError(400, "invalid_grant", "Invalid code verifier.")
    scopes = frozenset(code.scopes)
    refresh = None
    if code.offline and code.consent:
        refresh = state.clock.token("1//0emu")
        state.refresh_tokens[refresh] = RefreshToken(refresh, code.user, scopes, client.client_id)
    access = state.issue_access_token(code.user, scopes, client.client_id, refresh)
    reply = _granted(state, access.token, " ".join(code.scopes))
    if refresh is not None:
        reply.body["refresh_token"] = refresh
    return reply, code.user


def _jwt(state: State, form: dict[str, str], token_uri: str) -> tuple[Reply, str | None]:
    claims = _verified_claims(state, form.get("assertion", ""))
    client = next(c for c in state.clients.values() if c.client_email == claims.get("iss"))
    if claims.get("aud") not in GOOGLE_TOKEN_URLS | {token_uri}:
        raise ApiError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token")
    now = time.time()  # assertions carry the client's real clock, not the emulator's
    if not (claims.get("iat", 0) <= now + _CLOCK_SKEW and claims.get("exp", 0) > now - _CLOCK_SKEW):
        raise ApiError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token")
    scopes = frozenset(str(claims.get("scope", "")).split())
    if not scopes:
        raise ApiError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    subject = claims.get("sub")
    user = state.user(str(subject)) if subject else client.client_email
    if user is None:
        raise ApiError(400, "invalid_grant", "Invalid email or User ID")
    access = state.issue_access_token(user, scopes, client.client_id, None)
    return _granted(state, access.token, None), user


def _verified_claims(state: State, assertion: str) -> dict[str, Any]:
    try:
        head, body, signature = assertion.split(".")
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(body))
    except ValueError:
        raise ApiError(400, "invalid_grant", "Invalid JWT Signature.") from None
    client = next(
        (
            c
            for c in state.clients.values()
            if c.client_email and c.client_email == claims.get("iss")
        ),
        None,
    )
    if client is None or client.public_key_pem is None or header.get("alg") != "RS256":
        raise ApiError(401, "invalid_client", "The OAuth client was not found.")
    key = load_pem_public_key(client.public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(
            _unb64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise ApiError(400, "invalid_grant", "Invalid JWT Signature.") from None
    return dict(claims)


def _client(state: State, request: Request, form: dict[str, str]) -> OAuthClient:
    """The calling client, by HTTP Basic credentials or client_id/client_secret in the form."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    basic = request.header("Authorization") or ""
    if basic.lower().startswith("basic "):
        decoded = base64.b64decode(basic[6:]).decode()
        client_id, _, secret = decoded.partition(":")
    client = state.clients.get(client_id or "")
    if client is None:
        raise ApiError(401, "invalid_client", "The OAuth client was not found.")
    if client.client_secret != secret:
        raise ApiError(401, "invalid_client", "Unauthorized")
    return client


def _granted(state: State, access_token: str, scope: str | None) -> Reply:
    body: dict[str, Any] = {
        "access_token": access_token,
        "expires_in": int(state.settings.access_token_lifetime.total_seconds()),
    }
    if scope is not None:
        body["scope"] = scope
    body["token_type"] = "Bearer"
    return Reply(body=body, headers={"Cache-Control": "no-cache, no-store, max-age=0"})


def _pkce_ok(code: AuthCode, verifier: str | None) -> bool:
    if verifier is None:
        return False
    if code.challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=") == code.code_challenge
    return verifier == code.code_challenge


def _redirect(target: str, params: dict[str, str]) -> Reply:
    joiner = "&" if "?" in target else "?"
    return Reply(
        status=302,
        body=b"<html><body>Redirecting</body></html>",
        headers={"Location": target + joiner + urlencode(params)},
        content_type="text/html; charset=utf-8",
    )


def _page(status: int, title: str, detail: str) -> Reply:
    page = f"<html><body><h1>{escape(title)}</h1><p>{escape(detail)}</p></body></html>"
    return Reply(status=status, body=page.encode(), content_type="text/html; charset=utf-8")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
