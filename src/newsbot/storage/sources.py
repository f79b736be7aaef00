"""The sources table: configured feeds and section pages with their polling state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from newsbot.config import SourceSettings
from newsbot.core.models import SourceState
from newsbot.errors import StorageError
from newsbot.storage.schema import articles, sources

MAX_ERROR_CHARS = 2000


class SourceStore:
    """Reads and writes the sources table; every SQLAlchemy error becomes StorageError."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sync(self, configured: Sequence[SourceSettings]) -> None:
        """Insert or update the configured sources (by key); a changed URL forgets its
        validators, since an ETag of the old URL means nothing for the new one. Two processes
        starting together may both insert a key: the loser reads again and finds it there."""
        try:
            self._sync(configured)
        except IntegrityError:
            self._sync(configured)

    def _sync(self, configured: Sequence[SourceSettings]) -> None:
        try:
            with self.engine.begin() as conn:
                stored = {row.key: row for row in conn.execute(select(sources))}
                for source in configured:
                    values: dict[str, str | None] = {
                        "name": source.name,
                        "kind": source.kind,
                        "url": source.url,
                        "section": source.section,
                    }
                    row = stored.get(source.key)
                    if row is None:
                        conn.execute(insert(sources).values(key=source.key, failures=0, **values))
                    elif any(getattr(row, k) != v for k, v in values.items()):
                        if row.url != source.url:
                            values |= {"etag": None, "last_modified": None}
                        conn.execute(update(sources).where(sources.c.id == row.id).values(**values))
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot sync sources: {exc}") from exc

    def get(self, key: str) -> SourceState | None:
        """One source's polling state (article_count is not counted here: it is on the poll
        path, and counting articles per source there cost more than the poll itself)."""
        states = self._select(sources.c.key == key, counts=False)
        return states[0] if states else None

    def all(self) -> list[SourceState]:
        """Every source with its article count (for `newsbot sources`)."""
        return self._select(None, counts=True)

    def due(self, now: datetime, keys: Sequence[str]) -> list[SourceState]:
        """Sources among `keys` whose next poll time has come (or was never set)."""
        condition = or_(sources.c.next_poll_at.is_(None), sources.c.next_poll_at <= now)
        wanted = set(keys)
        return [s for s in self._select(condition, counts=False) if s.key in wanted]

    def next_due_at(self, keys: Sequence[str]) -> datetime | None:
        wanted = set(keys)
        states = self._select(None, counts=False)
        times = [s.next_poll_at for s in states if s.key in wanted and s.next_poll_at]
        return min(times) if times else None

    def _select(self, condition: Any, *, counts: bool) -> list[SourceState]:
        if counts:
            per_source = (
                select(articles.c.source_id, func.count().label("n"))
                .group_by(articles.c.source_id)
                .subquery()
            )
            query = select(sources, func.coalesce(per_source.c.n, 0).label("article_count"))
            query = query.outerjoin(per_source, per_source.c.source_id == sources.c.id)
        else:
            query = select(sources)
        query = query.order_by(sources.c.key)
        if condition is not None:
            query = query.where(condition)
        try:
            with self.engine.connect() as conn:
                return [SourceState(**row._asdict()) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read sources: {exc}") from exc

    def record_success(
        self,
        key: str,
        *,
        status: str,
        polled_at: datetime,
        next_poll_at: datetime,
        etag: str | None,
        last_modified: str | None,
        keep_validators: bool = False,
        error: str | None = None,
    ) -> None:
        """A poll that reached the origin and understood it; resets the failure count.
        With keep_validators the stored ETag/Last-Modified stay (some items still need work)."""
        values: dict[str, Any] = {
            "last_status": status,
            "last_error": error[:MAX_ERROR_CHARS] if error else None,
            "last_polled_at": polled_at,
            "last_success_at": polled_at,
            "next_poll_at": next_poll_at,
            "failures": 0,
        }
        if not keep_validators:
            values |= {"etag": etag, "last_modified": last_modified}
        self._update(key, values)

    def record_not_modified(self, key: str, *, polled_at: datetime, next_poll_at: datetime) -> None:
        self._update(
            key,
            {
                "last_status": "not-modified",
                "last_error": None,
                "last_polled_at": polled_at,
                "last_success_at": polled_at,
                "next_poll_at": next_poll_at,
                "failures": 0,
            },
        )

    def record_failure(
        self,
        key: str,
        *,
        status: str,
        error: str,
        polled_at: datetime,
        next_poll_at: datetime,
        failures: int,
    ) -> None:
        """A failed poll: status and error kept, `failures` consecutive failures so far."""
        self._update(
            key,
            {
                "last_status": status,
                "last_error": error[:MAX_ERROR_CHARS],
                "last_polled_at": polled_at,
                "next_poll_at": next_poll_at,
                "failures": failures,
            },
        )

    def _update(self, key: str, values: dict[str, Any]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(update(sources).where(sources.c.key == key).values(**values))
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot update source {key!r}: {exc}") from exc
