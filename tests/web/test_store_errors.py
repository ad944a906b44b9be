"""The store owns its errors: a named query that fails rolls its transaction back and raises a StoreError,
so callers neither catch SQLAlchemy's errors nor roll back themselves."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url

from maskwatch.store import Sighting, queries
from maskwatch.store.database import db
from maskwatch.store.errors import StoreRefused, StoreUnavailable, store_call

SEEN = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@store_call
def insert_keyed(source_id: int, key: str) -> None:
    db.session.add(
        Sighting(
            source_id=source_id,
            seen_at=SEEN,
            ended_at=SEEN,
            verdict="mask",
            confidence=0.9,
            frames_seen=3,
            spool_key=key,
        )
    )
    db.session.commit()


def test_a_write_the_database_refuses_is_store_refused_and_the_session_goes_on(app):
    with app.app_context():
        source = queries.create_source("image", "refusing")
        insert_keyed(source.id, "same-key")
        with pytest.raises(StoreRefused, match="IntegrityError"):
            insert_keyed(source.id, "same-key")  # the unique spool_key
        assert queries.create_source("image", "after").name == "after"  # no caller rolled back


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_locked_database_is_store_unavailable_until_it_is_free(app):
    with app.app_context():
        holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreUnavailable, match="locked"):
                queries.create_source("image", "blocked")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert queries.create_source("image", "free again").id is not None
