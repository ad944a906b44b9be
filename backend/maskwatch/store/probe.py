"""Can the product record right now? GET /api/health's question to the database, answered by a real query with a
short timeout: a free pooled connection, then on SQLite the write lock (a reader can get through where every
insert would wait for another process's exclusive lock), elsewhere a read of a real table.

Example (inside the store's scope): database_problem(1.0, engine_options) -> None, or "database_locked"
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool

from .database import db
from .models import Source

UNREACHABLE, LOCKED, POOL_EXHAUSTED = "database_unreachable", "database_locked", "pool_exhausted"


def _pool_exhausted(options: Mapping) -> bool:
    """Every connection the pool may open is checked out: the next request would wait DB_POOL_TIMEOUT_S.
    options: the engine's options (store.engine.engine_options)."""
    if "pool_size" not in options:
        return False
    pool = db.engine.pool
    if not isinstance(pool, QueuePool):  # pool_size is only set where the engine gets a QueuePool (engine_options)
        return False
    capacity = options["pool_size"] + max(0, options.get("max_overflow", 0))
    return pool.checkedout() >= capacity


def _sqlite_write_lock(connection, timeout_s: float) -> None:
    """Take SQLite's write lock and let it go at once, waiting at most timeout_s for another writer."""
    previous = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.exec_driver_sql("ROLLBACK")
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(previous)}")


def database_problem(timeout_s: float, engine_options: Mapping | None = None) -> str | None:
    """None when the database would take a sighting now; else why not: database_unreachable, database_locked
    (SQLite's write lock held by another connection for longer than timeout_s) or pool_exhausted (judged from
    engine_options' pool_size and max_overflow)."""
    if _pool_exhausted(engine_options or {}):
        return POOL_EXHAUSTED
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _sqlite_write_lock(connection, timeout_s)
            else:
                connection.execute(sa.select(Source.id).limit(1)).all()
    except PoolTimeout:
        return POOL_EXHAUSTED
    except OperationalError as exc:
        return LOCKED if "locked" in str(exc.orig).lower() else UNREACHABLE
    except SQLAlchemyError:
        return UNREACHABLE
    return None
