"""ports.Database over SQLAlchemy (storage/database.py): the service sees newsbot's errors only,
and whether an error means "the database is down" is decided here, on both backends."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import Engine, text

from delivery_support import add_subscriber
from newsbot.core.models import NewMessage
from newsbot.errors import AlreadyStored, StorageError
from newsbot.storage import db
from newsbot.storage.database import Database, is_outage
from newsbot.storage.outbox import OutboxStore

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)


def message(subscriber_id: int, key: str = "alert:1:1:0") -> NewMessage:
    return NewMessage(key, subscriber_id, "telegram", "1", "alert", {"text": "快讯"})


def test_a_taken_unique_key_is_already_stored(engine: Engine) -> None:
    database, outbox = Database(engine), OutboxStore(engine)
    sid = add_subscriber(engine, "1")
    with database.transaction() as tx:
        outbox.enqueue(tx, [message(sid)], NOW)
    with pytest.raises(AlreadyStored) as raised, database.transaction() as tx:
        outbox.enqueue(tx, [message(sid)], NOW)
    assert isinstance(raised.value, StorageError)
    assert not database.is_outage(raised.value)  # our duplicate, not the database's absence
    assert outbox.counts() == {"pending": 1}  # the second transaction left nothing behind


def test_a_bad_statement_is_a_storage_error_not_an_outage(engine: Engine) -> None:
    database = Database(engine)
    with pytest.raises(StorageError) as raised, database.transaction() as tx:
        tx.execute(text("SELECT no_such_column FROM subscribers"))  # type: ignore[attr-defined]
    assert raised.value.__cause__ is not None  # the driver's error stays readable, chained
    if db.is_postgres(engine):  # SQLite reports a bad query as OperationalError too
        assert not database.is_outage(raised.value)


def test_an_unreachable_server_is_an_outage() -> None:
    # nothing listens on port 1: the connect fails the way an outage does
    database = Database(db.create_db_engine("postgresql://postgres@127.0.0.1:1/none"))
    with pytest.raises(Exception) as raised:
        database.ping()
    assert database.is_outage(raised.value)
    with pytest.raises(StorageError) as wrapped, database.transaction():
        pass
    assert database.is_outage(wrapped.value)  # through the translation, by its cause
    database.dispose()


def test_secrets_are_made_once_and_shared(engine: Engine) -> None:
    first, second = Database(engine), Database(engine)
    assert first.secret("callbacks") == second.secret("callbacks")
    assert len(first.secret("callbacks")) == 32
    assert first.secret("callbacks") != first.secret("digest_pages")


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_after_idling(postgres_url: str) -> None:
    """No pre-ping on every checkout: a pooled connection is pinged only after lying idle
    (db.PING_IDLE_SECONDS), and one that does not answer is replaced, not handed out."""
    engine = db.create_db_engine(postgres_url)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as conn:  # used a moment ago: the same connection, no ping
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == first
        terminate(postgres_url, first)
        time.sleep(db.PING_IDLE_SECONDS + 0.2)
        with engine.connect() as conn:
            second = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_connection_dropped_a_moment_ago_fails_once_as_an_outage(postgres_url: str) -> None:
    """The trade-off of not pinging a connection used a moment ago: if the server dropped it
    meanwhile, that one transaction fails as an outage, and the pool is renewed for the next."""
    engine = db.create_db_engine(postgres_url)
    database = Database(engine)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        terminate(postgres_url, first)
        with pytest.raises(StorageError) as failed, database.transaction() as conn:
            conn.execute(text("SELECT 1"))
        assert is_outage(failed.value)
        with database.transaction() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    finally:
        engine.dispose()


def terminate(postgres_url: str, backend_pid: object) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
