"""Who is asking, and may they: the login session or an API token, checked before every /api request and on
every Socket.IO connect.

Access control is on once a user exists (the admin from ADMIN_PASSWORD, made on first start). Then every
route under /api needs a login, except the ones in OPEN_ENDPOINTS, and the upload routes when UPLOADS_PUBLIC
is set; a route added later is protected unless it is listed here. The browser app's own files are always
served (its router sends people to the login page).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from dataclasses import dataclass

from flask import current_app, g, request, session

from ...errors import ApiError
from ...store import accounts, queries, utcnow
from ...store.errors import StoreError
from .credentials import token_digest
from .verified import VerifiedCredentials, session_key, token_key

log = logging.getLogger(__name__)
EXTENSION_KEY = "maskwatch.web.auth"
VERIFIED_KEY = "maskwatch.web.auth.verified"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"

#: Routes anyone may call: whether the service is up, the OpenAPI document, and signing in.
OPEN_ENDPOINTS = frozenset({"health.health", "auth.me", "auth.login", "api-docs.openapi_json"})
#: Routes open to anyone when UPLOADS_PUBLIC is on: detect in a picture or a video and fetch the job's results.
UPLOAD_ENDPOINTS = frozenset(
    {"images.detect_image", "videos.upload_video", "jobs.get_job", "jobs.get_job_video", "jobs.get_job_results"}
)
#: The unsafe calls an API token of scope "upload" may make (a "read" token makes none).
TOKEN_UPLOAD_WRITES = frozenset({"images.detect_image", "videos.upload_video"})
#: The account: a signed-in browser only. An API token never changes the password nor makes, lists or revokes
#: tokens, so a leaked script token cannot take the account over.
ACCOUNT_ENDPOINTS = frozenset({"auth.change_password", "auth.list_tokens", "auth.create_token", "auth.delete_token"})


@dataclass(frozen=True)
class Principal:
    """A signed-in user, by session cookie (`via` "session") or API token ("token")."""

    user_id: int
    username: str
    via: str
    scope: str | None = None  # a token's (read, upload, manage); None for a session, which may do everything

    def may_send_frames(self) -> bool:
        return self.scope in (None, "upload", "manage")


class AuthState:
    """Whether access control is on. Once a user exists it stays on in this process, so a database outage
    cannot open the doors; until then it is asked of the database on each check (one indexed row), and the
    last answer stands while the database is unreachable (on when there never was one)."""

    def __init__(self):
        self._enabled: bool | None = None
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        if self._enabled:
            return True
        try:
            exists = accounts.users_exist()
        except StoreError:
            return self._enabled is not False
        with self._lock:
            self._enabled = exists
        return exists


def auth_enabled() -> bool:
    return current_app.extensions[EXTENSION_KEY].enabled()


def verified_credentials() -> VerifiedCredentials:
    return current_app.extensions[VERIFIED_KEY]


def _unverifiable(what: str, exc: Exception) -> ApiError:
    return ApiError(
        503,
        "database_unavailable",
        f"{what} cannot be checked while the database is unreachable "
        "(only ones confirmed in the last AUTH_OUTAGE_GRACE_S work)",
    )


def _principal_from_token(token: str) -> Principal:
    digest = token_digest(token)
    key = token_key(digest)
    try:
        owner = accounts.token_owner(digest)
    except StoreError as exc:
        principal = verified_credentials().during_outage(key)
        if principal is None:
            raise _unverifiable("this API token", exc) from exc
        return principal
    if owner is None:
        verified_credentials().forget(key)
        raise ApiError(401, "invalid_token", "the API token is unknown or was revoked")
    user, scope = owner
    principal = Principal(user.id, user.username, "token", scope)
    verified_credentials().confirmed(key, principal)
    return principal


def _principal_from_session() -> Principal | None:
    session_id, user_id = session.get("sid"), session.get("uid")
    if session_id is None or user_id is None:
        return None
    key = session_key(str(session_id))
    try:
        user = accounts.login_session_user(str(session_id))
    except StoreError as exc:
        # A signed cookie is no proof: it may have been signed out. Only a recent confirmation counts.
        principal = verified_credentials().during_outage(key)
        if principal is None:
            raise _unverifiable("this sign-in", exc) from exc
        return principal
    if user is None or user.id != user_id:
        verified_credentials().forget(key)
        session.clear()  # signed out, signed out elsewhere by a password change, or the user is gone
        return None
    principal = Principal(user.id, user.username, "session")
    verified_credentials().confirmed(key, principal)
    return principal


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_principal(token: str | None = None) -> Principal | None:
    """The signed-in user of this request (cached on flask.g), from a bearer token, `token`, or the session."""
    if "principal" not in g:
        token = token or bearer_token()
        g.principal = _principal_from_token(token) if token else _principal_from_session()
    return g.principal


def sign_in(user) -> str:
    """Start a new login session for the user (a fresh id, against fixation) and return its CSRF token."""
    session.clear()
    session.permanent = True
    session_id = secrets.token_urlsafe(32)
    lifetime = current_app.permanent_session_lifetime
    accounts.create_login_session(session_id, user.id, expired_before=utcnow() - lifetime)
    session.update(sid=session_id, uid=user.id, username=user.username, csrf=secrets.token_urlsafe(32))
    g.principal = Principal(user.id, user.username, "session")
    verified_credentials().confirmed(session_key(session_id), g.principal)
    return session["csrf"]


def sign_out() -> None:
    """End this browser's login session on the server too: a copy of the cookie no longer signs anyone in, also not
    while the database is unreachable, in any process (revoked in memory first, then deleted)."""
    if session.get("sid"):
        verified_credentials().revoke(session_key(str(session["sid"])))
        accounts.end_login_session(str(session["sid"]))
    session.clear()
    g.principal = None


def end_other_sessions(user_id: int) -> None:
    """After a password change: every other sign-in of the user ends; this request's own session goes on."""
    principal = current_principal()
    keep = session.get("sid") if principal is not None and principal.via == "session" else None
    for session_id in accounts.end_other_login_sessions(user_id, keep):
        verified_credentials().revoke(session_key(session_id))


