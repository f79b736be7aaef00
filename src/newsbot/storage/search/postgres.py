"""PostgreSQL: article_search keeps each article's compact text (the substring truth, kept in
the row for row-by-row checks) and the keys of its character pairs (integer[], GIN index).

A term matches where strpos(compact text, Term.needle()) > 0; the GIN index only narrows the
rows to those holding every character pair of the needle (documents.gram_keys: 32-bit hashes,
so a collision only lets a row through to the exact check). No text search parser, dictionary
or extension is involved (pg_trgm makes no trigrams for Chinese in a C-ctype database), and
user text only ever arrives as bind parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, text

from newsbot.core.query import Query, Term
from newsbot.storage.search.documents import IndexDoc, gram_keys
from newsbot.storage.search.filters import Fragments, age_days, article_filters

# Dense: at least this many of the newest SAMPLE rows match (see plan()).
SAMPLE, DENSE = 200, 20
COMPACT = "{}.stored"


def narrows(term: Term) -> bool:
    """The needle holds a bigram, so the GIN index can narrow by it."""
    return any(len(piece) >= 2 for piece in term.needle().split())


def prefilter(query: Query, alias: str, fragments: Fragments) -> str | None:
    """A GIN-indexable condition every match satisfies (groups with a term that cannot narrow
    are left out); None when nothing narrows."""
    groups = []
    for group in query.include:
        if all(narrows(term) for term in group):
            checks = [
                f"{alias}.grams @> CAST({fragments.param(gram_keys(term.needle()))} AS integer[])"
                for term in group
            ]
            groups.append("(" + " OR ".join(checks) + ")")
    return " AND ".join(groups) if groups else None


def _found(terms: Sequence[Term], haystack: str, fragments: Fragments) -> str:
    checks = [f"strpos({haystack}, {fragments.param(term.needle())}) > 0" for term in terms]
    return "(" + " OR ".join(checks) + ")"


def conditions(query: Query, alias: str, fragments: Fragments) -> list[str]:
    """The exact meaning of the query over `alias`.stored (every field)."""
    haystack = COMPACT.format(alias)
    where = [_found(group, haystack, fragments) for group in query.include]
    if query.exclude:
        where.append(f"NOT {_found(query.exclude, haystack, fragments)}")
    return where


def relevance(query: Query, fragments: Fragments) -> str:
    """10 for a hit in the title, 4 in the key points, else 1."""
    terms = query.terms
    title = "split_part(s.stored, '|', 1)"
    points = "split_part(s.stored, '|', 2)"
    return (
        f"(CASE WHEN {_found(terms, title, fragments)} THEN 10.0 "
        f"WHEN {_found(terms, points, fragments)} THEN 4.0 ELSE 1.0 END)"
    )


class PostgresBackend:
    name = "postgresql"

    def ensure(self, connection: Connection) -> None:
        """Nothing to repair: deletion cascades through the foreign key."""

    def write(self, connection: Connection, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        connection.execute(
            text(
                "INSERT INTO article_search (article_id, stored, grams) VALUES (:id, :s, :g) "
                "ON CONFLICT (article_id) DO UPDATE SET stored = EXCLUDED.stored, "
                "grams = EXCLUDED.grams"
            ),
            [{"id": d.article_id, "s": d.stored, "g": gram_keys(d.stored)} for d in docs],
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

        Dense (>= 10% of the newest 200 rows, or nothing to narrow by): walk article ids newest
        first, strpos on each row's inline text (a few us), and stop after the window. Sparse:
        the GIN bitmap of rows holding every bigram, then the same check on those."""
        fragments = Fragments()
        where = " AND ".join(conditions(query, "newest", fragments))
        sample = (
            "SELECT count(*) FROM (SELECT stored FROM article_search "
            f"ORDER BY article_id DESC LIMIT {SAMPLE}) AS newest WHERE {where}"
        )
        found = int(connection.execute(text(sample).bindparams(*fragments.binds)).scalar() or 0)
        dense = found >= DENSE or prefilter(query, "s", Fragments()) is None
        setting = "enable_bitmapscan" if dense else "enable_indexscan"
        connection.execute(text(f"SET LOCAL {setting} = off"))
        return dense

    def candidate_sql(
        self,
        query: Query,
        since: datetime | None,
        now: datetime,
        fragments: Fragments,
        common: bool = False,
    ) -> str:
        """SELECT id, relevance, age_days of the newest :limit matches; the dense plan
        (`common`) leaves the GIN prefilter out, so rows are checked in id order."""
        timestamp = f"{age_days(now, fragments, 'postgresql')} AS age_days"
        article_filters(query, since, fragments)
        if query.include:
            where = conditions(query, "s", fragments)
            narrow = None if common else prefilter(query, "s", fragments)
            if narrow is not None:
                where.insert(0, narrow)
            return (
                f"SELECT s.article_id AS id, {relevance(query, fragments)} AS relevance, "
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

    def all_ids(self, connection: Connection, query: Query) -> set[int]:
        """Every matching article id, unranked and unfiltered (recall checks)."""
        fragments = Fragments()
        where = conditions(query, "s", fragments)
        narrow = prefilter(query, "s", fragments)
        if narrow is not None:
            where.insert(0, narrow)
        sql = f"SELECT s.article_id FROM article_search AS s WHERE {' AND '.join(where)}"
        return set(connection.execute(text(sql).bindparams(*fragments.binds)).scalars())

    def stored_texts(self, connection: Connection, article_ids: Sequence[int]) -> dict[int, str]:
        statement = text(
            "SELECT article_id, stored FROM article_search WHERE article_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        rows = connection.execute(statement, {"ids": list(article_ids)}).all()
        return {row.article_id: row.stored for row in rows}

    def size_bytes(self, connection: Connection) -> int:
        value = connection.execute(text("SELECT pg_total_relation_size('article_search')")).scalar()
        return int(value or 0)
