"""Digest records: one row per (subscriber, local date), claimed before anything is sent.

The claim is an INSERT against a unique (subscriber_id, local_date) constraint
(`ON CONFLICT DO NOTHING`): whoever inserts the row owns that digest, so two ticks or two
processes can never both enqueue it. The claim, the outbox rows and the ledger are written in one
transaction, so a crash leaves either all of them or none (and the digest is simply due again).

The subscribers the delivery tick reads in bulk live in storage/subscribers.py (one store).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsbot.core.models import EMPTY, SKIPPED
from newsbot.storage import db
from newsbot.storage.schema import articles, digests, meta


class DigestRecords:
    """Claims and reads digest records; the write methods take the caller's connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(
        self, conn: Any, subscriber_id: int, local_date: str, status: str, now: datetime
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
        self, conn: Any, wanted: Sequence[tuple[int, str]], status: str, now: datetime
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
        self, conn: Any, outcomes: Sequence[tuple[int, str, int]], now: datetime
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
