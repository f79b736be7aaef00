"""Digest records: one row per (subscriber, local date), claimed before anything is sent.

The claim is an INSERT against a unique (subscriber_id, local_date) constraint
(`ON CONFLICT DO NOTHING`): whoever inserts the row owns that digest, so two ticks or two
processes can never both enqueue it. The claim, the outbox rows and the ledger are written in one
transaction, so a crash leaves either all of them or none (and the digest is simply due again).

Also here: the bulk read of subscribers that the delivery tick needs (active ones with their
keywords), and the few subscriber updates the sender makes (403 -> inactive, chat migration).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsbot.core.models import Subscriber
from newsbot.storage import db
from newsbot.storage.schema import articles, digests, keywords, meta, subscribers
from newsbot.storage.subscribers import subscriber_from_row

CLAIMED, QUEUED, EMPTY, SKIPPED = "claimed", "queued", "empty", "skipped"


class DigestRecords:
    """Claims and reads digest records; the write methods take the caller's connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(
        self, conn: Connection, subscriber_id: int, local_date: str, status: str, now: datetime
    ) -> int | None:
        """Insert the record; its id, or None if this (subscriber, date) was already claimed."""
        dialect = postgresql if db.is_postgres(self.engine) else sqlite
        statement = (
            dialect.insert(digests)
            .values(
                subscriber_id=subscriber_id,
                local_date=local_date,
                status=status,
                article_count=0,
                claimed_at=now,
                finished_at=now if status in (EMPTY, SKIPPED) else None,
            )
            .on_conflict_do_nothing(index_elements=["subscriber_id", "local_date"])
            .returning(digests.c.id)
        )
        value = conn.execute(statement).scalar()
        return int(value) if value is not None else None

    def claim_many(
        self, conn: Connection, wanted: Sequence[tuple[int, str]], status: str, now: datetime
    ) -> dict[int, int]:
        """Claim many (subscriber, local date) records at once: subscriber_id -> digest id for
        the ones this call inserted (the others were claimed already)."""
        if not wanted:
            return {}
        dialect = postgresql if db.is_postgres(self.engine) else sqlite
        statement = (
            dialect.insert(digests)
            .on_conflict_do_nothing(index_elements=["subscriber_id", "local_date"])
            .returning(digests.c.subscriber_id, digests.c.id)
        )
        rows = [
            {
                "subscriber_id": sid,
                "local_date": day,
                "status": status,
                "article_count": 0,
                "claimed_at": now,
                "finished_at": None,
            }
            for sid, day in wanted
        ]
        return {int(sid): int(did) for sid, did in conn.execute(statement, rows)}

    def finish_many(
        self, conn: Connection, outcomes: Sequence[tuple[int, str, int]], now: datetime
    ) -> None:
        """(digest id, status, article count) for each digest just queued."""
        if not outcomes:
            return
        statement = (
            update(digests)
            .where(digests.c.id == bindparam("digest_id"))
            .values(
                status=bindparam("new_status"), article_count=bindparam("count"), finished_at=now
            )
        )
        rows = [{"digest_id": d, "new_status": st, "count": n} for d, st, n in outcomes]
        conn.execute(statement, rows)

    def finish(
        self, conn: Connection, digest_id: int, status: str, article_count: int, now: datetime
    ) -> None:
        conn.execute(
            update(digests)
            .where(digests.c.id == digest_id)
            .values(status=status, article_count=article_count, finished_at=now)
        )

    def recorded_dates(self, dates: Iterable[str]) -> dict[int, set[str]]:
        """subscriber_id -> the local dates among `dates` that already have a record."""
        wanted = sorted(set(dates))
        found: dict[int, set[str]] = defaultdict(set)
        if not wanted:
            return found
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(digests.c.subscriber_id, digests.c.local_date).where(
                    digests.c.local_date.in_(wanted)
                )
            )
            for subscriber_id, local_date in rows:
                found[int(subscriber_id)].add(str(local_date))
        return found

    def for_subscriber(self, subscriber_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(digests)
                .where(digests.c.subscriber_id == subscriber_id)
                .order_by(digests.c.local_date)
            )
            return [dict(r._mapping) for r in rows]

    def status_counts(self, local_date: str | None = None) -> dict[str, int]:
        query = select(digests.c.status)
        if local_date is not None:
            query = query.where(digests.c.local_date == local_date)
        counts: dict[str, int] = defaultdict(int)
        with self.engine.connect() as conn:
            for (status,) in conn.execute(query):
                counts[str(status)] += 1
        return dict(counts)


