"""The store's own errors: callers catch these, never SQLAlchemy's, and never roll back themselves.

Every named query (store.queries, store.accounts, store.stats, store.retention) runs under
`store_call`: when the database fails, the session's transaction is rolled back (so the next query
tries again with a fresh connection) and one of these is raised, the SQLAlchemy error as its cause.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

F = TypeVar("F", bound=Callable)


class StoreError(Exception):
    """The database failed a query; the transaction was rolled back."""


class StoreUnavailable(StoreError):
    """The database cannot answer now: unreachable, locked, or every pooled connection taken. Try again later."""


class StoreRefused(StoreError):
    """The database answered and refused the write (a unique key, a value it cannot hold)."""


UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, DisconnectionError)
REFUSED = (IntegrityError, DataError)


def rollback_quietly() -> None:
    """Forget the session's failed transaction; a connection that is gone too is replaced by the pool."""
    from .database import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the rollback of a dead connection may fail as well
        pass


def translated(exc: SQLAlchemyError) -> StoreError:
    """The store error a SQLAlchemy error stands for (a programming error stays a StoreError: a bug, shown as such)."""
    kind = (
        StoreUnavailable if isinstance(exc, UNAVAILABLE) else StoreRefused if isinstance(exc, REFUSED) else StoreError
    )
    return kind(f"{type(exc).__name__}: {exc}".splitlines()[0][:500])


def store_call(fn: F) -> F:
    """Run a named query; on a SQLAlchemy error roll back and raise the matching StoreError."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            rollback_quietly()
            raise translated(exc) from exc

    return call  # type: ignore[return-value]


def store_stream(fn: F) -> F:
    """store_call for a generator of rows (a streamed export)."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            yield from fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            rollback_quietly()
            raise translated(exc) from exc

    return call  # type: ignore[return-value]
