"""Scheduler leadership across processes: a PostgreSQL advisory lock on a dedicated connection.

Only the leader runs the poll and digest ticks; every process sends outbox rows (claims use
SKIP LOCKED, so they never collide). The lock is session-level: it is held as long as the
dedicated connection lives, and released by PostgreSQL when the process dies (even by kill -9),
so another process takes over at its next tick. SQLite is single-process: always the leader.

The lock is keyed by (newsbot's namespace, the schema in use): two deployments that share one
PostgreSQL database in different schemas (or parallel test runs) each elect their own leader.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from newsbot.storage import db

log = logging.getLogger(__name__)
LOCK_KEY = zlib.crc32(b"newsbot leader") - 2**31  # an int4 namespace for the two-key lock
_PER_SCHEMA = "hashtext(coalesce(current_schema(), ''))"


class LeaderLock:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None
        self._held = not db.is_postgres(engine)
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._held

    def try_acquire(self) -> bool:
        """True if this process is the leader now (acquiring, or checking it still is)."""
        if not db.is_postgres(self.engine):
            return True
        with self._lock:  # the poll and digest ticks ask at once: one connection, one user
            return self._try_acquire()

    def _try_acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.engine.connect()
            if self._held:
                self._conn.execute(text("SELECT 1"))  # still connected, so still holding it
            else:
                got = self._conn.execute(
                    text(f"SELECT pg_try_advisory_lock(:k, {_PER_SCHEMA})"), {"k": self.key}
                )
                self._held = bool(got.scalar())
                if self._held:
                    log.info("this process is now the scheduler leader")
            self._conn.commit()  # never sit idle in a transaction
        except SQLAlchemyError as exc:
            log.warning("leader lock connection lost: %s", exc)
            self._drop()
        return self._held

    def release(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        if self._conn is not None and self._held:
            try:
                self._conn.execute(
                    text(f"SELECT pg_advisory_unlock(:k, {_PER_SCHEMA})"), {"k": self.key}
                )
                self._conn.commit()
            except SQLAlchemyError:
                pass  # closing the connection releases it anyway
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
        self._conn = None
        self._held = not db.is_postgres(self.engine)
