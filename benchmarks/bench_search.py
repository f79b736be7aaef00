"""Search benchmark: today's bigram index against the previous index (jieba words + dictionary
parts, frozen in benchmarks/search_baseline), same articles, same queries, same run.

    .venv/bin/python benchmarks/bench_search.py [--quick] [--articles N] [--postgres URL]
                                                [--replicate K] [--no-baseline]

Data: a deterministic generator (seed 7) draws words from jieba's dictionary (the 30,000 most
frequent 2-4 character simplified words plus 30 function words) with a Zipf-Mandelbrot
distribution (weight 1/(rank+2.7)), mixes in the portal's vocabulary (党建, 高新区, 债务 ...) at
chosen ranks, fixed collocations (推动高质量发展 ...), figures (3029.56万元, 问题4804条) and a
little English (GDP, COVID-19). ~500 characters of body per article, ids in publication order.
Preparing documents (jieba for the old index's words and the new index's ranking words, the
slow part) runs in 2 processes.

Query kinds: rare / common / 2-char dictionary words, AND of two words, phrases (collocations
and 质量发展), substring (random 2-6 Han characters cut from random articles, mostly across
word boundaries), OR (`a OR b`, `a|b`, `a 或 b`), number (1234.56万 for 1234.56万元, 4804 for
问题4804条) and exclusion (`a -b`). Latency: SearchIndex.search() end to end (parse, plan,
ranking, page 1 of 10, snippets), each query `runs` times after one warm-up; p50/p95 over all
runs of a kind. Recall: the index's full match set (no window) against a brute-force substring
scan of the normalised text (title, key points, body) for the same query.
PostgreSQL: NEWSBOT_TEST_POSTGRES_URL or --postgres (fresh schemas, dropped afterwards).
--replicate K: SQLite only, today's index loaded K times (ids and dates shifted): latency at
K x N articles without K x the preparation time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

import search_baseline
from newsbot.core.query_text import normalize
from newsbot.storage import db
from newsbot.storage.schema import articles, sources
from newsbot.storage.search import IndexDoc, SearchIndex, prepare_fields
from search_baseline import documents as baseline_documents
from search_baseline.index import SearchIndex as BaselineIndex
from search_baseline.plans_v1 import PlansV1Backend
from search_corpus import NOW, SECTIONS, BenchQuery, brute_force, generate, pick_queries


def _prepare(batch: list[tuple[int, str, str, str]]) -> list[Any]:
    return [prepare_fields(*item) for item in batch]


def _prepare_baseline(batch: list[tuple[int, str, str, str]]) -> list[Any]:
    return [baseline_documents.prepare_fields(*item) for item in batch]


def chunks(items: Sequence[object], size: int) -> Iterator[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def published(article_id: int, count: int) -> datetime:
    """Two years of articles, oldest first; the newest is a day old."""
    return NOW - timedelta(days=1 + 730 * (count - article_id) / count)


def load_articles(engine: Engine, rows: list[tuple[str, str, str]], offset: int = 0) -> None:
    count = len(rows)
    with engine.begin() as connection:
        if offset == 0:
            connection.execute(
                insert(sources).values(
                    id=1,
                    key="bench",
                    name="bench",
                    kind="feed",
                    url="http://127.0.0.1/",
                    section="",
                    failures=0,
                )
            )
        values = [
            {
                "id": offset + i + 1,
                "source_id": 1,
                "dedupe_key": f"k{offset + i + 1}",
                "url": f"http://127.0.0.1/a/{offset + i + 1}.html",
                "section": SECTIONS[i % 5],
                "title": title,
                "text": body,
                "published_at": published(i + 1, count) - timedelta(days=730 * offset / count),
                "fetched_at": NOW,
                "content_hash": "x",
                "update_count": 0,
            }
            for i, (title, _points, body) in enumerate(rows)
        ]
        for part in chunks(values, 5000):
            connection.execute(insert(articles), list(part))


def load_index(index: Any, docs: list[Any], offset: int = 0) -> None:
    for part in chunks(docs, 2000):
        shifted = [shift(d, offset) for d in part]
        with index.engine.begin() as connection:
            index.index_many(connection, shifted)
    index.mark_current()


def shift(doc: Any, offset: int) -> Any:
    if not offset:
        return doc
    if isinstance(doc, IndexDoc):
        return IndexDoc(doc.article_id + offset, doc.fields)
    return baseline_documents.IndexDoc(doc.article_id + offset, doc.title, doc.points, doc.body)


def timed(
    action: Callable[[], object],
    runs: int,
    cpu: list[float],
    server: ServerCpu | None = None,
    server_cpu: list[float] | None = None,
) -> list[float]:
    """Wall-clock ms per run (after one warm-up); this process's CPU ms go into `cpu` (all of
    the work on SQLite; on a loaded machine wall time is mostly waiting for a core), and the
    PostgreSQL server's CPU ms over all runs into `server_cpu`."""
    action()
    times = []
    server_start = server.ms() if server else None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    server_end = server.ms() if server else None
    if server_cpu is not None and server_start is not None and server_end is not None:
        server_cpu.append(server_end - server_start)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Figures:
    p50: float = 0.0
    p95: float = 0.0
    recall: float | None = None
    matches: float = 0.0
    queries: int = 0
    cpu95: float = 0.0
    server_cpu: float | None = None  # PostgreSQL: the server's CPU ms per search (mean)
    slowest: str = ""


