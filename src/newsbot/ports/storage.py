"""The database itself: transactions, the leader lock, and rows that expire.

newsbot.storage implements these; app.py builds them."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol


class Transaction(Protocol):
    """An open database transaction: opaque to the service, handed back to the stores' write
    methods so several of them commit together (a digest's claim, outbox rows and ledger)."""


class Database(Protocol):
    """The database itself. Its errors reach the service as errors.StorageError (AlreadyStored
    for a unique key that is taken); whether one means "the database is down" only storage
    knows (`is_outage`)."""

    @property
    def concurrent(self) -> bool:
        """Several processes may write at once (PostgreSQL), so leases and locks matter."""
        ...

    @property
    def dialect(self) -> str: ...

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    def ping(self) -> None:
        """One round trip; raises when the database cannot be reached."""
        ...

    def is_outage(self, exc: BaseException) -> bool:
        """`exc` (or what it was raised from) says the database is unreachable, not a bug."""
        ...

    def secret(self, name: str) -> bytes:
        """A random key kept under `name`, created once and the same in every process."""
        ...

    def dispose(self) -> None: ...


class LeaderLock(Protocol):
    """One scheduler leader among the processes sharing the database."""

    @property
    def held(self) -> bool: ...
    def try_acquire(self) -> bool: ...
    def release(self) -> None: ...


class Expiring(Protocol):
    """Rows that outlive their use (digest pages, the inbound ledger, numbered choices, reply
    windows, API tokens): the housekeeping job deletes them in bounded batches."""

    def purge(self, before: datetime, *, limit: int) -> int:
        """Delete at most `limit` rows whose date is before `before`; how many were deleted."""
        ...
