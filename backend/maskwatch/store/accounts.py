"""Named queries for users and API tokens. Hashing is the caller's job (maskwatch.web.auth): only hashes reach here."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .database import db
from .errors import store_call
from .models import ApiToken, LoginSession, User, utcnow


@store_call
def users_exist() -> bool:
    return db.session.scalar(sa.select(User.id).limit(1)) is not None


@store_call
def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


@store_call
def user_named(username: str) -> User | None:
    return db.session.scalars(sa.select(User).where(User.username == username)).first()


@store_call
def create_user(username: str, password_hash: str, is_admin: bool = False) -> User:
    user = User(username=username, password_hash=password_hash, is_admin=is_admin, created_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


@store_call
def set_password_hash(user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    db.session.commit()


@store_call
def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    db.session.commit()


@store_call
def create_token(user_id: int, name: str, token_hash: str, prefix: str, scope: str = "manage") -> ApiToken:
    token = ApiToken(user_id=user_id, name=name, token_hash=token_hash, prefix=prefix, scope=scope, created_at=utcnow())
    db.session.add(token)
    db.session.commit()
    return token


@store_call
def list_tokens(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


@store_call
def delete_token(user_id: int, token_id: int) -> str | None:
    """Revoke one of the user's tokens; returns its hash, None when the user has no such token."""
    token_hash = db.session.scalar(
        sa.select(ApiToken.token_hash).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if token_hash is None:
        return None
    db.session.execute(sa.delete(ApiToken).where(ApiToken.id == token_id))
    db.session.commit()
    return token_hash


@store_call
def token_owner(token_hash: str, touch_after_s: float = 60.0) -> tuple[User, str] | None:
    """(owner, scope) of the token with this hash (None: unknown or revoked); notes its use, at most once a minute."""
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == token_hash)).first()
    if token is None:
        return None
    now = utcnow()
    scope = token.scope
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > touch_after_s:
        token.last_used_at = now
        db.session.commit()
    user = db.session.get(User, token.user_id)
    return None if user is None else (user, scope)


@store_call
def create_login_session(session_id: str, user_id: int, expired_before: datetime) -> None:
    """Record a sign-in, and forget the sessions (of anyone) that began before expired_before."""
    db.session.execute(sa.delete(LoginSession).where(LoginSession.created_at < expired_before))
    db.session.add(LoginSession(id=session_id, user_id=user_id, created_at=utcnow()))
    db.session.commit()


@store_call
def login_session_user(session_id: str) -> User | None:
    """The user of a live login session; None when it was signed out, ended or never existed."""
    row = db.session.get(LoginSession, session_id)
    return None if row is None else db.session.get(User, row.user_id)


@store_call
def end_login_session(session_id: str) -> None:
    db.session.execute(sa.delete(LoginSession).where(LoginSession.id == session_id))
    db.session.commit()


@store_call
def end_other_login_sessions(user_id: int, keep: str | None) -> list[str]:
    """Sign the user out everywhere but the session `keep` (None: everywhere); returns the ended sessions' ids."""
    where = [LoginSession.user_id == user_id] + ([LoginSession.id != keep] if keep is not None else [])
    ended = list(db.session.scalars(sa.select(LoginSession.id).where(*where)))
    if ended:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.id.in_(ended)))
    db.session.commit()
    return ended
