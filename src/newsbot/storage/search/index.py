"""SearchIndex: keeps the search index in step with the articles and answers queries.

One code path for both databases: the query is parsed once into core.query's AST, a backend
(bigram FTS5 on SQLite, compact text + GIN on character-pair keys on PostgreSQL) turns it into
SQL with bind parameters and returns the newest matching candidates, and the ranking, paging
and snippets happen here.
"""

from __future__ import annotations

import json
import logging
from bisect import insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from newsbot.config import SearchSettings
from newsbot.core.models import Article, Summary
from newsbot.core.query import (
    InvalidQuery,
    Query,
    SearchHit,
    SearchResults,
    parse,
    whole_word_hit,
)
from newsbot.core.query_text import INDEX_VERSION, find_spans, normalize, snippet
from newsbot.errors import StorageError
from newsbot.storage.db import is_postgres
from newsbot.storage.schema import UTCDateTime, articles, meta, sources
from newsbot.storage.search.documents import IndexDoc, prepare, prepare_fields
from newsbot.storage.search.filters import Fragments
from newsbot.storage.search.postgres import PostgresBackend
from newsbot.storage.search.sqlite import SqliteBackend

log = logging.getLogger(__name__)
VERSION_KEY = "search_index_version"
# Ranking looks at the newest WINDOW matches only, so a word found in half the archive costs the
# same as a rare one (see docs/search.md for the measurements).
WINDOW = 1000
# A hit on whole words (质量发展 standing as words, not inside 高质量发展) counts double.
WHOLE_WORD_BONUS = 2.0
# The whole-word check (jieba boundaries, in Python) was most of a search's CPU, and a burst of
# readers asks the same words of the same articles: its verdicts are kept, keyed by the terms,
# the article and a hash of its stored text (a re-indexed article gets a new key). Bounded by
# clearing, which is safe from several threads without a lock.
WHOLE_WORD_MEMORY = 20_000


class Backend(Protocol):
    name: str
    stored_table: str  # the table of (article_id, stored): the compact text of each article

    def ensure(self, connection: Connection) -> None: ...
    def write(self, connection: Connection, docs: Sequence[IndexDoc]) -> None: ...
    def delete(self, connection: Connection, article_ids: Sequence[int]) -> None: ...
    def clear(self, connection: Connection) -> None: ...
    def plan(
        self, connection: Connection, query: Query, since: datetime | None, window: int
    ) -> Any: ...
    def wider(self, plan: Any, found: int, window: int) -> Any: ...
    def carries(self, plan: Any) -> bool: ...
    def candidate_sql(
        self, query: Query, since: datetime | None, now: datetime, fragments: Fragments, plan: Any
    ) -> str: ...
    def size_bytes(self, connection: Connection) -> int: ...
    def all_ids(self, connection: Connection, query: Query) -> set[int]: ...


@dataclass(frozen=True, slots=True)
class IndexStatus:
    stored_version: str | None
    expected_version: str

    @property
    def current(self) -> bool:
        return self.stored_version == self.expected_version


class _Writes:
    count = 0


_WRITES = _Writes()  # index writes in this process


