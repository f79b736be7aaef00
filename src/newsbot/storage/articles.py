"""The articles table: idempotent insert-or-update, bounded updates, near-duplicate marking.

The decisions (new / updated / unchanged, the update cap, near-duplicate matching) are pure and
live in core.dedupe; this module reads and writes the rows they decide about.

Each save is one transaction: the article row and its search-index entry (through the optional
indexer) commit together or not at all, so a process killed mid-poll leaves either the whole
article or nothing, and the unique dedupe_key makes a re-run insert it exactly once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from newsbot.core import dedupe
from newsbot.core.dedupe import NearDuplicateIndex, SaveOutcome
from newsbot.core.models import Article, ArticleDraft, KnownArticle, Summary
from newsbot.errors import StorageError
from newsbot.storage.schema import articles, sources


class ArticleIndexer(Protocol):
    """What the store needs of a search index (newsbot.storage.search.SearchIndex)."""

    def index(self, connection: Connection, article: Article) -> None: ...

    def remove(self, connection: Connection, article_id: int) -> None: ...


class ArticleStore:
    """Articles for ingest (save, known) and for every reader (get, recent, latest, count)."""

    def __init__(
        self,
        engine: Engine,
        indexer: ArticleIndexer | None = None,
        *,
        max_updates: int = 5,
        near_duplicate_window: timedelta = timedelta(days=7),
        near_duplicate_distance: int = dedupe.NEAR_DUPLICATE_DISTANCE,
    ) -> None:
        self.engine = engine
        self.indexer = indexer
        self.max_updates = max_updates
        self.window = near_duplicate_window
        self.distance = near_duplicate_distance
        self._lock = threading.Lock()  # one writer per process: near-dup check + insert atomic
        self._near = NearDuplicateIndex(near_duplicate_distance, near_duplicate_window)
        self._near_loaded = False

    # --- ingest ---------------------------------------------------------------------------------

    @contextmanager
    def held_open(self) -> Iterator[None]:
        """Keep one idle connection open around a batch of saves. With SQLite in WAL mode and
        a connection per transaction, closing the last connection checkpoints and removes the
        WAL (about 10 ms, plus a slower next commit); an idle keeper makes a save ~10x cheaper."""
        if self.engine.dialect.name != "sqlite":
            yield
            return
        with self.engine.connect():
            yield

    def known(self, keys: Sequence[str]) -> dict[str, KnownArticle]:
        """The stored articles among `keys`, by dedupe key."""
        result: dict[str, KnownArticle] = {}
        columns = (
            articles.c.dedupe_key,
            articles.c.id,
            articles.c.listed_title,
            articles.c.content_hash,
            articles.c.update_count,
        )
        try:
            with self.engine.connect() as conn:
                for start in range(0, len(keys), 500):
                    chunk = list(keys[start : start + 500])
                    query = select(*columns).where(articles.c.dedupe_key.in_(chunk))
                    for row in conn.execute(query):
                        result[row.dedupe_key] = KnownArticle(
                            row.id, row.listed_title or "", row.content_hash, row.update_count
                        )
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read articles: {exc}") from exc
        return result

    def adopt_section(self, keys: Sequence[str], section: str) -> int:
        """Give `section` to the articles among `keys` stored without one; returns how many."""
        try:
            with self.engine.begin() as conn:
                change = (
                    update(articles)
                    .where(articles.c.dedupe_key.in_(list(keys)), articles.c.section == "")
                    .values(section=section)
                )
                return int(conn.execute(change).rowcount or 0)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot update sections: {exc}") from exc

    def save(self, draft: ArticleDraft, now: datetime) -> tuple[SaveOutcome, int]:
        """Insert a new article or apply a real update (at most max_updates); idempotent."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._load_near_index(now)
                    return self._save_once(draft, now)
                except IntegrityError:
                    if attempt == 2:  # another process inserted the key in between: re-read
                        raise StorageError(f"cannot store {draft.url}: key conflict") from None
                except SQLAlchemyError as exc:
                    raise StorageError(f"cannot store {draft.url}: {exc}") from exc
        raise AssertionError("unreachable")

    def _save_once(self, draft: ArticleDraft, now: datetime) -> tuple[SaveOutcome, int]:
        digest = dedupe.content_hash(draft.title, draft.text)
        fingerprint = dedupe.simhash(draft.title, draft.text)
        with self.engine.begin() as conn:
            query = select(
                articles.c.id,
                articles.c.content_hash,
                articles.c.update_count,
                articles.c.listed_title,
                articles.c.section,
            )
            row = conn.execute(query.where(articles.c.dedupe_key == draft.dedupe_key)).first()
            if row is None:
                duplicate_of = self._near.find(fingerprint, now - self.window)
                values = _row_values(draft, digest, fingerprint) | {
                    "fetched_at": now,
                    "update_count": 0,
                    "duplicate_of": duplicate_of,
                }
                inserted = conn.execute(insert(articles).values(**values)).inserted_primary_key
                assert inserted is not None
                article_id = int(inserted[0])
                self._index(conn, article_id)
                outcome: SaveOutcome = "new"
            elif (
                dedupe.save_decision(row.content_hash, row.update_count, digest, self.max_updates)
                == "unchanged"
            ):
                changes: dict[str, Any] = {}
                if row.listed_title != draft.listed_title:  # so the same listing is not refetched
                    changes["listed_title"] = draft.listed_title
                if draft.section and not row.section:  # first seen in a section-less feed
                    changes["section"] = draft.section
                if changes:
                    conn.execute(update(articles).where(articles.c.id == row.id).values(changes))
                return "unchanged", int(row.id)
            else:
                article_id = int(row.id)
                values = _row_values(draft, digest, fingerprint)
                values |= {"updated_at": now, "update_count": row.update_count + 1}
                if not draft.section:  # a section-less feed never takes a section away
                    values["section"] = row.section
                conn.execute(update(articles).where(articles.c.id == article_id).values(**values))
                self._index(conn, article_id)
                outcome = "updated"
        if outcome == "new" and fingerprint is not None and duplicate_of is None:
            self._near.add(article_id, fingerprint, now)  # only after the commit
        return outcome, article_id

    def _index(self, conn: Connection, article_id: int) -> None:
        if self.indexer is None:
            return
        row = conn.execute(_article_query().where(articles.c.id == article_id)).one()
        self.indexer.index(conn, _article(row))

    def _load_near_index(self, now: datetime) -> None:
        if self._near_loaded:
            return
        query = select(articles.c.id, articles.c.simhash, articles.c.fetched_at).where(
            articles.c.fetched_at >= now - self.window,
            articles.c.duplicate_of.is_(None),
            articles.c.simhash.is_not(None),
        )
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                self._near.add(row.id, row.simhash, row.fetched_at)
        self._near_loaded = True

    # --- readers --------------------------------------------------------------------------------

    def get(self, article_id: int) -> Article | None:
        rows = self._read(_article_query().where(articles.c.id == article_id))
        return rows[0] if rows else None

    def recent(self, since: datetime, limit: int, sections: Sequence[str] = ()) -> list[Article]:
        """Articles fetched since `since`, newest (by publication time) first, without
        near-duplicates."""
        query = _article_query().where(
            articles.c.fetched_at >= since, articles.c.duplicate_of.is_(None)
        )
        if sections:
            query = query.where(articles.c.section.in_(list(sections)))
        return self._read(query.order_by(*_newest_first()).limit(limit))

    def latest(self, limit: int) -> list[Article]:
        """The newest articles (near-duplicates included, they are marked)."""
        return self._read(_article_query().order_by(*_newest_first()).limit(limit))

    def count(self) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.scalar(select(func.count()).select_from(articles)) or 0)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot count articles: {exc}") from exc

    def counts_by_source(self) -> dict[str, int]:
        query = (
            select(sources.c.key, func.count(articles.c.id))
            .select_from(sources.outerjoin(articles, articles.c.source_id == sources.c.id))
            .group_by(sources.c.key)
        )
        try:
            with self.engine.connect() as conn:
                return {key: int(n) for key, n in conn.execute(query)}
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot count articles: {exc}") from exc

    def _read(self, query: Any) -> list[Article]:
        try:
            with self.engine.connect() as conn:
                return [_article(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read articles: {exc}") from exc


def _newest_first() -> tuple[Any, ...]:
    return (
        func.coalesce(articles.c.published_at, articles.c.fetched_at).desc(),
        articles.c.id.desc(),
    )


def _row_values(draft: ArticleDraft, digest: str, fingerprint: int | None) -> dict[str, Any]:
    return {
        "source_id": draft.source_id,
        "dedupe_key": draft.dedupe_key,
        "url": draft.url,
        "guid": draft.guid,
        "section": draft.section,
        "title": draft.title,
        "byline": draft.byline,
        "text": draft.text,
        "lead_image": draft.lead_image,
        "published_at": draft.published_at,
        "content_hash": digest,
        "simhash": fingerprint,
        "listed_title": draft.listed_title,
        "summary_json": json.dumps(draft.summary.as_dict(), ensure_ascii=False)
        if draft.summary
        else None,
    }


def _article_query() -> Any:
    return select(articles, sources.c.key.label("source_key")).join(
        sources, sources.c.id == articles.c.source_id
    )


def _article(row: Any) -> Article:
    summary = Summary.from_dict(json.loads(row.summary_json)) if row.summary_json else None
    return Article(
        id=row.id,
        source_key=row.source_key,
        section=row.section,
        url=row.url,
        title=row.title,
        text=row.text,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        byline=row.byline,
        lead_image=row.lead_image,
        summary=summary,
        duplicate_of=row.duplicate_of,
    )