def revoke_token(user_id: int, token_id: int) -> bool:
    """Revoke one of the user's API tokens, in memory in every process and in the database; False when the user
    has no such token."""
    digest = accounts.delete_token(user_id, token_id)
    if digest is None:
        return False
    verified_credentials().revoke(token_key(digest))
    return True


def csrf_token() -> str | None:
    """The session's CSRF token, for the signed-in browser (None without a session)."""
    if session.get("uid") is None:
        return None
    return session.setdefault("csrf", secrets.token_urlsafe(32))


def _check_csrf() -> None:
    sent, expected = request.headers.get(CSRF_HEADER, ""), session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise ApiError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header; reload the page and try again")


def public_flags() -> dict:
    config = current_app.config
    return {"live": bool(config["LIVE_PUBLIC"]), "uploads": bool(config["UPLOADS_PUBLIC"])}


def check_request() -> None:
    """before_request: 401 for a protected route without a login, 403 for a session's unsafe call without CSRF."""
    if not request.path.startswith("/api") or request.endpoint in OPEN_ENDPOINTS:
        return
    public_upload = request.endpoint in UPLOAD_ENDPOINTS and current_app.config["UPLOADS_PUBLIC"]
    try:
        if not auth_enabled():
            return
        principal = current_principal()
    except ApiError as exc:
        if not (public_upload and exc.status == 503):
            raise
        principal = g.principal = None  # a credential that cannot be checked now: an anonymous upload, allowed
    finally:
        # The route may read a body next, for as long as the client takes: it must not hold a pooled connection.
        queries.release_connection()
    if principal is None:
        if public_upload:
            return
        raise ApiError(401, "login_required", "sign in first (or send an API token as 'Authorization: Bearer ...')")
    if principal.via == "session" and request.method not in SAFE_METHODS:
        _check_csrf()
    if principal.via == "token":
        _check_token_scope(principal)


def _check_token_scope(principal: Principal) -> None:
    """403 for what the token's scope does not allow, and for the account routes whatever the scope."""
    if request.endpoint in ACCOUNT_ENDPOINTS:
        raise ApiError(403, "token_not_allowed", "an API token cannot change the password or manage tokens: sign in")
    if request.method in SAFE_METHODS or principal.scope == "manage":
        return
    if principal.scope == "upload" and request.endpoint in TOKEN_UPLOAD_WRITES:
        return
    raise ApiError(403, "insufficient_scope", f"this API token's scope ({principal.scope}) does not allow this call")


def require_session() -> Principal:
    """The user signed in with a browser session: 401 without one (even when access control is off), 403 for an
    API token (for the routes that act on the account; check_request refuses tokens there already)."""
    principal = current_principal() if auth_enabled() else None
    if principal is None:
        raise ApiError(401, "login_required", "sign in first")
    if principal.via != "session":
        raise ApiError(403, "token_not_allowed", "an API token cannot change the password or manage tokens: sign in")
    return principal


def may_connect(auth_payload, public_setting: str) -> Principal | bool:
    """Socket.IO connect: the signed-in Principal, True when allowed without one (access control off, or the
    setting `public_setting` on), False when a login is needed. auth_payload may carry {"token": "mw_..."}."""
    if not auth_enabled():
        return True
    token = auth_payload.get("token") if isinstance(auth_payload, dict) else None
    try:
        principal = current_principal(str(token) if token else None)
    except ApiError:
        principal = None
    if principal is not None:
        return principal
    return bool(current_app.config[public_setting])
