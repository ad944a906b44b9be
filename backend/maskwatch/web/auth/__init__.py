"""Access control: a login for the dashboard, sources and settings, API tokens for scripts, optional public
live and upload pages (maskwatch.web.auth.access has the rules)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from ...store import accounts
from .access import EXTENSION_KEY, VERIFIED_KEY, AuthState, check_request
from .credentials import MIN_PASSWORD_LENGTH, hash_password
from .revocations import revocations_for
from .verified import VerifiedCredentials

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from ..extensions import limiter

    app.extensions[EXTENSION_KEY] = AuthState()
    app.extensions[VERIFIED_KEY] = VerifiedCredentials(app.config["AUTH_OUTAGE_GRACE_S"], revocations_for(app.config))
    app.before_request(check_request)
    limiter.init_app(app)


def ensure_admin(app: Flask) -> bool:
    """First start: create ADMIN_USER with ADMIN_PASSWORD when set and no such user exists; True when created.
    Later starts leave the account alone (its password is changed in the app, or with `maskwatch passwd`)."""
    username, password = app.config["ADMIN_USER"], app.config["ADMIN_PASSWORD"]
    if not password:
        return False
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"ADMIN_PASSWORD must have at least {MIN_PASSWORD_LENGTH} characters")
    with app.app_context():
        if accounts.user_named(username) is not None:
            log.info("user %r exists; ADMIN_PASSWORD is only used on the first start", username)
            return False
        accounts.create_user(username, hash_password(password), is_admin=True)
        log.info("created the admin account %r; the dashboard now needs a login", username)
        return True


def instance_secret_key(instance_path: str) -> str:
    """The session-signing key kept in instance_path/secret_key (mode 0600), made on first use. Every process on
    the same instance folder (web server, workers) reads the same key."""
    path = Path(instance_path) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()
