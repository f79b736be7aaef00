"""Migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from newsbot.storage import db
from newsbot.storage.schema import chat_choices, metadata, reply_windows


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


# --- 0011: the housekeeping purge finds expired rows by index ---------------------------------

EXPIRY_INDEXES = {
    "chat_choices": "ix_chat_choices_updated_at",
    "reply_windows": "ix_reply_windows_open_until",
}


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _expiry_indexes(engine: Engine) -> dict[str, set[str]]:
    found = inspect(engine)
    return {
        table: {ix["name"] for ix in found.get_indexes(table)} & {name}
        for table, name in EXPIRY_INDEXES.items()
    }


def test_expiry_indexes_downgrade_and_upgrade_again(engine: Engine) -> None:
    present = {table: {name} for table, name in EXPIRY_INDEXES.items()}
    assert _expiry_indexes(engine) == present
    _migrate(engine, "downgrade", "0010")
    assert db.current_revision(engine) == "0010"
    assert _expiry_indexes(engine) == {table: set() for table in EXPIRY_INDEXES}
    _migrate(engine, "upgrade", "0011")
    assert db.current_revision(engine) == "0011"
    assert _expiry_indexes(engine) == present


def test_purge_searches_by_index_on_sqlite(sqlite_url: str) -> None:
    engine = db.create_db_engine(sqlite_url)
    db.upgrade(engine)
    before = datetime(2026, 1, 1, tzinfo=UTC)
    purges = [
        (chat_choices, chat_choices.c.updated_at < before),
        (reply_windows, reply_windows.c.open_until < before),
    ]
    with engine.connect() as connection:
        for table, expired in purges:
            chosen = select(*table.primary_key.columns).where(expired).limit(500)
            sql = str(chosen.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(
                row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            )
            assert f"USING INDEX {EXPIRY_INDEXES[table.name]}" in plan, plan
    engine.dispose()
