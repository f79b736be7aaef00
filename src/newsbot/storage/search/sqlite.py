"""SQLite: an FTS5 table (rowid = article id) over the segmented fields, ranked by bm25.

The MATCH expression is built only from our own tokens (runs of letters and digits), each one
double-quoted, and is passed as a bind parameter: user text never becomes FTS5 or SQL syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, text

from newsbot.core.query import Query, Term
from newsbot.storage.search.documents import IndexDoc
from newsbot.storage.search.filters import Fragments, age_days, article_filters

# bm25 column weights: title, key points, body.
WEIGHTS = (10.0, 4.0, 1.0)
DELETE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS article_search_delete AFTER DELETE ON articles "
    "BEGIN DELETE FROM article_search WHERE rowid = old.id; END"
)


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _term(term: Term) -> str:
    if term.phrase:
        return _quoted(" ".join(term.tokens))
    return "(" + " AND ".join(_quoted(t) for t in term.tokens) + ")"


def match_expression(query: Query) -> str:
    """FTS5 syntax for the included terms minus the excluded ones (needs >= 1 included term)."""
    expression = " AND ".join(_term(t) for t in query.include)
    for term in query.exclude:
        expression = f"({expression}) NOT {_term(term)}"
    return expression


class SqliteBackend:
    name = "sqlite"

    def ensure(self, connection: Connection) -> None:
        """Re-create the delete trigger if a table rebuild of `articles` dropped it."""
        connection.execute(text(DELETE_TRIGGER))

    def write(self, connection: Connection, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        self.delete(connection, [d.article_id for d in docs])
        connection.execute(
            text(
                "INSERT INTO article_search (rowid, title, points, body) VALUES (:id, :t, :p, :b)"
            ),
            [{"id": d.article_id, "t": d.title, "p": d.points, "b": d.body} for d in docs],
        )

    def delete(self, connection: Connection, article_ids: Sequence[int]) -> None:
        connection.execute(
            text("DELETE FROM article_search WHERE rowid = :id"), [{"id": i} for i in article_ids]
        )

    def clear(self, connection: Connection) -> None:
        connection.execute(text("DELETE FROM article_search"))

    def candidate_sql(
        self, query: Query, since: datetime | None, now: datetime, fragments: Fragments
    ) -> str:
        """SELECT id, relevance, age_days of the newest :limit matches."""
        age = age_days(now, fragments, "sqlite")
        article_filters(query, since, fragments)
        if query.include:
            weights = ", ".join(str(w) for w in WEIGHTS)
            select = (
                f"SELECT article_search.rowid AS id, -bm25(article_search, {weights}) AS relevance, "
                f"{age} AS age_days FROM article_search "
                "JOIN articles AS a ON a.id = article_search.rowid"
            )
            fragments.where.insert(
                0, f"article_search MATCH {fragments.param(match_expression(query))}"
            )
            order = "article_search.rowid"
        else:
            select = f"SELECT a.id AS id, 1.0 AS relevance, {age} AS age_days FROM articles AS a"
            for term in query.exclude:
                excluded = Query(include=(term,))
                fragments.where.append(
                    "a.id NOT IN (SELECT rowid FROM article_search WHERE article_search MATCH "
                    f"{fragments.param(match_expression(excluded))})"
                )
            order = "a.id"
        return f"{select} WHERE {' AND '.join(fragments.where)} ORDER BY {order} DESC LIMIT :limit"

    def all_ids(self, connection: Connection, query: Query) -> set[int]:
        """Every matching article id, unranked and unfiltered (recall checks)."""
        statement = text("SELECT rowid FROM article_search WHERE article_search MATCH :m")
        return set(connection.execute(statement, {"m": match_expression(query)}).scalars())

    def size_bytes(self, connection: Connection) -> int:
        """Bytes of the index's shadow tables (needs the dbstat module; 0 without it)."""
        try:
            value = connection.execute(
                text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article_search%'")
            ).scalar()
        except Exception:  # dbstat is a compile-time option of SQLite
            return 0
        return int(value or 0)
