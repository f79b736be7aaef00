"""PostgreSQL: article_search keeps each article's compact text (the substring truth, kept in
the row for row-by-row checks) and an integer[] of keys with a GIN index: the keys of its
character pairs and the key of its id bucket.

A term matches where strpos(compact text, Term.needle()) > 0; the GIN index only narrows the
rows to those holding every character pair of the needle (documents.gram_keys: 32-bit hashes,
so a collision only lets a row through to the exact check) and, for the newest matches, to
the newest id buckets (plan()). No text search parser, dictionary or extension is involved,
and user text only ever arrives as bind parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from newsbot.core.query import Query, Term
from newsbot.storage.search.documents import (
    IndexDoc,
    bucket_start,
    gram_keys,
    range_keys,
    row_keys,
)
from newsbot.storage.search.filters import Fragments, age_days, article_filters

# The density probe reads the newest SAMPLE rows; at one match in DENSE rows or more (20 %),
# walk (plan()).
SAMPLE, DENSE = 200, 5
# A range covers this many times the ids the window needs at the density seen.
SPARE = 1.2
# Past this many buckets (~500k ids), the oldest range is bounded by a row check only.
MAX_BUCKET_KEYS = 256
COMPACT = "{}.stored"


@dataclass(frozen=True, slots=True)
class Plan:
    """walk: ids newest first, rows checked one by one, no GIN. Else the GIN bitmap, narrowed
    to the id buckets of ids >= low (a bucket's first id) when low is set, and below `below`
    when an earlier, newer range was already read (its rows are carried, not read again)."""

    walk: bool
    low: int | None = None
    top: int = 0
    below: int | None = None


def _bounded(top: int, span: int, below: int | None = None) -> Plan:
    low = bucket_start(max(top - span, 0))
    return Plan(walk=False, low=low if low > 0 else None, top=top, below=below)


def _id_bounds(plan: Plan, fragments: Fragments) -> list[str]:
    """The plan's id range: its buckets' keys (part of the same GIN scan), and the bounds as
    plain checks of the rows found (`+ 0`: not a second bitmap of the btree)."""
    found: list[str] = []
    if plan.low is None and plan.below is None:
        return found
    first, last = plan.low or 0, (plan.below or plan.top + 1) - 1
    keys = range_keys(first, last)
    if len(keys) <= MAX_BUCKET_KEYS:
        found.append(f"s.grams && CAST({fragments.param(keys)} AS integer[])")
    if plan.low is not None:
        found.append(f"s.article_id + 0 >= {fragments.param(plan.low)}")
    if plan.below is not None:
        found.append(f"s.article_id + 0 < {fragments.param(plan.below)}")
    return found


# Settings for the search's transaction: a custom plan for every statement (psycopg prepares a
# statement after 5 runs, and a generic plan cannot see how selective the pairs are), no
# parallel workers (their start-up costs more than these queries), and room to sort candidates
# in memory. They are set by the plan's probe itself (one round trip for both).
SESSION = (
    "set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('max_parallel_workers_per_gather', '0', true), "
    "set_config('work_mem', '16MB', true)"
)


def _span(window: int, found: int, rows: int) -> int:
    """Ids to cover so that the range holds more than `window` matches when `found` of `rows`
    matched, with 20 % to spare (no match: as if half of one had)."""
    return int(SPARE * (window + 1) * rows / max(found, 0.5))


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
    stored_table = "article_search"

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
            [{"id": d.article_id, "s": d.stored, "g": row_keys(d)} for d in docs],
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
    ) -> Plan:
        """The first plan. One probe of the newest SAMPLE rows (the query's exact conditions
        and filters, ~0.5 ms) gives the density d of matches; the same statement sets the
        transaction's settings (SESSION, and the plan's choice of bitmaps).

        Dense (d >= 20 %, or nothing to narrow by): walk ids newest first, checking each row's
        inline text (~1.7 us a row), and stop at the window. Otherwise one GIN scan of the rows
        holding every included term's pairs *and* one of the id buckets of the newest
        ~1.1 x window / d ids (_span), so only those candidates are read and checked (wider()
        widens a range that proves short). Cost follows the included terms' candidates within
        the range, the range follows the matches: `a -b` with a common b no longer checks
        every row holding a."""
        if not query.include:
            connection.execute(text(f"SELECT {SESSION}"))
            return Plan(walk=True)
        fragments = Fragments()
        newest = "SELECT article_id, stored FROM article_search ORDER BY article_id DESC LIMIT "
        article_filters(query, since, fragments)
        where = " AND ".join(conditions(query, "s", fragments) + fragments.where)
        sample = (
            "SELECT count(*) AS n, max(s.article_id) AS top, count(*) FILTER (WHERE "
            f"{where}) AS found FROM ({newest}{SAMPLE}) AS s "
            "JOIN articles AS a ON a.id = s.article_id"
        )
        # Walk: no bitmaps, so the btree on article_id is read newest first. Bitmap: the
        # planner chooses (the GIN bitmap; an index-only join to articles' covering index).
        # The choice is made and set by the probe's own statement, for the statements after it.
        dense = f"(n > 0 AND found * {DENSE} >= n)"
        walk = "true" if prefilter(query, "s", Fragments()) is None else dense
        probe = (
            f"SELECT n, top, found, walk, {SESSION}, set_config('enable_bitmapscan', "
            f"CASE WHEN walk THEN 'off' ELSE 'on' END, true) FROM (SELECT n, top, found, "
            f"{walk} AS walk FROM ({sample}) AS sample) AS probe"
        )
        row = connection.execute(text(probe).bindparams(*fragments.binds)).one()
        n, top, found = int(row.n), int(row.top or 0), int(row.found)
        if row.walk:
            return Plan(walk=True)
        if n < SAMPLE:
            return Plan(walk=False, top=top)
        return _bounded(top, _span(window, found, n))

    def wider(self, plan: Plan, found: int, window: int) -> Plan | None:
        """After the ids from plan.low to the newest held only `found` (<= window) matches:
        the older ids of a range as large as the density seen asks for (at least twice as
        large), or all older ids; None after the last plan (no lower bound)."""
        if plan.walk or plan.low is None:
            return None
        span = plan.top - plan.low + 1
        return _bounded(plan.top, max(2 * span, _span(window, found, span)), below=plan.low)

    def carries(self, plan: Plan) -> bool:
        """A short result of a bounded plan is followed by one over older ids only, so all of
        its rows are kept (they are not read again)."""
        return not plan.walk and plan.low is not None

    def candidate_sql(
        self,
        query: Query,
        since: datetime | None,
        now: datetime,
        fragments: Fragments,
        plan: Plan | None = None,
    ) -> str:
        """SELECT id, relevance, age_days of the newest :limit matches; the walk leaves the
        GIN prefilter out (rows are checked in id order), the bitmap keeps it and the plan's
        lower id bound."""
        plan = plan or Plan(walk=False)
        timestamp = f"{age_days(now, fragments, 'postgresql')} AS age_days"
        article_filters(query, since, fragments)
        if query.include:
            where = conditions(query, "s", fragments)
            narrow = None if plan.walk else prefilter(query, "s", fragments)
            if narrow is not None:
                where.insert(0, narrow)
            if not plan.walk:
                where[1:1] = _id_bounds(plan, fragments)
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

    def size_bytes(self, connection: Connection) -> int:
        """article_search with its TOAST and indexes, and the covering index on articles."""
        value = connection.execute(
            text(
                "SELECT pg_total_relation_size('article_search') + coalesce(("
                "SELECT pg_relation_size(c.oid) FROM pg_class AS c "
                "WHERE c.oid = to_regclass('ix_articles_search_cover')), 0)"
            )
        ).scalar()
        return int(value or 0)
