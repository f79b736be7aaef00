"""PostgreSQL: article_search holds each article's fields in compact form (the substring truth)
and the set of its bigrams as a position-less tsvector with a GIN index (the prefilter).

A term matches where strpos(field, Term.needle()) > 0; the GIN index only narrows the rows to
those holding all of the term's bigrams. No extension is needed (pg_trgm makes no trigrams for
Chinese in a C-ctype database) and no text search parser touches our tokens: tsvector and
tsquery literals are written here from our own tokens (runs of Han characters, letters and
digits, which hold no quote or backslash), always as bind parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, text

from newsbot.core.query import Query, Term
from newsbot.storage.search.documents import POINTS, TITLE, IndexDoc
from newsbot.storage.search.filters import Fragments, age_days, article_filters

# Longer tokens stay out of the tsvector (its lexemes are limited to 2 kB); the strpos check
# still sees them, the prefilter just does not narrow by them.
MAX_LEXEME = 100
WHOLE_WORD_BONUS = 2.0
# Dense: at least this many of the newest SAMPLE rows match (see plan()).
SAMPLE, DENSE = 200, 20


def tsvector_literal(doc: IndexDoc) -> str:
    grams = {g for field in range(3) for g in doc.grams(field).split() if len(g) <= MAX_LEXEME}
    return " ".join(f"'{gram}'" for gram in sorted(grams))


def _term_tsquery(term: Term) -> str | None:
    parts = [
        f"'{token}'" + (":*" if prefix else "")
        for token, prefix in term.grams()
        if len(token) <= MAX_LEXEME
    ]
    return "(" + " & ".join(parts) + ")" if parts else None


def prefilter(query: Query) -> str | None:
    """A tsquery literal every match satisfies (groups with a term we cannot narrow are left
    out); None when nothing narrows."""
    groups = []
    for group in query.include:
        parts = [_term_tsquery(term) for term in group]
        if all(parts):
            groups.append("(" + " | ".join(p for p in parts if p) + ")")
    return " & ".join(groups) if groups else None


def _found(terms: Sequence[Term], column: str, fragments: Fragments) -> str:
    checks = [f"strpos({column}, {fragments.param(term.needle())}) > 0" for term in terms]
    return "(" + " OR ".join(checks) + ")"


def conditions(query: Query, alias: str, fragments: Fragments) -> list[str]:
    """The exact meaning of the query over `alias`.all_c (every field, '|'-separated)."""
    where = [_found(group, f"{alias}.all_c", fragments) for group in query.include]
    if query.exclude:
        where.append(f"NOT {_found(query.exclude, f'{alias}.all_c', fragments)}")
    return where


def relevance(query: Query, fragments: Fragments) -> str:
    """10 for a hit in the title, 4 in the key points, else 1; doubled for whole words."""
    terms = query.terms
    words = [
        f"strpos(s.words_c, {fragments.param(' ' + ' '.join(found) + ' ')}) > 0"
        for term in terms
        if (found := term.words())
    ]
    whole = f"CASE WHEN {' OR '.join(words)} THEN {WHOLE_WORD_BONUS} ELSE 1.0 END" if words else "1.0"
    return (
        f"(CASE WHEN {_found(terms, 's.title_c', fragments)} THEN 10.0 "
        f"WHEN {_found(terms, 's.points_c', fragments)} THEN 4.0 ELSE 1.0 END) * {whole}"
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
                "INSERT INTO article_search (article_id, grams, title_c, points_c, all_c, "
                "words_c) VALUES (:id, CAST(:g AS tsvector), :t, :p, :a, :w) "
                "ON CONFLICT (article_id) DO UPDATE SET grams = EXCLUDED.grams, "
                "title_c = EXCLUDED.title_c, points_c = EXCLUDED.points_c, "
                "all_c = EXCLUDED.all_c, words_c = EXCLUDED.words_c"
            ),
            [
                {
                    "id": d.article_id,
                    "g": tsvector_literal(d),
                    "t": d.fields[TITLE],
                    "p": d.fields[POINTS],
                    "a": "|".join(d.fields),
                    "w": f" {d.words} ",
                }
                for d in docs
            ],
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
        first, strpos on each row's inline all_c (~2 us), and stop after the window. Sparse:
        take the GIN bitmap of rows holding every bigram and check those."""
        fragments = Fragments()
        where = " AND ".join(conditions(query, "newest", fragments))
        sample = (
            "SELECT count(*) FROM (SELECT all_c FROM article_search "
            f"ORDER BY article_id DESC LIMIT {SAMPLE}) AS newest WHERE {where}"
        )
        found = int(connection.execute(text(sample).bindparams(*fragments.binds)).scalar() or 0)
        dense = found >= DENSE or prefilter(query) is None
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
            narrow = prefilter(query)
            if narrow is not None and not common:
                where.insert(0, f"s.grams @@ CAST({fragments.param(narrow)} AS tsquery)")
            return (
                f"SELECT s.article_id AS id, {relevance(query, fragments)} AS relevance, "
                f"{timestamp} FROM article_search AS s JOIN articles AS a ON a.id = s.article_id "
                f"WHERE {' AND '.join(where + fragments.where)} "
                "ORDER BY s.article_id DESC LIMIT :limit"
            )
        for term in query.exclude:
            fragments.where.append(
                "NOT EXISTS (SELECT 1 FROM article_search AS x WHERE x.article_id = a.id "
                f"AND {_found((term,), 'x.all_c', fragments)})"
            )
        return (
            f"SELECT a.id AS id, 1.0 AS relevance, {timestamp} FROM articles AS a "
            f"WHERE {' AND '.join(fragments.where)} ORDER BY a.id DESC LIMIT :limit"
        )

    def all_ids(self, connection: Connection, query: Query) -> set[int]:
        """Every matching article id, unranked and unfiltered (recall checks)."""
        fragments = Fragments()
        where = conditions(query, "s", fragments)
        narrow = prefilter(query)
        if narrow is not None:
            where.insert(0, f"s.grams @@ CAST({fragments.param(narrow)} AS tsquery)")
        sql = f"SELECT s.article_id FROM article_search AS s WHERE {' AND '.join(where)}"
        return set(connection.execute(text(sql).bindparams(*fragments.binds)).scalars())

    def size_bytes(self, connection: Connection) -> int:
        value = connection.execute(text("SELECT pg_total_relation_size('article_search')")).scalar()
        return int(value or 0)
