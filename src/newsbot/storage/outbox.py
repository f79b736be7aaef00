"""The persistent outbox: one row per rendered chunk, and the state machine that sends it once.

    pending --claim--> pending+token --mark_sending--> sending --mark_sent--> sent
                                          |                    \\--retry----> pending (not_before)
                                          \\--release-------->  pending        \\--fail--> failed

A claim is a lease (claim_token, claimed_until) on pending rows, so two processes never send the
same row: on PostgreSQL the claim is `SELECT ... FOR UPDATE SKIP LOCKED`; on SQLite (one process)
a plain `UPDATE ... WHERE state='pending'` under SQLite's single writer does the same job.
`sending` is written (committed) right before the API call and `sent` right after it, so after a
crash the rows left in `sending` are the only ones that may have reached the user: `recover`
puts them back to pending (we choose a possible duplicate over a possible loss) and counts them.
With several processes on PostgreSQL each claims only its share of the chats (`claim(shared=True)`,
core/shares.py); a sent row keeps its claim token, so a chat's new sender can tell what another
process sent to it a moment ago (`sent_by_others`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from newsbot.core.models import NewMessage, OutboxRow
from newsbot.core.shares import chat_bucket, claim_range
from newsbot.storage import db
from newsbot.storage.schema import deliveries, outbox
from newsbot.storage.senders import members_for_claim

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
HELD = "held"  # the channel can reach the recipient only after they write (WeChat 45015)


class OutboxStore:
    """Enqueue, claim and move outbox rows through their states."""

    def __init__(self, engine: Engine, *, lease: timedelta = timedelta(seconds=120)) -> None:
        self.engine = engine
        self.lease = lease
        self.token = uuid.uuid4().hex  # this process's claims
        self._local = threading.local()
        self._open: list[Connection] = []
        self._open_lock = threading.Lock()
        self._generation = 0  # bumped by reconnect(): connections of older generations are stale

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A short transaction on this thread's own long-lived connection.

        The sender writes twice per message; opening a connection each time costs a WAL
        checkpoint on SQLite (the last connection closing) and a pool round-trip on PostgreSQL.
        On PostgreSQL these state writes use synchronous_commit=off: they survive the crash of
        our process (the server has them); only a crash of the database server itself could
        lose the last ~200 ms of marks, which turns into a resend, never into a loss.
        """
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "generation", 0) != self._generation:
            with contextlib.suppress(Exception):  # from before a database outage: stale
                conn.close()
            conn = None
        if conn is None or conn.closed or conn.invalidated:
            self._local.generation = self._generation
            conn = self.engine.connect()
            if db.is_postgres(self.engine):
                conn.exec_driver_sql("SET synchronous_commit TO off")
                conn.commit()
            self._local.conn = conn
            with self._open_lock:
                self._open.append(conn)
        try:
            with conn.begin():
                yield conn
        except Exception:
            if conn.invalidated:
                self._local.conn = None
            raise

    def reconnect(self) -> None:
        """The database came back after an outage: each thread opens a fresh connection on its
        next use instead of failing once on the old one (the pool's pre-ping never sees these)."""
        self._generation += 1

    def release_own(self) -> int:
        """Give back the pending rows this process claimed and never sent (a tick that the
        database failed midway), so they go out now rather than when the lease expires."""
        with self._tx() as conn:
            result = conn.execute(
                update(outbox)
                .where(outbox.c.claim_token == self.token, outbox.c.state == PENDING)
                .values(claim_token=None, claimed_until=None)
            )
            return int(result.rowcount or 0)

    def close(self) -> None:
        """Close the per-thread connections (each from any thread: they are idle)."""
        with self._open_lock:
            opened, self._open = self._open, []
        for conn in opened:
            with contextlib.suppress(Exception):
                conn.close()

    # --- writing ------------------------------------------------------------------------------

    def enqueue(self, conn: Any, messages: Sequence[NewMessage], now: datetime) -> list[int]:
        """Insert rows (inside the caller's transaction) and their ledger rows, in bulk.

        One executemany per table (RETURNING in parameter order): building a statement per row
        cost more than the database work in a 10,000-subscriber tick.
        """
        if not messages:
            return []
        rows = [
            {
                "dedupe_key": m.dedupe_key,
                "subscriber_id": m.subscriber_id,
                "channel": m.channel,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "payload": json.dumps(m.payload, ensure_ascii=False),
                "state": PENDING,
                "attempts": 0,
                "not_before": m.not_before or now,
                "created_at": now,
                "chat_bucket": chat_bucket(m.channel, m.chat_id),
            }
            for m in messages
        ]
        statement = outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True)
        ids = [int(r[0]) for r in conn.execute(statement, rows)]
        ledger = [
            {
                "subscriber_id": m.subscriber_id,
                "article_id": article_id,
                "outbox_id": row_id,
                "kind": m.kind,
                "created_at": now,
            }
            for m, row_id in zip(messages, ids, strict=True)
            if m.subscriber_id is not None
            for article_id in m.article_ids
        ]
        if ledger:
            conn.execute(deliveries.insert(), ledger)
        return ids

    def enqueue_one(self, message: NewMessage, now: datetime) -> int | None:
        """Insert a single row in its own transaction; None if its dedupe key already exists."""
        try:
            with self.engine.begin() as conn:
                return self.enqueue(conn, [message], now)[0]
        except IntegrityError:
            return None

    # --- claiming -----------------------------------------------------------------------------

    def claim(
        self,
        now: datetime,
        limit: int,
        channels: Sequence[str] | None = None,
        *,
        shared: bool = False,
    ) -> list[OutboxRow]:
        """Lease up to `limit` due pending rows to this process, round robin over the chats:
        every chat's oldest row, then every chat's second oldest, and so on (oldest first
        within a round). Oldest first overall would hand a batch to the few chats whose rows
        were queued first (a group's 30 alerts, then the next group's), and the other chats
        would wait a batch or more while their own rate limits sat unused.

        `shared` (partitioned sending, several processes: core/shares.py): only the rows of this
        process's share of the chats, as the senders table says in this same transaction, and of
        no chat that another process still holds rows of.
        """
        with self._tx() as conn:
            due = and_(
                outbox.c.state == PENDING,
                outbox.c.not_before <= now,
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
            )
            if channels is not None:
                due = and_(due, outbox.c.channel.in_(list(channels)))
            if shared:
                share = claim_range(members_for_claim(conn), self.token)
                if share is None:
                    return []  # not (yet) a member with a share: nothing to claim
                due = and_(due, self._in_share(share, now))
            query = _round_robin(due, limit)
            if db.is_postgres(self.engine):
                query = query.with_for_update(skip_locked=True)
            ids = [row.id for row in conn.execute(query)]
            if not ids:
                return []
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), outbox.c.state == PENDING)
                .values(claim_token=self.token, claimed_until=now + self.lease)
            )
            rows = conn.execute(
                select(outbox)
                .where(outbox.c.id.in_(ids), outbox.c.claim_token == self.token)
                .order_by(outbox.c.id)
            )
            return [_row(r) for r in rows]

    def _in_share(self, share: tuple[int, int], now: datetime) -> Any:
        """Rows of chats in this process's buckets that no other process may still be sending
        to: none of the chat's rows is held by another token under a live lease."""
        other = outbox.alias("other")
        # NOT IN an uncorrelated subquery: PostgreSQL hashes it once (a correlated NOT EXISTS
        # was planned as a nested loop: 2,833 candidates x 500 held rows took 190 ms)
        held = select(other.c.channel, other.c.chat_id).where(
            other.c.claim_token != self.token,
            other.c.state.in_([PENDING, SENDING]),
            other.c.claimed_until >= now,
        )
        low, high = share
        return and_(
            outbox.c.chat_bucket >= low,
            outbox.c.chat_bucket < high,
            tuple_(outbox.c.channel, outbox.c.chat_id).not_in(held),
        )

    def sent_by_others(
        self, chats: Sequence[tuple[str, str]], since: datetime
    ) -> list[tuple[str, str, datetime]]:
        """(channel, chat id, sent at) of the rows another token sent to these chats since
        `since`: what a chat's previous sender counted in its windows (partitioned sending)."""
        wanted = set(chats)
        if not wanted:
            return []
        query = select(outbox.c.channel, outbox.c.chat_id, outbox.c.sent_at).where(
            outbox.c.chat_id.in_(sorted({chat for _, chat in wanted})),
            outbox.c.sent_at >= since,
            outbox.c.state == SENT,
            outbox.c.claim_token != self.token,
        )
        with self._tx() as conn:
            rows = conn.execute(query).all()
        return [(c, chat, at) for c, chat, at in rows if (c, chat) in wanted]

    def mark_sending(self, row_id: int, now: datetime) -> bool:
        """Committed before the API call; False if the lease was lost (another sender took it)."""
        return row_id in self.mark_sending_many([row_id], now)

    def mark_sending_many(self, row_ids: Sequence[int], now: datetime) -> set[int]:
        """`mark_sending` for several rows in one transaction; the ids whose lease held."""
        return self.mark_many(row_ids, (), now)

    def mark_sent(self, row_id: int, remote_id: str, now: datetime) -> None:
        self.mark_many((), [(row_id, remote_id)], now)

    def mark_sent_many(self, sent: Sequence[tuple[int, str]], now: datetime) -> None:
        """`mark_sent` for several (row id, remote id) in one transaction (one executemany)."""
        self.mark_many((), sent, now)

    def mark_many(
        self, sending: Sequence[int], sent: Sequence[tuple[int, str]], now: datetime
    ) -> set[int]:
        """The sender's group commit: rows about to be sent marked `sending` and rows the
        platform accepted marked `sent`, in one transaction (one commit per batch of marks
        instead of two per message). Returns the `sending` ids whose lease held.

        The statements are built once (module constants): building an UPDATE and its cache
        key cost more CPU than SQLite took to run it, on a path taken for every message."""
        if not sending and not sent:
            return set()
        held: set[int] = set()
        with self._tx() as conn:
            if sent:
                rows = [
                    {"sent_id": row_id, "sent_remote_id": remote[:64], "sent_now": now}
                    for row_id, remote in sent
                ]
                conn.execute(_MARK_SENT, rows)
            if sending:
                params = {"ids": list(sending), "token": self.token, "until": now + self.lease}
                held = {int(row[0]) for row in conn.execute(_MARK_SENDING, params)}
        return held

    def retry(
        self, row_id: int, not_before: datetime, error: str, *, count_attempt: bool = True
    ) -> None:
        """Back to pending after a transient failure (a 429 does not count as an attempt)."""
        values: dict[str, Any] = {
            "state": PENDING,
            "not_before": not_before,
            "last_error": error[:1000],
            "claim_token": None,
            "claimed_until": None,
        }
        if not count_attempt:
            values["attempts"] = outbox.c.attempts - 1
        with self._tx() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))

    def release(self, row_ids: Sequence[int], not_before: datetime | None = None) -> None:
        """Give claimed, unsent rows back (optionally postponed)."""
        if not row_ids:
            return
        values: dict[str, Any] = {"claim_token": None, "claimed_until": None}
        if not_before is not None:
            values["not_before"] = not_before
        with self._tx() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(row_ids)), outbox.c.state == PENDING)
                .values(**values)
            )

    def postpone_chat(self, chat_id: str, after_id: int, not_before: datetime) -> None:
        """Keep a chat's later chunks behind a postponed one, so chunks arrive in order."""
        with self._tx() as conn:
            _postpone_chat(conn, chat_id, after_id, not_before)

    def release_chat_until(
        self, chat_id: str, row_ids: Sequence[int], not_before: datetime
    ) -> None:
        """Give a chat's claimed rows back until `not_before` and keep its later rows behind
        them (a robot whose per-minute window is full), in one transaction."""
        if not row_ids:
            return
        with self._tx() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(row_ids)), outbox.c.state == PENDING)
                .values(claim_token=None, claimed_until=None, not_before=not_before)
            )
            _postpone_chat(conn, chat_id, min(row_ids), not_before)

    def fail(self, row_id: int, error: str) -> None:
        with self._tx() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(state=FAILED, last_error=error[:1000], claim_token=None, claimed_until=None)
            )

    def fail_chat(self, chat_id: str, error: str) -> int:
        """Fail every unsent row of a chat that can no longer be reached (blocked, deleted)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(outbox.c.chat_id == chat_id, outbox.c.state.in_([PENDING, SENDING]))
                .values(state=FAILED, last_error=error[:1000], claim_token=None, claimed_until=None)
            )
            return int(result.rowcount)

    def hold_chat(self, channel: str, chat_id: str, error: str) -> int:
        """The recipient can be reached only after they write again: keep their unsent rows
        aside (state 'held') until `release_held`; they are neither retried nor failed."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(
                    outbox.c.channel == channel,
                    outbox.c.chat_id == chat_id,
                    outbox.c.state.in_([PENDING, SENDING]),
                )
                .values(state=HELD, last_error=error[:1000], claim_token=None, claimed_until=None)
            )
            return int(result.rowcount)

    def take_held(self, channel: str, chat_id: str, now: datetime) -> list[OutboxRow]:
        """The recipient's held rows, marked sent in the same statement (UPDATE ... RETURNING:
        two processes never both take one); the channel delivers them itself now."""
        with self.engine.begin() as conn:
            return take_held_in(conn, channel, chat_id, now)

    def release_held(self, channel: str, chat_id: str, now: datetime) -> int:
        """The recipient wrote: their held rows are due again."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(
                    outbox.c.channel == channel,
                    outbox.c.chat_id == chat_id,
                    outbox.c.state == HELD,
                )
                .values(state=PENDING, not_before=now)
            )
            return int(result.rowcount)

    def move_chat(self, old_chat_id: str, new_chat_id: str) -> int:
        """A group became a supergroup: its unsent rows go to the new chat id (and its bucket)."""
        unsent = and_(outbox.c.chat_id == old_chat_id, outbox.c.state.in_([PENDING, SENDING]))
        moved = 0
        with self.engine.begin() as conn:
            channels = conn.scalars(select(outbox.c.channel).where(unsent).distinct()).all()
            for channel in channels:
                result = conn.execute(
                    update(outbox)
                    .where(unsent, outbox.c.channel == channel)
                    .values(
                        chat_id=new_chat_id,
                        chat_bucket=chat_bucket(channel, new_chat_id),
                        state=PENDING,
                        claim_token=None,
                        claimed_until=None,
                    )
                )
                moved += int(result.rowcount)
        return moved

    def replace_payload(self, row_id: int, payload: dict[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(payload=json.dumps(payload, ensure_ascii=False))
            )

    # --- recovery and reading -------------------------------------------------------------------

    def recover(self, now: datetime, *, everything: bool = False) -> int:
        """Rows stuck in `sending` (a crash between the API call and `sent`) go back to pending.

        With `everything` (a single process on SQLite, at start) all of them; otherwise only those
        whose lease has expired, so a live sender in another process keeps its rows.
        Returns how many rows may be duplicates when resent.
        """
        stuck = outbox.c.state == SENDING
        if not everything:
            stuck = and_(stuck, outbox.c.claimed_until < now)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(stuck)
                .values(
                    state=PENDING,
                    claim_token=None,
                    claimed_until=None,
                    last_error="recovered from 'sending' after a crash; may be a duplicate",
                )
            )
            if everything:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.state == PENDING, outbox.c.claim_token.is_not(None))
                    .values(claim_token=None, claimed_until=None)
                )
            return int(result.rowcount)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
            return {str(state): int(n) for state, n in rows}

    def next_due(self) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.min(outbox.c.not_before)).where(outbox.c.state == PENDING)
            ).scalar()
            return value if isinstance(value, datetime) else None

    def get(self, row_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == row_id)).mappings().first()
            return dict(row) if row else None

    def delivered_since(self, since: datetime) -> dict[int, set[int]]:
        """subscriber -> articles already sent to them (a digest or an alert) since `since`."""
        found: dict[int, set[int]] = {}
        query = select(deliveries.c.subscriber_id, deliveries.c.article_id).where(
            deliveries.c.created_at >= since
        )
        with self.engine.connect() as conn:
            for subscriber_id, article_id in conn.execute(query):
                found.setdefault(int(subscriber_id), set()).add(int(article_id))
        return found

    def alerts_sent_between(self, subscriber_id: int, start: datetime, end: datetime) -> int:
        """Pushed alerts counted against today's cap (by ledger time, whatever their state)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(func.count(func.distinct(deliveries.c.outbox_id))).where(
                    deliveries.c.subscriber_id == subscriber_id,
                    deliveries.c.kind == "alert",
                    deliveries.c.created_at >= start,
                    deliveries.c.created_at < end,
                )
            ).scalar()
            return int(value or 0)


