"""SQLite: a contentless FTS5 table (rowid = article id) over the bigram streams of title, key
points and body, ranked by bm25, and article_search_text with each article's compact text.

A term is one FTS5 phrase of its bigrams (Term.grams), so it matches wherever its characters
stand. The FTS5 table keeps no copy of its text (half the size): removing an entry needs the
tokens it was given, which are rebuilt from article_search_text (in Python, or in the delete
trigger through the newsbot_grams() function every connection of ours registers).

The MATCH expression is built only from our own tokens (runs of Han characters, letters and
digits), each phrase double-quoted, and is passed as a bind parameter: user text never becomes
FTS5 or SQL syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from newsbot.core.query import Query, Term
from newsbot.storage.search.documents import BODY, POINTS, TITLE, IndexDoc, stored_grams
from newsbot.storage.search.filters import Fragments, age_days, article_filters

# bm25 column weights: title, key points, body.
WEIGHTS = (10.0, 4.0, 1.0)
FTS_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_search USING fts5("
    "title, points, body, content = '', tokenize = 'unicode61 remove_diacritics 0')"
)
TEXT_TABLE = (
    "CREATE TABLE IF NOT EXISTS article_search_text "
    "(article_id INTEGER PRIMARY KEY, stored TEXT NOT NULL)"
)
DELETE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS article_search_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO article_search (article_search, rowid, title, points, body) "
    "SELECT 'delete', old.id, newsbot_grams(stored, 0), newsbot_grams(stored, 1), "
    "newsbot_grams(stored, 2) FROM article_search_text WHERE article_id = old.id; "
    "DELETE FROM article_search_text WHERE article_id = old.id; END"
)
# Joining 1000 candidates to `articles` read each row's text overflow pages just to reach
# published_at; this covering index answers the join (and filters) without them (~2x faster).
COVER_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_articles_search_cover ON articles "
    "(id, duplicate_of, published_at, fetched_at, section, source_id)"
)
JOIN = (
    "FROM article_search JOIN articles AS a INDEXED BY ix_articles_search_cover "
    "ON a.id = article_search.rowid"
)


def register_functions(dbapi_connection: Any) -> None:
    """newsbot_grams(stored, field): the tokens a field was indexed with (delete trigger)."""
    dbapi_connection.create_function("newsbot_grams", 2, stored_grams, deterministic=True)


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _phrase(grams: Sequence[tuple[str, bool]]) -> str:
    """One FTS5 phrase; a trailing `*` makes its last token a prefix."""
    phrase = _quoted(" ".join(token for token, _ in grams))
    return phrase + " *" if grams[-1][1] else phrase


def _any(terms: Sequence[Term]) -> str:
    return "(" + " OR ".join(_phrase(term.grams()) for term in terms) + ")"


def _included(query: Query) -> str:
    return " AND ".join(_any(group) for group in query.include)


def match_expression(query: Query) -> str:
    """FTS5 syntax for the included groups minus the excluded terms (needs >= 1 group)."""
    expression = _included(query)
    if query.exclude:
        expression = f"({expression}) NOT {_any(query.exclude)}"
    return "{title points body} : (" + expression + ")"


def title_expression(query: Query) -> str:
    """The included groups, in the title or key points only (the ranking boost)."""
    return "{title points} : (" + _included(query) + ")"


class SqliteBackend:
    name = "sqlite"
    stored_table = "article_search_text"

    def ensure(self, connection: Connection) -> None:
        """Re-create the trigger and index if a table rebuild of `articles` dropped them."""
        connection.execute(text(DELETE_TRIGGER))
        connection.execute(text(COVER_INDEX))

    def write(self, connection: Connection, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        self.delete(connection, [d.article_id for d in docs])
        connection.execute(
            text(
                "INSERT INTO article_search (rowid, title, points, body) VALUES (:id, :t, :p, :b)"
            ),
            [
                {"id": d.article_id, "t": d.grams(TITLE), "p": d.grams(POINTS), "b": d.grams(BODY)}
                for d in docs
            ],
        )
        connection.execute(
            text("INSERT INTO article_search_text (article_id, stored) VALUES (:id, :s)"),
            [{"id": d.article_id, "s": d.stored} for d in docs],
        )

    def delete(self, connection: Connection, article_ids: Sequence[int]) -> None:
        """Remove entries: a contentless FTS5 table needs the very tokens it was given."""
        found = connection.execute(
            text(
                "SELECT article_id, stored FROM article_search_text WHERE article_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": list(article_ids)},
        ).all()
        if not found:
            return
        connection.execute(
            text(
                "INSERT INTO article_search (article_search, rowid, title, points, body) "
                "VALUES ('delete', :id, :t, :p, :b)"
            ),
            [
                {
                    "id": row.article_id,
                    "t": stored_grams(row.stored, TITLE),
                    "p": stored_grams(row.stored, POINTS),
                    "b": stored_grams(row.stored, BODY),
                }
                for row in found
            ],
        )
        connection.execute(
            text("DELETE FROM article_search_text WHERE article_id = :id"),
            [{"id": row.article_id} for row in found],
        )

    def clear(self, connection: Connection) -> None:
        connection.execute(
            text("INSERT INTO article_search (article_search) VALUES ('delete-all')")
        )
        connection.execute(text("DELETE FROM article_search_text"))

    def wider(self, plan: bool, found: int, window: int) -> None:
        """Every plan here is final."""

    def carries(self, plan: bool) -> bool:
        return False

    def plan(
        self, connection: Connection, query: Query, since: datetime | None, window: int
    ) -> bool:
        """True (bounded ranking) when more than `window` articles match: counting stops
        early in doclist order, so this probe is cheap even for the commonest word.
        False without included terms.

        The index alone is probed first: the join to `articles` (duplicates, filters) only
        removes rows, so at most `window` index matches settles it without the join, which
        cost ~2 ms of the ~2.5 ms probe for 1000 matches at 100k articles."""
        if not query.include:
            return False
        expression = match_expression(query)
        unfiltered = text(
            "SELECT count(*) FROM (SELECT 1 FROM article_search "
            "WHERE article_search MATCH :m LIMIT :limit)"
        )
        params = {"m": expression, "limit": window + 1}
        if int(connection.execute(unfiltered, params).scalar() or 0) <= window:
            return False
        fragments = Fragments()
        article_filters(query, since, fragments)
        match = fragments.param(expression)
        where = " AND ".join([f"article_search MATCH {match}", *fragments.where])
        sql = f"SELECT count(*) FROM (SELECT 1 {JOIN} WHERE {where} LIMIT :limit)"
        statement = text(sql).bindparams(*fragments.binds)
        return int(connection.execute(statement, {"limit": window + 1}).scalar() or 0) > window

    def candidate_sql(
        self,
        query: Query,
        since: datetime | None,
        now: datetime,
        fragments: Fragments,
        plan: bool = False,
    ) -> str:
        """SELECT id, relevance, age_days of the newest :limit matches (`plan`: more than
        :limit match, plan()).

        bm25 first counts every row holding each term (O(matches): ~20 ms for a phrase of
        common words at 100k articles), so when there are more than :limit matches, relevance
        is instead 10 for a match in the title or key points and 1 for one in the body only."""
        age = age_days(now, fragments, "sqlite")
        article_filters(query, since, fragments)
        if not query.include:
            return self._filter_only(query, age, fragments)
        if not plan:
            return self._scored(query, age, fragments)
        expression = match_expression(query)
        where = " AND ".join(
            [f"article_search MATCH {fragments.param(expression)}", *fragments.where]
        )
        newest = f"{JOIN} WHERE {where} ORDER BY article_search.rowid DESC LIMIT :limit"
        boosted = fragments.param(title_expression(query))
        return (
            f"WITH recent AS (SELECT article_search.rowid AS id, {age} AS age_days {newest}), "
            "boosted AS (SELECT rowid AS id FROM article_search WHERE article_search MATCH "
            f"{boosted} AND rowid >= (SELECT min(id) FROM recent)) "
            "SELECT id, CASE WHEN id IN (SELECT id FROM boosted) THEN 10.0 ELSE 1.0 END "
            "AS relevance, age_days FROM recent"
        )

    def _scored(self, query: Query, age: str, fragments: Fragments) -> str:
        """bm25 over every match (few: the plan said so), then the join and filters.

        Scoring all matches first in the index's own (ascending) order and joining the
        materialised rows is ~1 ms cheaper at 1000 matches than joining inside the FTS5 walk
        (needs SQLite >= 3.35 for MATERIALIZED)."""
        weights = ", ".join(str(w) for w in WEIGHTS)
        match = fragments.param(match_expression(query))
        scored = (
            f"SELECT rowid AS id, -bm25(article_search, {weights}) AS relevance "
            f"FROM article_search WHERE article_search MATCH {match}"
        )
        join = "JOIN articles AS a INDEXED BY ix_articles_search_cover ON a.id = scored.id"
        where = " AND ".join(fragments.where)
        return (
            f"WITH scored AS MATERIALIZED ({scored}) SELECT scored.id AS id, scored.relevance "
            f"AS relevance, {age} AS age_days FROM scored {join} WHERE {where} "
            "ORDER BY scored.id DESC LIMIT :limit"
        )

    def _filter_only(self, query: Query, age: str, fragments: Fragments) -> str:
        for term in query.exclude:
            excluded = Query(include=((term,),))
            fragments.where.append(
                "a.id NOT IN (SELECT rowid FROM article_search WHERE article_search MATCH "
                f"{fragments.param(match_expression(excluded))})"
            )
        return (
            f"SELECT a.id AS id, 1.0 AS relevance, {age} AS age_days FROM articles AS a "
            f"WHERE {' AND '.join(fragments.where)} ORDER BY a.id DESC LIMIT :limit"
        )

    def all_ids(self, connection: Connection, query: Query) -> set[int]:
        """Every matching article id, unranked and unfiltered (recall checks)."""
        statement = text("SELECT rowid FROM article_search WHERE article_search MATCH :m")
        return set(connection.execute(statement, {"m": match_expression(query)}).scalars())

    def size_bytes(self, connection: Connection) -> int:
        """Bytes of the index's tables (needs the dbstat module; 0 without it)."""
        try:
            value = connection.execute(
                text(
                    "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article_search%' "
                    "OR name LIKE 'sqlite_autoindex_article_search%' "
                    "OR name = 'ix_articles_search_cover'"
                )
            ).scalar()
        except Exception:  # dbstat is a compile-time option of SQLite
            return 0
        return int(value or 0)