class SearchIndex:
    def __init__(
        self, engine: Engine, settings: SearchSettings | None = None, *, window: int = WINDOW
    ) -> None:
        self.engine = engine
        self.settings = settings or SearchSettings.model_validate({})
        self.window = window
        self.backend: Backend = PostgresBackend() if is_postgres(engine) else SqliteBackend()
        self._ensured = False
        self._whole_words: dict[tuple[Any, int, int], bool] = {}
        # The stored text by a subquery: a few key lookups, whatever the planner knows.
        stored = f"SELECT t.stored FROM {self.backend.stored_table} AS t WHERE t.article_id = h.id"
        self._details_sql = (
            text(
                "SELECT h.id, h.title, h.url, h.section, h.text, h.published_at, "
                f"src.key AS source_key, ({stored}) AS stored FROM articles AS h "
                "JOIN sources AS src ON src.id = h.source_id WHERE h.id IN :ids"
            )
            .bindparams(bindparam("ids", expanding=True))
            .columns(published_at=UTCDateTime())
        )

    @property
    def generation(self) -> int:
        """Changes whenever this process writes to a search index (through any SearchIndex), so
        remembered results are not reused after it (service/search.py)."""
        return _WRITES.count

    # --- keeping in sync (called by ArticleStore inside its transaction) -----------------------

    def index(self, connection: Connection, article: Article) -> None:
        """Add or replace the article's index entry."""
        _WRITES.count += 1
        self.backend.write(connection, [prepare(article)])

    def remove(self, connection: Connection, article_id: int) -> None:
        _WRITES.count += 1
        self.backend.delete(connection, [article_id])

    def index_many(self, connection: Connection, docs: Sequence[IndexDoc]) -> None:
        """Write already segmented documents (bulk loads, rebuilds, the benchmark)."""
        _WRITES.count += 1
        self.backend.write(connection, docs)

    # --- version and rebuild -------------------------------------------------------------------

    def status(self) -> IndexStatus:
        with self.engine.begin() as connection:
            self.backend.ensure(connection)
            self._ensured = True
            stored = connection.execute(
                select(meta.c.value).where(meta.c.key == VERSION_KEY)
            ).scalar_one_or_none()
        return IndexStatus(stored, INDEX_VERSION)

    def rebuild(self, batch_size: int = 500, progress: Callable[[int], None] | None = None) -> int:
        """Re-index every article in batches, then record the version that built the index."""
        with self.engine.begin() as connection:
            self.backend.ensure(connection)
            self.backend.clear(connection)
            _set_version(connection, "rebuilding")
        done, last_id = 0, 0
        while True:
            with self.engine.connect() as connection:
                docs = read_batch(connection, last_id, batch_size)
            if not docs:
                break
            with self.engine.begin() as connection:
                self.backend.write(connection, docs)
            done += len(docs)
            last_id = docs[-1].article_id
            if progress:
                progress(done)
        with self.engine.begin() as connection:
            _set_version(connection, INDEX_VERSION)
        return done

    def mark_current(self) -> None:
        """Record that the index was built by this version (after a bulk load)."""
        with self.engine.begin() as connection:
            _set_version(connection, INDEX_VERSION)

    def size_bytes(self) -> int:
        with self.engine.connect() as connection:
            return self.backend.size_bytes(connection)

    def matching_ids(self, query: str) -> set[int]:
        """Every article the index matches for `query`'s words, with no window, filter or
        ranking (recall checks in tests and the benchmark)."""
        parsed = parse(query, self.settings.max_query_chars)
        if not parsed.include:
            return set()
        with self.engine.connect() as connection:
            return self.backend.all_ids(connection, parsed)

    # --- searching -----------------------------------------------------------------------------

    def search(
        self, query: str, *, page: int = 1, page_size: int | None = None, now: datetime
    ) -> SearchResults:
        """One page of results; InvalidQuery (a QueryError) for a query that cannot be run."""
        parsed = parse(query, self.settings.max_query_chars)
        if not self._ensured:
            self.status()  # repairs the trigger / covering index once per process
        page = max(1, page)
        size = max(1, min(page_size or self.settings.page_size, 50))
        try:
            with self.engine.connect() as connection:
                if parsed.sections:
                    check_sections(connection, parsed.sections)
                ranked, total = self._ranked(connection, parsed, now, page, size)
                hits = self._hits(connection, parsed, ranked)
        except SQLAlchemyError as exc:
            raise StorageError(f"search failed: {type(exc).__name__}") from exc
        return SearchResults(parsed, hits, page, size, min(total, self.window), total > self.window)

    def _ranked(
        self, connection: Connection, query: Query, now: datetime, page: int, size: int
    ) -> tuple[list[Contender], int]:
        """One page of contenders (final scores) and the number of candidates (window + 1 at
        most).

        The database scores the newest `window` matches (relevance x 0.5 ** (age / half-life))
        and returns only the contenders: rows whose score, doubled by a whole-word hit, could
        still reach the page (the page's last base score is the bar), best first. The
        whole-word check (jieba on the matching runs) then runs here, on as few of them as
        decide the page (_best)."""
        since = query.since_time(now)
        plan = self.backend.plan(connection, query, since, self.window)
        carried: list[tuple[int, float]] = []
        dropped = 0
        while True:
            scored, total = self._contenders(
                connection, query, since, now, page * size, plan, carried, dropped
            )
            wider = None if total > self.window else self.backend.wider(plan, total, self.window)
            if wider is None:
                break
            # A bounded plan (PostgreSQL's newest ids) held too few matches: the plan over older
            # ids carries its contenders, and the number of the others (which can no longer
            # reach the page, but still fill the window).
            if self.backend.carries(plan):
                carried, dropped = scored, total - len(scored)
            plan = wider
        if query.include:
            best = self._best(connection, query, scored, page * size)
        else:
            best = [Contender(i, base) for i, base in scored[: page * size]]
        return best[(page - 1) * size :], total

    def _contenders(
        self,
        connection: Connection,
        query: Query,
        since: datetime | None,
        now: datetime,
        shown: int,
        plan: Any,
        carried: list[tuple[int, float]],
        dropped: int,
    ) -> tuple[list[tuple[int, float]], int]:
        """(id, base score) of the contenders for the first `shown` places under one plan,
        best first, and the number of candidates. `carried`, `dropped`: the contenders of
        earlier plans over newer ids (PostgreSQL only), and how many other candidates they had:
        those scored below that plan's bar, which is no higher than the bar of any window
        holding them, so they cannot reach the page; they only take their places in the
        window."""
        fragments = Fragments()
        inner = self.backend.candidate_sql(query, since, now, fragments, plan)
        bonus = WHOLE_WORD_BONUS if query.include else 1.0
        more = ""
        params: dict[str, Any] = {
            "limit": self.window + 1,  # one more than kept: tells whether there are more
            "window": self.window,
            "half_life": self.settings.recency_half_life_days,
            "last": shown - 1,
            "bonus": bonus,
            "dropped": dropped,
            "kept": self.window - dropped,
        }
        if carried:
            more = (
                " UNION ALL SELECT id, base FROM unnest(CAST(:carried_ids AS integer[]), "
                "CAST(:carried_base AS double precision[])) AS carried (id, base)"
            )
            params["carried_ids"] = [i for i, _ in carried]
            params["carried_base"] = [b for _, b in carried]
        sql = (
            f"WITH candidates AS ({inner}), scored AS (SELECT id, relevance * power(0.5, "
            f"age_days / :half_life) AS base FROM candidates{more}), "
            "kept AS (SELECT id, base, count(*) OVER () + :dropped AS total FROM scored "
            "ORDER BY id DESC LIMIT :kept), "
            "bar AS (SELECT coalesce((SELECT base FROM kept ORDER BY base DESC, id DESC "
            "LIMIT 1 OFFSET :last), 0.0) AS value) "
            "SELECT id, base, total FROM kept WHERE base * :bonus >= (SELECT value FROM bar) "
            "ORDER BY base DESC, id DESC"
        )
        rows = connection.execute(text(sql).bindparams(*fragments.binds), params).all()
        if not rows and (carried or dropped):
            return [], len(carried) + dropped  # not reached: carried contenders come back
        if not rows:
            count = f"WITH candidates AS ({inner}) SELECT count(*) FROM candidates"
            total = connection.execute(text(count).bindparams(*fragments.binds), params).scalar()
            return [], int(total or 0)
        # unpacked, not row.id: attribute access on 1,000 rows costs more than the rest here
        return [(i, float(base or 0.0)) for i, base, _ in rows], int(rows[0].total)

    def _best(
        self, connection: Connection, query: Query, scored: list[tuple[int, float]], shown: int
    ) -> list[Contender]:
        """The first `shown` places, best final score first (ties: the newer id): contenders
        are taken best base first, each scored with its whole-word bonus, until the next one's
        base even doubled could no longer displace the last of the places. Only those are
        checked, and read: ahead(shown) at a time, each with its article (_details), so the
        usual page costs one statement beyond the ranking."""
        best: list[Contender] = []
        read: list[Contender] = []
        for at, (article_id, base) in enumerate(scored):
            if len(best) >= shown:
                last = best[shown - 1]
                reach = base * WHOLE_WORD_BONUS
                if reach < last.score or (reach == last.score and article_id < last.id):
                    break
            if at == len(read):
                batch = [Contender(i, b) for i, b in scored[at : at + ahead(shown)]]
                self._details(connection, batch)
                read.extend(batch)
            contender = read[at]
            if self._whole_word(query, contender.id, contender.stored or ""):
                contender.score = contender.base * WHOLE_WORD_BONUS
            insort(best, contender, key=Contender.order)
            del best[shown:]
        return best

    def _whole_word(self, query: Query, article_id: int, stored: str) -> bool:
        key = (query.terms, article_id, hash(stored))
        verdict = self._whole_words.get(key)
        if verdict is None:
            verdict = whole_word_hit(query, stored)
            if len(self._whole_words) >= WHOLE_WORD_MEMORY:
                self._whole_words.clear()
            self._whole_words[key] = verdict
        return verdict

    def _details(self, connection: Connection, contenders: list[Contender]) -> None:
        """Read the contenders' stored texts and articles (one statement)."""
        ids = [c.id for c in contenders]
        found = {row.id: row for row in connection.execute(self._details_sql, {"ids": ids})}
        for contender in contenders:
            row = found.get(contender.id)
            contender.stored = (row.stored if row is not None else None) or ""
            contender.article = row

    def _hits(
        self, connection: Connection, query: Query, chosen: list[Contender]
    ) -> tuple[SearchHit, ...]:
        missing = [c for c in chosen if c.stored is None]
        if missing:  # not read for the ranking (no included terms)
            self._details(connection, missing)
        needles = query.needles()
        return tuple(_hit(c.article, c.score, needles) for c in chosen if c.article is not None)


