"""Search benchmark: 100,000 generated Chinese articles on SQLite (and PostgreSQL when given).

    .venv/bin/python benchmarks/bench_search.py [--quick] [--articles N] [--postgres URL]
                                                [--replicate K]

Data: a deterministic generator (seed 7) draws words from jieba's dictionary (the 30,000 most
frequent 2-4 character simplified words plus 30 function words) with a Zipf-Mandelbrot
distribution (weight 1/(rank+2.7)), mixes in the portal's vocabulary (党建, 高新区, 债务 ...) at
chosen ranks, fixed collocations (推动高质量发展 ...), figures (3029.56万元, 问题4804条) and a
little English (GDP, COVID-19). ~500 characters of body per article, ids in publication order.
Segmentation (jieba, the slow part) runs once in 2 processes; both backends load the same
segmented documents.

Latency: SearchIndex.search() end to end (parse, candidates, ranking, snippets), page 1 of 10,
each query 3 times after one warm-up; p50/p95 over all runs of a category. Baseline measured in
the same run: the brute-force scan a search without an index would do (LIKE '%w%' over
title and text, newest first, LIMIT 10).
Recall: the index's full match set (no window) against (a) a brute-force substring scan of the
same normalised text and (b) the articles the generator put the words into ("placed").
PostgreSQL: NEWSBOT_TEST_POSTGRES_URL or --postgres (a fresh schema, dropped afterwards).
--replicate K: SQLite only, the same segmented documents loaded K times (ids and dates shifted),
to measure latency at K x N articles without K x the segmentation time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from multiprocessing import Pool
from pathlib import Path

from sqlalchemy import Engine, insert, text

from newsbot.core import segment
from newsbot.core.query_text import normalize, to_simplified
from newsbot.storage import db
from newsbot.storage.schema import articles, sources
from newsbot.storage.search import IndexDoc, SearchIndex, prepare_fields

SEED = 7
NOW = datetime(2026, 3, 1, tzinfo=UTC)
FUNCTION_WORDS = [
    *list("的了在是和有也为就这上年中对将从与等及并要把被向以其"),
    "我们",
    "他们",
    "进行",
]
PORTAL_RANKS = {  # the portal's words, at ranks that make some common and some rare
    "党建": 60,
    "高新区": 120,
    "债务": 300,
    "就业": 200,
    "疫情防控": 900,
    "阳泉": 150,
    "乡村振兴": 700,
    "基层党组织": 2500,
    "主题党日": 6000,
    "三会一课": 9000,
    "营商环境": 1500,
    "招商引资": 4000,
    "园区": 800,
    "化解": 1000,
    "党组织": 400,
}
COLLOCATIONS = [
    "推动高质量发展",
    "基层党组织建设",
    "化解政府债务",
    "稳就业保民生",
    "优化营商环境",
    "疫情防控常态化",
]
ENGLISH = ["GDP", "COVID-19", "5G", "App", "PM2.5"]
SECTIONS = ["阳泉", "经济", "民生", "党建", "政务"]


def vocabulary() -> list[str]:
    tokenizer = segment.tokenizer()
    cjk = [
        (freq, word)
        for word, freq in tokenizer.FREQ.items()
        if freq >= 3 and 2 <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word)
    ]
    cjk.sort(reverse=True)
    words = FUNCTION_WORDS + [w for _, w in cjk if to_simplified(w) == w and w not in PORTAL_RANKS]
    words = words[:30000]
    for word, rank in sorted(PORTAL_RANKS.items(), key=lambda item: item[1]):
        words.insert(rank, word)
    return words


class Generator:
    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.cum = list(accumulate(1 / (rank + 2.7) for rank in range(len(words))))
        self.rng = random.Random(SEED)

    def ids(self, count: int) -> list[int]:
        total, rng, cum = self.cum[-1], self.rng, self.cum
        return [bisect(cum, rng.random() * total) for _ in range(count)]

    def sentence(self, placed: set[int]) -> str:
        ids = self.ids(self.rng.randint(6, 14))
        placed.update(ids)
        parts = [self.words[i] for i in ids]
        roll = self.rng.random()
        if roll < 0.08:
            parts.insert(self.rng.randrange(len(parts)), self.rng.choice(COLLOCATIONS))
        elif roll < 0.14:
            parts.append(f"{self.rng.randint(1, 9999)}.{self.rng.randint(10, 99)}万元")
        elif roll < 0.17:
            parts.append(f"问题{self.rng.randint(10, 9999)}条")
        elif roll < 0.19:
            parts.insert(0, self.rng.choice(ENGLISH))
        return "".join(parts) + self.rng.choice("，，。")

    def article(self) -> tuple[str, str, str, set[int]]:
        placed: set[int] = set()
        title = self.sentence(placed)[:-1]
        sentences = [self.sentence(placed) for _ in range(self.rng.randint(10, 22))]
        return title, "".join(sentences[:2]), "".join(sentences), placed


def _prepare(batch: list[tuple[int, str, str, str]]) -> list[IndexDoc]:
    return [prepare_fields(*item) for item in batch]


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


def load_index(index: SearchIndex, docs: list[IndexDoc], offset: int = 0) -> None:
    for part in chunks(docs, 2000):
        shifted = [IndexDoc(d.article_id + offset, d.title, d.points, d.body) for d in part]  # type: ignore[attr-defined]
        with index.engine.begin() as connection:
            index.index_many(connection, shifted)
    index.mark_current()


def timed(action: Callable[[], object], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock ms per run (after one warm-up); this process's CPU ms go into `cpu`."""
    action()
    times = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        times.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
    return times


