"""The database as the service sees it (ports.Database): transactions, a probe, and the one place
that tells an outage from a bug. SQLAlchemy's errors stop here: a transaction raises
errors.AlreadyStored for a unique key that is taken and errors.StorageError for the rest (the
original chained, so `is_outage` can still read it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from newsbot.errors import AlreadyStored, StorageError
from newsbot.storage import db
from newsbot.storage.subscribers import load_or_create_secret


def is_outage(exc: BaseException) -> bool:
    """The database could not be reached, or the connection broke (not a bad query of ours)."""
    seen: BaseException | None = exc
    for _ in range(10):  # the chain: StorageError from OperationalError from the driver's error
        if seen is None:
            return False
        if isinstance(seen, OperationalError | InterfaceError | PoolTimeout):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Database:
    """ports.Database over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def concurrent(self) -> bool:
        """Several processes may write at once (PostgreSQL), so leases matter."""
        return db.is_postgres(self.engine)

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction; commits when the block ends, rolls back on an error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise AlreadyStored(f"already stored: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {exc}") from exc

    def ping(self) -> None:
        """One round trip to the database (raises what the driver raises)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def is_outage(self, exc: BaseException) -> bool:
        return is_outage(exc)

    def secret(self, name: str) -> bytes:
        return load_or_create_secret(self.engine, name)

    def dispose(self) -> None:
        self.engine.dispose()
