"""PostgreSQL: article_search(article_id, tsv) with a GIN index, ranked by ts_rank.

tsvectors are built with to_tsvector('simple', ...) from our pre-split tokens (setweight A/B/C for
title, key points, body); tsqueries with plainto_tsquery / phraseto_tsquery over bind
parameters, combined with && and !! in SQL that only we write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from newsbot.core.query import Query, Term
from newsbot.storage.search.documents import IndexDoc
from newsbot.storage.search.filters import CANDIDATE_COLUMNS, Fragments, article_filters

TSVECTOR = (
    "setweight(to_tsvector('simple', :t), 'A') || setweight(to_tsvector('simple', :p), 'B') "
    "|| setweight(to_tsvector('simple', :b), 'C')"
)


def _term(term: Term, fragments: Fragments) -> str:
    function = "phraseto_tsquery" if term.phrase else "plainto_tsquery"
    return f"{function}('simple', {fragments.param(' '.join(term.tokens))})"


def tsquery(query: Query, fragments: Fragments) -> str:
    """SQL for the tsquery of the included terms minus the excluded ones."""
    parts = [_term(t, fragments) for t in query.include]
    parts += [f"!!{_term(t, fragments)}" for t in query.exclude]
    return "(" + " && ".join(parts) + ")"


class PostgresBackend:
    name = "postgresql"

    def ensure(self, connection: Connection) -> None:
        """Nothing to repair: deletion cascades through the foreign key."""

    def write(self, connection: Connection, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        connection.execute(
            text(
                f"INSERT INTO article_search (article_id, tsv) VALUES (:id, {TSVECTOR}) "
                "ON CONFLICT (article_id) DO UPDATE SET tsv = EXCLUDED.tsv"
            ),
            [{"id": d.article_id, "t": d.title, "p": d.points, "b": d.body} for d in docs],
        )

    def delete(self, connection: Connection, article_ids: Sequence[int]) -> None:
        connection.execute(
            text("DELETE FROM article_search WHERE article_id = :id"),
            [{"id": i} for i in article_ids],
        )

    def clear(self, connection: Connection) -> None:
        connection.execute(text("DELETE FROM article_search"))

    def candidates(
        self, connection: Connection, query: Query, since: datetime | None, limit: int
    ) -> list[Any]:
        """(id, relevance, timestamp) of the newest `limit` matches, newest first."""
        fragments = Fragments()
        article_filters(query, since, fragments)
        timestamp = "coalesce(a.published_at, a.fetched_at) AS ts"
        if query.include:
            tsq = tsquery(query, fragments)
            sql = (
                f"SELECT s.article_id AS id, ts_rank(s.tsv, {tsq}) AS relevance, {timestamp} "
                "FROM article_search AS s JOIN articles AS a ON a.id = s.article_id "
                f"WHERE s.tsv @@ {tsq} AND {' AND '.join(fragments.where)} "
                "ORDER BY s.article_id DESC LIMIT :limit"
            )
        else:
            for term in query.exclude:
                fragments.where.append(
                    "NOT EXISTS (SELECT 1 FROM article_search AS x WHERE x.article_id = a.id "
                    f"AND x.tsv @@ {_term(term, fragments)})"
                )
            sql = (
                f"SELECT a.id AS id, 1.0 AS relevance, {timestamp} FROM articles AS a "
                f"WHERE {' AND '.join(fragments.where)} ORDER BY a.id DESC LIMIT :limit"
            )
        statement = text(sql).bindparams(*fragments.binds).columns(**CANDIDATE_COLUMNS)
        return list(connection.execute(statement, {"limit": limit}))

    def size_bytes(self, connection: Connection) -> int:
        value = connection.execute(text("SELECT pg_total_relation_size('article_search')")).scalar()
        return int(value or 0)