def pick_queries(
    words: list[str], df: dict[int, int], n_docs: int, quick: bool
) -> dict[str, list[str]]:
    rng = random.Random(SEED + 1)
    per = 6 if quick else 12
    by_df = sorted((count, i) for i, count in df.items())

    def band(low: float, high: float, two_chars: bool = False) -> list[str]:
        found = [
            words[i]
            for c, i in by_df
            if low * n_docs <= c <= high * n_docs
            and (len(words[i]) == 2 or not two_chars)
            and len(words[i]) > 1
        ]
        return rng.sample(found, min(per, len(found)))

    rare = band(0.0001, 0.001)
    common = band(0.2, 0.9)
    two = band(0.001, 0.05, two_chars=True)
    mid = band(0.01, 0.2)
    pairs = [f"{a} {b}" for a, b in zip(mid, common + mid, strict=False)][:per]
    portal = [w for w in PORTAL_RANKS if len(w) == 2][:4]
    phrases = [f'"{c}"' for c in COLLOCATIONS] + ['"高质量发展"']
    return {
        "rare": rare,
        "common": common,
        "2-char": two + portal,
        "AND": [*pairs, "高新区 债务"],
        "phrase": phrases,
    }


def brute_force(texts: list[str], query: str) -> set[int]:
    needles = (
        [normalize(part.strip('"')) for part in query.split()]
        if not query.startswith('"')
        else [normalize(query.strip('"'))]
    )
    return {i + 1 for i, t in enumerate(texts) if all(n in t for n in needles)}


