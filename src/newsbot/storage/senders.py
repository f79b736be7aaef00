"""The senders table: which processes send outbox rows now, and at what pace (core/shares.py).

Every change of the membership (a process registers, leaves, is dropped as expired, or changes its
pace) runs under an exclusive transaction-level advisory lock; every claim reads the members under
the same lock, shared (`members_for_claim`, in the claim's own transaction). So a claim sees the
membership as it is when the claim commits: no process claims with a share that another process
has already been given. Heartbeats are written under the lock too (one short transaction every
few seconds per process). On SQLite (one process) there is no lock and never a second member.

Time is the callers' clock, like the outbox leases: the processes' clocks are assumed to agree
within a small part of the expiry (NTP).
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from newsbot.core.shares import Member, may_pace
from newsbot.storage import db
from newsbot.storage.schema import outbox_senders

LOCK_KEY = zlib.crc32(b"newsbot senders") - 2**31  # an int4 namespace, as storage/leader.py
_PER_SCHEMA = "hashtext(coalesce(current_schema(), ''))"


def _lock(conn: Connection, *, shared: bool) -> None:
    if conn.dialect.name != "postgresql":
        return
    kind = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    conn.execute(text(f"SELECT {kind}(:k, {_PER_SCHEMA})"), {"k": LOCK_KEY})


def _members(conn: Connection) -> list[Member]:
    query = select(outbox_senders.c.token, outbox_senders.c.pace).order_by(
        outbox_senders.c.started_at, outbox_senders.c.token
    )
    return [Member(str(token), int(pace)) for token, pace in conn.execute(query)]


def members_for_claim(conn: Connection) -> list[Member]:
    """The members, read inside a claim's transaction (no membership change until it commits)."""
    _lock(conn, shared=True)
    return _members(conn)


class SenderTable:
    """Register, refresh, re-pace and drop the sending processes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def shared(self) -> bool:
        """Can several processes send (PostgreSQL)? On SQLite there is only ever this one."""
        return db.is_postgres(self.engine)

    def beat(
        self, token: str, label: str, pace: int, now: datetime, expiry: timedelta
    ) -> list[Member]:
        """Refresh this sender's heartbeat (registering it if it is not, or no longer, listed),
        drop the senders whose heartbeat is older than `expiry`; the members in order.

        A sender registers at a pace no faster than 1/(members, itself included)."""
        with self.engine.begin() as conn:
            _lock(conn, shared=False)
            conn.execute(
                delete(outbox_senders).where(
                    outbox_senders.c.heartbeat_at < now - expiry, outbox_senders.c.token != token
                )
            )
            found = conn.execute(
                update(outbox_senders)
                .where(outbox_senders.c.token == token)
                .values(heartbeat_at=now)
            ).rowcount
            if not found:
                others = conn.scalar(select(func.count()).select_from(outbox_senders)) or 0
                conn.execute(
                    insert(outbox_senders).values(
                        token=token,
                        label=label[:200],
                        pace=max(pace, int(others) + 1),
                        started_at=now,
                        heartbeat_at=now,
                    )
                )
            return _members(conn)

    def repace(self, token: str, pace: int) -> list[Member]:
        """Record that this sender paces at 1/pace: always when slower, only while the others
        leave room when faster (core.shares.may_pace); the members in order, as recorded."""
        with self.engine.begin() as conn:
            _lock(conn, shared=False)
            members = _members(conn)
            current = next((m.pace for m in members if m.token == token), None)
            if current is None or current == pace:
                return members
            if pace > current or may_pace(members, token, pace):
                conn.execute(
                    update(outbox_senders).where(outbox_senders.c.token == token).values(pace=pace)
                )
            return _members(conn)

    def leave(self, token: str) -> None:
        """This sender stops (after its last send): the others take its share at their next beat."""
        with self.engine.begin() as conn:
            _lock(conn, shared=False)
            conn.execute(delete(outbox_senders).where(outbox_senders.c.token == token))

    def listed(self) -> list[tuple[str, str, int, datetime]]:
        """(token, label, pace, heartbeat) of every sender, for operators and tests."""
        query = select(
            outbox_senders.c.token,
            outbox_senders.c.label,
            outbox_senders.c.pace,
            outbox_senders.c.heartbeat_at,
        ).order_by(outbox_senders.c.started_at, outbox_senders.c.token)
        with self.engine.connect() as conn:
            return [(str(t), str(lb), int(p), h) for t, lb, p, h in conn.execute(query)]
