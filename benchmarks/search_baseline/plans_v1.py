"""PostgreSQL query plans of the first bigram index (main before issue 14's PostgreSQL work),
frozen so bench_search.py can run them on the same table in the same run.

The density of the whole query (exclusions included) among the newest 200 rows chose between
walking ids newest first (>= 10 %) and the GIN bitmap of *every* row holding the pairs, with
the server's default settings (parallel workers, work_mem, generic plans after 5 runs).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from newsbot.core.query import Query
from newsbot.storage.search.filters import Fragments, age_days, article_filters
from newsbot.storage.search.postgres import COMPACT, PostgresBackend, _found, conditions
from newsbot.storage.search.postgres import prefilter as _prefilter

SAMPLE, DENSE = 200, 20


class PlansV1Backend(PostgresBackend):
    name = "postgresql-plans-v1"

    def plan(  # type: ignore[override]
        self, connection: Connection, query: Query, since: datetime | None, window: int
    ) -> bool:
        if not query.include:
            return False
        fragments = Fragments()
        where = " AND ".join(conditions(query, "newest", fragments))
        sample = (
            "SELECT count(*) FROM (SELECT stored FROM article_search "
            f"ORDER BY article_id DESC LIMIT {SAMPLE}) AS newest WHERE {where}"
        )
        found = int(connection.execute(text(sample).bindparams(*fragments.binds)).scalar() or 0)
        dense = found >= DENSE or _prefilter(query, "s", Fragments()) is None
        setting = "enable_bitmapscan" if dense else "enable_indexscan"
        connection.execute(text(f"SET LOCAL {setting} = off"))
        return dense

    def wider(self, plan: object, found: int, window: int) -> None:
        return None

    def carries(self, plan: object) -> bool:
        return False

    def candidate_sql(  # type: ignore[override]
        self,
        query: Query,
        since: datetime | None,
        now: datetime,
        fragments: Fragments,
        plan: bool = False,
    ) -> str:
        timestamp = f"{age_days(now, fragments, 'postgresql')} AS age_days"
        article_filters(query, since, fragments)
        if query.include:
            where = conditions(query, "s", fragments)
            narrow = None if plan else _prefilter(query, "s", fragments)
            if narrow is not None:
                where.insert(0, narrow)
            terms = query.terms
            title = "split_part(s.stored, '|', 1)"
            points = "split_part(s.stored, '|', 2)"
            relevance = (
                f"(CASE WHEN {_found(terms, title, fragments)} THEN 10.0 "
                f"WHEN {_found(terms, points, fragments)} THEN 4.0 ELSE 1.0 END)"
            )
            return (
                f"SELECT s.article_id AS id, {relevance} AS relevance, "
                f"{timestamp} FROM article_search AS s JOIN articles AS a ON a.id = s.article_id "
                f"WHERE {' AND '.join(where + fragments.where)} "
                "ORDER BY s.article_id DESC LIMIT :limit"
            )
        for term in query.exclude:
            fragments.where.append(
                "NOT EXISTS (SELECT 1 FROM article_search AS x WHERE x.article_id = a.id "
                f"AND {_found((term,), COMPACT.format('x'), fragments)})"
            )
        return (
            f"SELECT a.id AS id, 1.0 AS relevance, {timestamp} FROM articles AS a "
            f"WHERE {' AND '.join(fragments.where)} ORDER BY a.id DESC LIMIT :limit"
        )