def like_baseline(engine: Engine, query: str) -> Callable[[], object]:
    needles = [query.strip('"')] if query.startswith('"') else query.split()
    where = " AND ".join(f"(title LIKE :p{i} OR text LIKE :p{i})" for i in range(len(needles)))
    sql = text(
        f"SELECT id FROM articles WHERE duplicate_of IS NULL AND {where} ORDER BY id DESC LIMIT 10"
    )
    params = {f"p{i}": f"%{n}%" for i, n in enumerate(needles)}

    def run() -> object:
        with engine.connect() as connection:
            return connection.execute(sql, params).all()

    return run


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    name: str,
    index: SearchIndex,
    queries: dict[str, list[str]],
    texts: list[str],
    placed: dict[str, set[int]],
    runs: int,
) -> list[str]:
    lines = []
    for category, items in queries.items():
        times: list[float] = []
        cpu: list[float] = []
        base: list[float] = []
        found = truth = hits = placed_total = placed_found = 0
        for query in items:
            times += timed(lambda q=query: index.search(q, page_size=10, now=NOW), runs, cpu)  # type: ignore[misc]
            base += timed(like_baseline(index.engine, query), 1)
            got = index.matching_ids(query)
            expected = brute_force(texts, query) if texts else set()
            truth += len(expected)
            hits += len(expected & got)
            found += len(got)
            if query in placed:
                placed_total += len(placed[query])
                placed_found += len(placed[query] & got)
        recall = f"{100 * hits / truth:6.2f}%" if truth else "   n/a"
        placed_recall = f"{100 * placed_found / placed_total:6.2f}%" if placed_total else "   n/a"
        p50, p95, b50 = pct(times, 0.5), pct(times, 0.95), pct(base, 0.5)
        c50, c95 = pct(cpu, 0.5), pct(cpu, 0.95)
        lines.append(
            f"{name:<10} {category:<7} {len(items):>3} {p50:>8.2f} {p95:>8.2f} {c50:>8.2f} {c95:>8.2f} {b50:>10.1f} {b50 / p50:>8.1f}x {recall} {placed_recall} {found / max(1, len(items)):>9.0f}"
        )
    lines.append(
        f"{'':<10} (load average during {name}: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    return lines


HEADER = f"{'backend':<10} {'kind':<7} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8} {'LIKE p50':>10} {'vs LIKE':>9} {'recall':>7} {'placed':>7} {'avg hits':>9}"


def build(
    url: str, rows: list[tuple[str, str, str]], docs: list[IndexDoc], replicate: int = 1
) -> tuple[SearchIndex, float, int]:
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    for k in range(replicate):
        load_articles(engine, rows, offset=k * len(rows))
    start = time.perf_counter()
    index = SearchIndex(engine)
    for k in range(replicate):
        load_index(index, docs, offset=k * len(rows))
    seconds = time.perf_counter() - start
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE articles"))
            connection.execute(text("VACUUM ANALYZE article_search"))
    return index, seconds, index.size_bytes()


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


def generate(
    n: int,
) -> tuple[list[str], list[tuple[str, str, str]], dict[int, int], list[set[int]]]:
    words = vocabulary()
    generator = Generator(words)
    rows, df, placed_sets = [], {}, []
    for _ in range(n):
        title, points, body, placed = generator.article()
        rows.append((title, points, body))
        placed_sets.append(placed)
        for i in placed:
            df[i] = df.get(i, 0) + 1
    return words, rows, df, placed_sets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 articles, fewer queries")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--replicate", type=int, default=0, help="also SQLite at K x N (0: off)")
    args = parser.parse_args()
    n = args.articles or (20_000 if args.quick else 100_000)
    runs = 5

    start = time.perf_counter()
    words, rows, df, placed_sets = generate(n)
    print(
        f"generated {n} articles, {sum(len(b) for _, _, b in rows) / n:.0f} body chars each, {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    queries = pick_queries(words, df, n, args.quick)
    index_of = {w: i for i, w in enumerate(words)}
    placed = {
        w: {d + 1 for d, s in enumerate(placed_sets) if index_of[w] in s}
        for items in (queries["rare"], queries["common"], queries["2-char"])
        for w in items
    }
    del placed_sets

    start = time.perf_counter()
    items = [(i + 1, t, p, b) for i, (t, p, b) in enumerate(rows)]
    with Pool(2) as pool:
        docs = [
            d for batch in pool.imap(_prepare, list(chunks(items, 500)), chunksize=1) for d in batch
        ]  # type: ignore[arg-type]
    segment_s = time.perf_counter() - start
    print(
        f"segmented in {segment_s:.1f} s on 2 processes ({n / segment_s:.0f} articles/s)",
        flush=True,
    )
    texts = [normalize(t + "\n" + p + "\n" + b) for t, p, b in rows]

    lines, builds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        index, seconds, size = build(f"sqlite:///{tmp}/bench.db", rows, docs)
        builds.append(
            f"sqlite      index load {seconds:6.1f} s   index size {size / 2**20:7.1f} MiB   database {Path(tmp, 'bench.db').stat().st_size / 2**20:7.1f} MiB"
        )
        print(builds[-1], flush=True)
        lines += measure("sqlite", index, queries, texts, placed, runs)
        index.engine.dispose()
        if args.replicate > 1:
            big, seconds, size = build(f"sqlite:///{tmp}/big.db", rows, docs, args.replicate)
            builds.append(
                f"sqlite x{args.replicate} index load {seconds:6.1f} s   index size {size / 2**20:7.1f} MiB ({args.replicate * n} articles)"
            )
            print(builds[-1], flush=True)
            lines += measure(f"sqlite{args.replicate}x", big, queries, [], {}, runs)
            big.engine.dispose()
    if args.postgres:
        url, drop = postgres_url(args.postgres)
        try:
            index, seconds, size = build(url, rows, docs)
            builds.append(
                f"postgresql  index load {seconds:6.1f} s   index size {size / 2**20:7.1f} MiB (table + GIN)"
            )
            print(builds[-1], flush=True)
            lines += measure("postgresql", index, queries, texts, placed, runs)
            index.engine.dispose()
        finally:
            drop()
    else:
        print("postgresql: skipped (set NEWSBOT_TEST_POSTGRES_URL or --postgres)")

    print(f"\n{n} articles; segmentation {segment_s:.1f} s (2 processes)")
    print("\n".join(builds))
    print(
        "\nlatency of SearchIndex.search (page 1 of 10); baseline = LIKE scan in the same database"
    )
    print(
        "recall = index matches vs brute-force substring scan; placed = vs articles the generator put the word in"
    )
    print(HEADER)
    print("\n".join(lines))
    sqlite = [line.split() for line in lines if line.startswith("sqlite ")]
    print(
        f"\nSQLite worst p95: {max(float(f[4]) for f in sqlite):.2f} ms wall, "
        f"{max(float(f[6]) for f in sqlite):.2f} ms CPU (goal <= 20 ms at 100k)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