_TAKE_HELD = (
    update(outbox)
    .where(
        outbox.c.channel == bindparam("b_channel"),
        outbox.c.chat_id == bindparam("b_chat_id"),
        outbox.c.state == HELD,
    )
    .values(state=SENT, remote_id="passive")
    .returning(*outbox.c)
)


def take_held_in(conn: Connection, channel: str, chat_id: str, now: datetime) -> list[OutboxRow]:
    """OutboxStore.take_held inside the caller's transaction (the WeChat inbound record takes
    them in its own: one commit per message, storage/weixin.py)."""
    values = {"b_channel": channel, "b_chat_id": chat_id, "sent_at": now}
    rows = conn.execute(_TAKE_HELD, values).all()  # on every message of such a channel: built once
    return sorted((_row(row) for row in rows), key=lambda r: r.id)


def _row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        dedupe_key=row.dedupe_key,
        subscriber_id=row.subscriber_id,
        channel=row.channel,
        chat_id=row.chat_id,
        kind=row.kind,
        payload=json.loads(row.payload),
        attempts=row.attempts,
        claim_token=row.claim_token,
    )


def _postpone_chat(conn: Connection, chat_id: str, after_id: int, not_before: datetime) -> None:
    conn.execute(
        update(outbox)
        .where(
            outbox.c.chat_id == chat_id,
            outbox.c.state == PENDING,
            outbox.c.id > after_id,
            outbox.c.not_before < not_before,
        )
        .values(not_before=not_before)
    )