@dataclass
class Build:
    prepare_s: float
    load_s: float
    size: int
    extra: str = ""
    results: dict[str, Figures] = field(default_factory=dict)


class ServerCpu:
    """CPU time of the PostgreSQL backends serving an engine, read from /proc (the server runs
    on this machine in the benchmark's setting; None when it does not). Clock ticks are 10 ms,
    so only sums over many searches mean something: reported as the mean per search."""

    def __init__(self, engine: Engine) -> None:
        self.pids: set[int] = set()
        self.tick = 1000 / os.sysconf("SC_CLK_TCK")
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self.pids.add(int(dbapi_connection.info.backend_pid))

    def ms(self) -> float | None:
        total = 0.0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) * self.tick
        return total if self.pids else None


def measure(
    index: Any,
    queries: dict[str, list[BenchQuery]],
    texts: list[str],
    runs: int,
    baseline: bool,
    server: ServerCpu | None = None,
) -> dict[str, Figures]:
    found: dict[str, Figures] = {}
    for kind, items in queries.items():
        usable = [q for q in items if q.baseline or not baseline]
        if not usable:
            continue
        times: list[float] = []
        cpu: list[float] = []
        truth = hits = matched = 0
        server_cpu: list[float] = []
        worst = (0.0, "")
        for query in usable:
            took = timed(
                lambda q=query.text: index.search(q, page_size=10, now=NOW),  # type: ignore[misc]
                runs,
                cpu,
                server,
                server_cpu,
            )
            times += took
            worst = max(worst, (sorted(took)[len(took) // 2], query.text))
            got = index.matching_ids(query.text)
            matched += len(got)
            if texts:
                expected = brute_force(texts, query)
                truth += len(expected)
                hits += len(expected & got)
        recall = 100 * hits / truth if truth else None
        # the server's CPU over the timed runs, per search (ticks of 10 ms: a mean, not a p95)
        server_mean = sum(server_cpu) / (len(usable) * runs) if server_cpu else None
        found[kind] = Figures(
            pct(times, 0.5),
            pct(times, 0.95),
            recall,
            matched / len(usable),
            len(usable),
            pct(cpu, 0.95),
            server_mean,
            worst[1],
        )
    return found


def postgres_url(base: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def prepare_all(
    rows: list[tuple[str, str, str]], worker: Callable[[Any], list[Any]]
) -> tuple[list[Any], float]:
    start = time.perf_counter()
    items = [(i + 1, t, p, b) for i, (t, p, b) in enumerate(rows)]
    with Pool(2) as pool:
        docs = [
            d for batch in pool.imap(worker, list(chunks(items, 500)), chunksize=1) for d in batch
        ]
    return docs, time.perf_counter() - start


def build(
    url: str,
    rows: list[tuple[str, str, str]],
    docs: list[Any],
    baseline: bool,
    replicate: int = 1,
) -> tuple[Any, float, int, ServerCpu]:
    engine = db.create_db_engine(url)
    server = ServerCpu(engine)
    db.upgrade(engine)
    if baseline:
        search_baseline.install(engine)
    for k in range(replicate):
        load_articles(engine, rows, offset=k * len(rows))
    start = time.perf_counter()
    index = BaselineIndex(engine) if baseline else SearchIndex(engine)
    for k in range(replicate):
        load_index(index, docs, offset=k * len(rows))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE articles"))
            connection.execute(text("VACUUM ANALYZE article_search"))
    seconds = time.perf_counter() - start
    return index, seconds, index.size_bytes(), server


def run_variant(
    name: str,
    baseline: bool,
    rows: list[tuple[str, str, str]],
    docs: list[Any],
    prepare_s: float,
    args: argparse.Namespace,
    queries: dict[str, list[BenchQuery]],
    texts: list[str],
    tmp: str,
) -> dict[str, Build]:
    builds: dict[str, Build] = {}
    index, seconds, size, _ = build(f"sqlite:///{tmp}/{name}.db", rows, docs, baseline)
    builds["SQLite"] = Build(prepare_s, seconds, size)
    print(f"{name} SQLite: load {seconds:.1f} s, index {size / 2**20:.1f} MiB", flush=True)
    builds["SQLite"].results = measure(index, queries, texts, args.runs, baseline)
    index.engine.dispose()
    Path(tmp, f"{name}.db").unlink()
    if args.postgres:
        url, drop = postgres_url(args.postgres)
        try:
            index, seconds, size, server = build(url, rows, docs, baseline)
            builds["PostgreSQL"] = Build(prepare_s, seconds, size)
            print(
                f"{name} PostgreSQL: load {seconds:.1f} s, index {size / 2**20:.1f} MiB", flush=True
            )
            builds["PostgreSQL"].results = measure(
                index, queries, texts, args.runs, baseline, server
            )
            if not baseline:
                # main's plans before issue 14's PostgreSQL work, on the same table, same run
                v1 = SearchIndex(index.engine)
                v1.backend = PlansV1Backend()
                builds[V1] = Build(prepare_s, seconds, size)
                builds[V1].results = measure(v1, queries, texts, args.runs, baseline, server)
                if args.plans:
                    show_plans(index, builds["PostgreSQL"].results)
            index.engine.dispose()
        finally:
            drop()
    return builds


V1 = "PG v1 plans"
GOALS = {"SQLite": 20.0, "PostgreSQL": 50.0, V1: 50.0}


def show_plans(index: SearchIndex, results: dict[str, Figures]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement that looks for candidates, for the
    slowest query (by median) of each kind, replayed with the settings the search made."""
    captured: list[tuple[str, Any]] = []

    def capture(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not many and statement.lstrip().startswith(("WITH candidates", "SELECT set_config")):
            captured.append((statement, parameters))

    event.listen(index.engine, "before_cursor_execute", capture)
    try:
        for kind, figures in results.items():
            captured.clear()
            index.search(figures.slowest, page_size=10, now=NOW)
            rounds = sum(1 for statement, _ in captured if statement.startswith("WITH"))
            print(f"\n--- plan: {kind} {figures.slowest!r} ({rounds} candidate statements)")
            with index.engine.connect() as connection:
                raw = connection.connection.dbapi_connection
                assert raw is not None
                cursor = raw.cursor()
                for statement, parameters in captured:
                    if statement.startswith("SELECT set_config"):
                        cursor.execute(statement, parameters)
                        continue
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    for (line,) in cursor.fetchall():
                        print("   ", line)
                cursor.close()
                connection.rollback()
    finally:
        event.remove(index.engine, "before_cursor_execute", capture)


def ratio(new: float, old: float | None) -> str:
    return f"{new / old:5.2f}x" if old else "    —"


def report(
    n: int, new: dict[str, Build], old: dict[str, Build], load: str, big: Build | None, k: int
) -> None:
    print(f"\n{n} articles ({load})")
    print(
        f"{'backend':<12} {'index':<9} {'prepare s':>9} {'load s':>7} {'build s':>8} "
        f"{'size MiB':>9} {'size vs old':>11}  goal"
    )
    for backend, built in new.items():
        if backend == V1:
            continue
        for label, b in (("old", old.get(backend)), ("bigram", built)):
            if b is None:
                continue
            versus = ratio(b.size, old[backend].size) if backend in old else "    —"
            size_goal = ""
            if label == "bigram" and backend in old:
                met = b.size <= 2 * old[backend].size
                size_goal = "<= 2.00x " + ("met" if met else "NOT MET")
            print(
                f"{backend:<12} {label:<9} {b.prepare_s:>9.1f} {b.load_s:>7.1f} "
                f"{b.prepare_s + b.load_s:>8.1f} {b.size / 2**20:>9.1f} {versus:>11}  {size_goal}"
            )
    print(
        f"\n{'backend':<12} {'kind':<8} {'n':>3} {'p50 ms':>7} {'p95 ms':>7} {'goal p95':>13} "
        f"{'old p50':>8} {'old p95':>8} {'p95 vs old':>10} {'cpu p95':>8} {'srv cpu':>8} "
        f"{'old cpu95':>9} {'old srv':>8} {'recall':>8} {'old recall':>10} {'avg matches':>11}"
    )
    for backend, built in new.items():
        goal = GOALS[backend]
        for kind, f in built.results.items():
            o = old.get("PostgreSQL" if backend == V1 else backend, Build(0, 0, 0)).results.get(
                kind
            )
            verdict = f"<= {goal:.0f} " + ("met" if f.p95 <= goal else "NOT MET")
            old_p50 = f"{o.p50:8.2f}" if o else "       —"
            old_p95 = f"{o.p95:8.2f}" if o else "       —"
            recall = f"{f.recall:7.2f}%" if f.recall is not None else "     n/a"
            old_recall = f"{o.recall:9.2f}%" if o and o.recall is not None else "         —"
            old_cpu = f"{o.cpu95:9.2f}" if o else "        —"
            srv = f"{f.server_cpu:8.2f}" if f.server_cpu is not None else "       —"
            old_srv = f"{o.server_cpu:8.2f}" if o and o.server_cpu is not None else "       —"
            print(
                f"{backend:<12} {kind:<8} {f.queries:>3} {f.p50:>7.2f} {f.p95:>7.2f} "
                f"{verdict:>13} {old_p50} {old_p95} {ratio(f.p95, o.p95 if o else None):>10} "
                f"{f.cpu95:>8.2f} {srv} {old_cpu} {old_srv} {recall} {old_recall} "
                f"{f.matches:>11,.0f}"
            )
    print(
        "\ncpu p95: this process's CPU per search (all of the work on SQLite, the client's share "
        "on PostgreSQL); srv cpu: the PostgreSQL server's CPU per search (mean, from /proc); "
        f"{V1}: the bigram index's plans before issue 14's PostgreSQL work, same table"
    )
    for backend, built in new.items():
        worst = max(built.results.values(), key=lambda f: f.p95)
        worst_kind = next(kind for kind, f in built.results.items() if f is worst)
        worst_cpu = max(f.cpu95 for f in built.results.values())
        goal = GOALS[backend]
        met = all(f.p95 <= goal for f in built.results.values())
        print(
            f"{backend}: worst p95 {worst.p95:.2f} ms ({worst_kind}), worst cpu p95 "
            f"{worst_cpu:.2f} ms; goal p95 <= {goal:.0f} ms for every kind at 100k: "
            + ("met" if met else "NOT MET")
        )
    if big is not None:
        print(f"\nSQLite at {k} x {n} = {k * n} articles (bigram index; {big.extra})")
        print(f"load {big.load_s:.1f} s, index {big.size / 2**20:.1f} MiB")
        for kind, f in big.results.items():
            print(
                f"  {kind:<8} p50 {f.p50:7.2f} ms  p95 {f.p95:7.2f} ms  cpu p95 {f.cpu95:7.2f} ms  "
                f"avg matches {f.matches:,.0f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 articles, fewer queries")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--replicate", type=int, default=0, help="also SQLite at K x N (0: off)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the old index")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--plans", action="store_true", help="EXPLAIN the slowest query of each kind (PostgreSQL)"
    )
    parser.add_argument(
        "--million",
        action="store_true",
        help="SQLite at 1,000,000 articles only: 20,000 generated articles loaded 50 times",
    )
    args = parser.parse_args()
    if args.million:
        args.quick, args.articles, args.replicate = True, 20_000, 50
        args.no_baseline, args.postgres = True, ""
    n = args.articles or (20_000 if args.quick else 100_000)

    start = time.perf_counter()
    words, rows, df, _placed = generate(n)
    print(f"generated {n} articles in {time.perf_counter() - start:.1f} s", flush=True)
    queries = pick_queries(words, df, rows, args.quick)
    texts = [normalize(t + "\n" + p + "\n" + b) for t, p, b in rows]
    old: dict[str, Build] = {}
    big = None
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_baseline:
            docs, prepare_s = prepare_all(rows, _prepare_baseline)
            print(f"old index: documents prepared in {prepare_s:.1f} s", flush=True)
            old = run_variant("old", True, rows, docs, prepare_s, args, queries, texts, tmp)
            del docs
        docs, prepare_s = prepare_all(rows, _prepare)
        print(f"bigram index: documents prepared in {prepare_s:.1f} s", flush=True)
        new = run_variant("bigram", False, rows, docs, prepare_s, args, queries, texts, tmp)
        load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        if args.replicate > 1:
            index, seconds, size, _ = build(
                f"sqlite:///{tmp}/big.db", rows, docs, False, args.replicate
            )
            big = Build(0, seconds, size, f"load average {os.getloadavg()[0]:.1f}")
            big.results = measure(index, queries, [], args.runs, False)
            index.engine.dispose()
    report(n, new, old, load, big, args.replicate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