ALERT_WATERMARK = "delivery.alerts_after_article_id"


class AlertWatermark:
    """Which articles keyword alerts have already looked at (the meta table), so alerts follow
    ingest without INGEST reporting ids, and survive restarts. A fresh database starts at the
    newest article: history never alerts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def take_new(self, limit: int = 1000) -> list[int]:
        """Ids of articles stored since the last call (originals only); moves the mark."""
        with self.engine.begin() as conn:
            mark = conn.execute(select(meta.c.value).where(meta.c.key == ALERT_WATERMARK)).scalar()
            newest = conn.execute(select(func.max(articles.c.id))).scalar() or 0
            if mark is None:
                conn.execute(meta.insert().values(key=ALERT_WATERMARK, value=str(newest)))
                return []
            query = (
                select(articles.c.id)
                .where(articles.c.id > int(mark), articles.c.duplicate_of.is_(None))
                .order_by(articles.c.id)
                .limit(limit)
            )
            ids = [int(i) for i in conn.execute(query).scalars()]
            last = max(ids) if len(ids) == limit else newest
            conn.execute(update(meta).where(meta.c.key == ALERT_WATERMARK).values(value=str(last)))
            return ids


class DeliverySubscribers:
    """The subscriber reads and updates delivery needs, in bulk (one query per tick, not per chat)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def active(
        self, *, with_keywords_only: bool = False, ids: Sequence[int] | None = None
    ) -> list[Subscriber]:
        query = select(subscribers).where(subscribers.c.active.is_(True)).order_by(subscribers.c.id)
        if ids is not None:
            query = query.where(subscribers.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
            words = _keywords(conn)
        found = [subscriber_from_row(row, words.get(row.id, ())) for row in rows]
        return [s for s in found if s.keywords] if with_keywords_only else found

    def get(self, subscriber_id: int) -> Subscriber | None:
        found = self.active(ids=[subscriber_id])
        return found[0] if found else None

    def set_last_digest(
        self, conn: Connection, subscriber_ids: Sequence[int], now: datetime
    ) -> None:
        if subscriber_ids:
            conn.execute(
                update(subscribers)
                .where(subscribers.c.id.in_(list(subscriber_ids)))
                .values(last_digest_at=now)
            )

    def mark_inactive(self, channel: str, chat_id: str, now: datetime) -> int:
        """The chat blocked the bot or is gone (403); /start makes it active again."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(subscribers)
                .where(subscribers.c.channel == channel, subscribers.c.chat_id == chat_id)
                .values(active=False, updated_at=now)
            )
            return int(result.rowcount)

    def update_chat_id(
        self, channel: str, old_chat_id: str, new_chat_id: str, now: datetime
    ) -> int:
        """A group migrated to a supergroup; keep the subscriber, change its address."""
        with self.engine.begin() as conn:
            taken = conn.execute(
                select(subscribers.c.id).where(
                    subscribers.c.channel == channel, subscribers.c.chat_id == new_chat_id
                )
            ).first()
            if taken is not None:  # the new chat subscribed by itself already: retire the old row
                values: dict[str, Any] = {"active": False, "updated_at": now}
            else:
                values = {"chat_id": new_chat_id, "chat_type": "supergroup", "updated_at": now}
            result = conn.execute(
                update(subscribers)
                .where(subscribers.c.channel == channel, subscribers.c.chat_id == old_chat_id)
                .values(**values)
            )
            return int(result.rowcount)


def _keywords(conn: Connection) -> dict[int, tuple[str, ...]]:
    words: dict[int, list[str]] = defaultdict(list)
    for subscriber_id, keyword in conn.execute(
        select(keywords.c.subscriber_id, keywords.c.keyword).order_by(keywords.c.id)
    ):
        words[int(subscriber_id)].append(str(keyword))
    return {k: tuple(v) for k, v in words.items()}