# The marks of every message sent (OutboxStore.mark_many), built once.
_MARK_SENDING = (
    update(outbox)
    .where(
        outbox.c.id.in_(bindparam("ids", expanding=True)),
        outbox.c.state == PENDING,
        outbox.c.claim_token == bindparam("token"),
    )
    .values(state=SENDING, attempts=outbox.c.attempts + 1, claimed_until=bindparam("until"))
    .returning(outbox.c.id)
)
_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("sent_id"))
    .values(  # claim_token stays: who sent it (partitioned sending reads it)
        state=SENT,
        remote_id=bindparam("sent_remote_id"),
        sent_at=bindparam("sent_now"),
        claimed_until=None,
    )
)


def _round_robin(due: Any, limit: int) -> Select[Any]:
    """The ids of `limit` due rows in round-robin order over the chats, lockable: the window
    function that places a row within its chat sits in a subquery, since PostgreSQL allows no
    FOR UPDATE beside one."""
    order = (outbox.c.not_before, outbox.c.id)
    place = func.row_number().over(
        partition_by=(outbox.c.channel, outbox.c.chat_id), order_by=order
    )
    ranked = select(outbox.c.id, outbox.c.not_before, place.label("place")).where(due).subquery()
    chosen = (
        select(ranked.c.id).order_by(ranked.c.place, ranked.c.not_before, ranked.c.id).limit(limit)
    )
    return select(outbox.c.id).where(outbox.c.id.in_(chosen)).order_by(outbox.c.id)
