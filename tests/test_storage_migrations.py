"""Migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from newsbot.storage import db
from newsbot.storage.schema import metadata


def test_upgrade_reaches_head(engine: Engine) -> None:
    assert db.current_revision(engine) == db.head_revision()


def test_upgrade_is_idempotent(engine: Engine) -> None:
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_migrations_match_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    # Search-index objects are created by hand (FTS5 virtual tables, tsvector columns) and are
    # deliberately not part of the Core metadata.
    relevant = [d for d in diff if not _is_search_object(d)]
    assert relevant == []


def _is_search_object(change: object) -> bool:
    text = repr(change)
    return "search" in text or "fts" in text
