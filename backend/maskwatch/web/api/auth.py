"""Signing in and out, the password, and API tokens: /api/auth/..."""

from __future__ import annotations

from flask import current_app

from ...store import accounts
from ..auth import access
from ..auth.credentials import hash_password, needs_rehash, new_api_token, verify_password
from ..extensions import limiter
from .errors import ApiError
from .parser import Blueprint
from .schemas import (
    ErrorSchema,
    LoginResultSchema,
    LoginSchema,
    MeSchema,
    NewTokenSchema,
    PasswordChangeSchema,
    TokenInSchema,
    TokenSchema,
)

bp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Sign in, API tokens")


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def failed(response) -> bool:
    """Only failed attempts count against the limit: a person who signs in right away is never slowed."""
    return response.status_code == 401


#: Sign-in and the password change share one LOGIN_RATE_LIMIT per address: guesses at a password count the
#: same on either route.
password_guesses = limiter.shared_limit(login_limit, scope="password_guesses", deduct_when=failed)


@bp.route("/me")
@bp.response(200, MeSchema)
def me():
    """Is access control on, who is signed in, and the CSRF token for this session."""
    enabled = access.auth_enabled()
    principal = access.current_principal() if enabled else None
    user = accounts.get_user(principal.user_id) if principal else None
    return {
        "auth_enabled": enabled,
        "authenticated": user is not None,
        "user": user,
        "csrf_token": access.csrf_token() if user else None,
        "public": access.public_flags(),
    }


@bp.route("/login", methods=["POST"])
@password_guesses
@bp.arguments(LoginSchema)
@bp.response(200, LoginResultSchema)
@bp.alt_response(401, schema=ErrorSchema, description="wrong user name or password")
@bp.alt_response(
    429,
    schema=ErrorSchema,
    description="too many failed attempts from this address (LOGIN_RATE_LIMIT, shared with the password change)",
)
def login(body):
    """Start a session (cookie); the answer's csrf_token goes in X-CSRF-Token on later unsafe calls."""
    if not access.auth_enabled():
        raise ApiError(400, "auth_disabled", "no account exists: set ADMIN_PASSWORD and restart to turn the login on")
    user = accounts.user_named(body["username"])
    if not verify_password(user.password_hash if user else None, body["password"]):
        raise ApiError(401, "invalid_credentials", "wrong user name or password")
    if needs_rehash(user.password_hash):
        accounts.set_password_hash(user, hash_password(body["password"]))
    accounts.record_login(user)
    return {"user": user, "csrf_token": access.sign_in(user)}


@bp.route("/logout", methods=["POST"])
@bp.response(204)
def logout():
    """End the session."""
    access.sign_out()


@bp.route("/password", methods=["POST"])
@password_guesses
@bp.arguments(PasswordChangeSchema)
@bp.response(204)
@bp.alt_response(401, schema=ErrorSchema, description="the current password is wrong")
@bp.alt_response(403, schema=ErrorSchema, description="an API token (only a signed-in browser may change the password)")
@bp.alt_response(
    429,
    schema=ErrorSchema,
    description="too many wrong passwords from this address (LOGIN_RATE_LIMIT, shared with sign-in)",
)
def change_password(body):
    """Change the signed-in user's password; other sessions of the user end, this one goes on."""
    user = accounts.get_user(access.require_session().user_id)
    if not verify_password(user.password_hash, body["current_password"]):
        raise ApiError(401, "invalid_credentials", "the current password is wrong")
    accounts.set_password_hash(user, hash_password(body["new_password"]))
    access.end_other_sessions(user.id)


@bp.route("/tokens")
@bp.response(200, TokenSchema(many=True))
def list_tokens():
    """The signed-in user's API tokens (never the tokens themselves)."""
    return accounts.list_tokens(access.require_session().user_id)


@bp.route("/tokens", methods=["POST"])
@bp.arguments(TokenInSchema)
@bp.response(201, NewTokenSchema)
def create_token(body):
    """A new token for scripts: send it as 'Authorization: Bearer <token>'. It is shown only in this answer."""
    token, digest, prefix = new_api_token()
    row = accounts.create_token(access.require_session().user_id, body["name"], digest, prefix, body["scope"])
    row.token = token  # shown in this answer only; never stored
    return row


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema)
def delete_token(token_id):
    """Revoke a token: scripts using it get 401 from now on."""
    if not access.revoke_token(access.require_session().user_id, token_id):
        raise ApiError(404, "not_found", f"no token {token_id}")