def ahead(shown: int) -> int:
    """How many contenders are read at a time: the places shown and as many again (a page of
    whole-word hits is decided after shown + 1)."""
    return 2 * shown + 2


class Contender:
    """A candidate that may reach the page: its base score (relevance x recency), its final
    score (with the whole-word bonus, once checked), its stored text and article once read."""

    __slots__ = ("article", "base", "id", "score", "stored")

    def __init__(self, id: int, base: float) -> None:
        self.id, self.base, self.score = id, base, base
        self.stored: str | None = None
        self.article: Any = None

    @staticmethod
    def order(contender: Contender) -> tuple[float, int]:
        return (-contender.score, -contender.id)


def check_sections(connection: Connection, named: Sequence[str]) -> None:
    """InvalidQuery naming the sections that exist when a section filter names one that does
    not (no source and no article has it)."""
    missing = [name for name in named if not _section_exists(connection, name)]
    if not missing:
        return
    known = set(connection.execute(select(sources.c.section).distinct()).scalars())
    known |= set(connection.execute(select(articles.c.section).distinct()).scalars())
    listed = "、".join(sorted(s for s in known if s)) or "—"
    raise InvalidQuery("search.unknown_section", section="、".join(missing)[:40], known=listed)


def _section_exists(connection: Connection, name: str) -> bool:
    variants = {name, normalize(name)}
    for table in (sources, articles):
        found = select(table.c.id).where(table.c.section.in_(variants)).limit(1)
        if connection.execute(found).first() is not None:
            return True
    return False


