"""Helpers for the search tests: plain inserts into sources/articles (no ingest code needed)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select

from newsbot.core.models import Article, Summary
from newsbot.storage.schema import articles, sources
from newsbot.storage.search import SearchIndex

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def source_id(connection: Connection, key: str, section: str = "") -> int:
    found = connection.execute(select(sources.c.id).where(sources.c.key == key)).scalar()
    if found is not None:
        return int(found)
    return int(
        connection.execute(
            insert(sources).values(
                key=key,
                name=key,
                kind="feed",
                url=f"http://127.0.0.1/{key}",
                section=section,
                failures=0,
            )
        ).inserted_primary_key[0]
    )


def add_article(
    engine: Engine,
    index: SearchIndex | None,
    title: str,
    text: str,
    *,
    section: str = "阳泉",
    source: str = "yangquan",
    age_days: float = 1.0,
    key_points: tuple[str, ...] = (),
    duplicate_of: int | None = None,
) -> int:
    """Insert one article (and index it in the same transaction, as ArticleStore does)."""
    published = NOW - timedelta(days=age_days)
    summary = Summary(key_points) if key_points else None
    with engine.begin() as connection:
        sid = source_id(connection, source, section)
        digest = hashlib.sha256(f"{title}{text}{published}".encode()).hexdigest()
        article_id = int(
            connection.execute(
                insert(articles).values(
                    source_id=sid,
                    dedupe_key=digest,
                    url=f"http://127.0.0.1/a/{digest[:12]}.html",
                    section=section,
                    title=title,
                    text=text,
                    published_at=published,
                    fetched_at=published,
                    content_hash=digest,
                    update_count=0,
                    duplicate_of=duplicate_of,
                    summary_json=json.dumps(summary.as_dict()) if summary else None,
                )
            ).inserted_primary_key[0]
        )
        if index is not None:
            index.index(
                connection, article(article_id, title, text, section, source, published, summary)
            )
    return article_id


def article(
    article_id: int,
    title: str,
    text: str,
    section: str = "阳泉",
    source: str = "yangquan",
    published: datetime = NOW,
    summary: Summary | None = None,
) -> Article:
    return Article(
        id=article_id,
        source_key=source,
        section=section,
        url=f"http://127.0.0.1/a/{article_id}.html",
        title=title,
        text=text,
        published_at=published,
        fetched_at=published,
        summary=summary,
    )


def ids(results: object) -> set[int]:
    return {hit.article_id for hit in results.hits}  # type: ignore[attr-defined]
