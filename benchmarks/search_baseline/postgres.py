"""PostgreSQL: article_search(article_id, tsv) with a GIN index, ranked by ts_rank.

tsvectors are built with to_tsvector('simple', ...) from our pre-split tokens (setweight A/B/C for
title, key points, body); tsqueries with plainto_tsquery / phraseto_tsquery over bind
parameters, combined with && and !! in SQL that only we write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, text

from search_baseline.documents import IndexDoc
from search_baseline.filters import Fragments, age_days, article_filters
from search_baseline.query import Query, Term

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

    def plan(
        self, connection: Connection, query: Query, since: datetime | None, window: int
    ) -> bool:
        """Pick the plan by how dense the matches are among the newest articles.

        Checking `tsv @@ q` row by row costs ~15 us (the tsvector is read from TOAST), a GIN
        bitmap costs per match. Dense matches (>= 10% of the newest 200 rows): walk article ids
        newest first and stop after the window. Sparse: take the GIN bitmap of every match."""
        fragments = Fragments()
        sample = (
            "SELECT count(*) FROM (SELECT tsv FROM article_search "
            "ORDER BY article_id DESC LIMIT 200) AS newest "
            f"WHERE tsv @@ {tsquery(query, fragments)}"
        )
        dense = int(connection.execute(text(sample).bindparams(*fragments.binds)).scalar() or 0)
        setting = "enable_bitmapscan" if dense >= 20 else "enable_indexscan"
        connection.execute(text(f"SET LOCAL {setting} = off"))
        return dense >= 20

    def candidate_sql(
        self,
        query: Query,
        since: datetime | None,
        now: datetime,
        fragments: Fragments,
        common: bool = False,
    ) -> str:
        """SELECT id, relevance, age_days of the newest :limit matches (same SQL either way;
        plan() chose how PostgreSQL finds them)."""
        timestamp = f"{age_days(now, fragments, 'postgresql')} AS age_days"
        article_filters(query, since, fragments)
        if query.include:
            tsq = tsquery(query, fragments)
            return (
                f"SELECT s.article_id AS id, ts_rank(s.tsv, {tsq}) AS relevance, {timestamp} "
                "FROM article_search AS s JOIN articles AS a ON a.id = s.article_id "
                f"WHERE s.tsv @@ {tsq} AND {' AND '.join(fragments.where)} "
                "ORDER BY s.article_id DESC LIMIT :limit"
            )
        for term in query.exclude:
            fragments.where.append(
                "NOT EXISTS (SELECT 1 FROM article_search AS x WHERE x.article_id = a.id "
                f"AND x.tsv @@ {_term(term, fragments)})"
            )
        return (
            f"SELECT a.id AS id, 1.0 AS relevance, {timestamp} FROM articles AS a "
            f"WHERE {' AND '.join(fragments.where)} ORDER BY a.id DESC LIMIT :limit"
        )

    def all_ids(self, connection: Connection, query: Query) -> set[int]:
        """Every matching article id, unranked and unfiltered (recall checks)."""
        fragments = Fragments()
        sql = f"SELECT article_id FROM article_search WHERE tsv @@ {tsquery(query, fragments)}"
        return set(connection.execute(text(sql).bindparams(*fragments.binds)).scalars())

    def size_bytes(self, connection: Connection) -> int:
        value = connection.execute(text("SELECT pg_total_relation_size('article_search')")).scalar()
        return int(value or 0)