def _hit(row: Any, score: float, needles: frozenset[str]) -> SearchHit:
    """`row`: the article's id, title, url, section, text, published_at and source_key."""
    title_spans = tuple(find_spans(row.title, needles))
    return SearchHit(
        article_id=row.id,
        title=row.title,
        url=row.url,
        section=row.section,
        source_key=row.source_key,
        published=row.published_at,
        snippet=snippet(row.text, needles),
        score=score,
        title_spans=title_spans,
    )


def read_batch(connection: Connection, after_id: int, size: int) -> list[IndexDoc]:
    """The next `size` articles after `after_id`, prepared for the index."""
    rows = connection.execute(
        select(articles.c.id, articles.c.title, articles.c.text, articles.c.summary_json)
        .where(articles.c.id > after_id)
        .order_by(articles.c.id)
        .limit(size)
    ).all()
    return [prepare_fields(r.id, r.title, _points(r.summary_json), r.text) for r in rows]


def rebuild_in(
    connection: Connection, progress: Callable[[int, int], None], batch_size: int = 500
) -> int:
    """Fill an empty index from every article inside one transaction (the migration that
    changes the index format), reporting (done, total) after each batch."""
    backend: Backend = (
        PostgresBackend() if connection.dialect.name == "postgresql" else SqliteBackend()
    )
    total = int(connection.execute(select(func.count()).select_from(articles)).scalar() or 0)
    done, last_id = 0, 0
    while docs := read_batch(connection, last_id, batch_size):
        backend.write(connection, docs)
        done += len(docs)
        last_id = docs[-1].article_id
        progress(done, total)
    _set_version(connection, INDEX_VERSION)
    return done


def _points(summary_json: str | None) -> str:
    if not summary_json:
        return ""
    try:
        return "\n".join(Summary.from_dict(json.loads(summary_json)).key_points)
    except (ValueError, TypeError, AssertionError):
        log.warning("unreadable summary_json; indexing the article without key points")
        return ""


def _set_version(connection: Connection, version: str) -> None:
    connection.execute(delete(meta).where(meta.c.key == VERSION_KEY))
    connection.execute(insert(meta).values(key=VERSION_KEY, value=version))
