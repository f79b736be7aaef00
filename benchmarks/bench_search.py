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
import random
import re
import sys
import tempfile
import time
import uuid
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

import search_baseline
from newsbot.core import segment
from newsbot.core.query_text import normalize, to_simplified
from newsbot.storage import db
from newsbot.storage.schema import articles, sources
from newsbot.storage.search import IndexDoc, SearchIndex, prepare_fields
from search_baseline import documents as baseline_documents
from search_baseline.index import SearchIndex as BaselineIndex

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
        return IndexDoc(doc.article_id + offset, doc.fields, doc.words)
    return baseline_documents.IndexDoc(doc.article_id + offset, doc.title, doc.points, doc.body)


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock ms per run (after one warm-up)."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


@dataclass(frozen=True)
class BenchQuery:
    """A query and its meaning for the brute-force scan: every group must have a needle in
    the text, no excluded needle may be there. `baseline`: the old index understands it."""

    text: str
    groups: tuple[tuple[str, ...], ...]
    exclude: tuple[str, ...] = ()
    baseline: bool = True


def words_query(text: str) -> BenchQuery:
    return BenchQuery(text, tuple((normalize(w.strip('"')),) for w in text.split()))


HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
FIGURE = re.compile(r"(\d+\.\d+)万元")
ISSUES = re.compile(r"问题(\d+)条")


def substrings(rows: list[tuple[str, str, str]], rng: random.Random, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        runs = HAN_RUN.findall(normalize(rng.choice(rows)[2]))
        run = rng.choice(runs) if runs else ""
        size = rng.randint(2, 6)
        if len(run) >= size:
            start = rng.randrange(len(run) - size + 1)
            found.append(run[start : start + size])
    return found


def numbers(rows: list[tuple[str, str, str]], rng: random.Random, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        body = rng.choice(rows)[2]
        figure, issues = FIGURE.search(body), ISSUES.search(body)
        if figure and len(found) % 2 == 0:
            found.append(figure.group(1) + "万")
        elif issues and len(found) % 2 == 1:
            found.append(issues.group(1))
    return found


def pick_queries(
    words: list[str], df: dict[int, int], rows: list[tuple[str, str, str]], quick: bool
) -> dict[str, list[BenchQuery]]:
    rng = random.Random(SEED + 1)
    n_docs = len(rows)
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
    phrases = [f'"{c}"' for c in COLLOCATIONS] + ['"高质量发展"', "质量发展", "规上工业"]
    operators = ["OR", "|", "或"]
    ors = [
        BenchQuery(
            f"{a} {operators[i % 3]} {b}" if operators[i % 3] != "|" else f"{a}|{b}",
            ((a, b),),
            baseline=False,
        )
        for i, (a, b) in enumerate(zip(mid, rare + two, strict=False))
    ][:per]
    ors.append(BenchQuery("债务 OR 就业", (("债务", "就业"),), baseline=False))
    excluded = [BenchQuery(f"{a} -{b}", ((a,),), (b,)) for a, b in zip(mid, common, strict=False)][
        :per
    ]
    return {
        "rare": [words_query(w) for w in rare],
        "common": [words_query(w) for w in common],
        "2-char": [words_query(w) for w in two + portal],
        "AND": [words_query(q) for q in [*pairs, "高新区 债务"]],
        "phrase": [words_query(q) for q in phrases],
        "substr": [words_query(q) for q in substrings(rows, rng, per)],
        "OR": ors,
        "number": [words_query(q) for q in numbers(rows, rng, per)],
        "exclude": excluded,
    }


def brute_force(texts: list[str], query: BenchQuery) -> set[int]:
    return {
        i + 1
        for i, t in enumerate(texts)
        if all(any(n in t for n in group) for group in query.groups)
        and not any(n in t for n in query.exclude)
    }


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


@dataclass
class Build:
    prepare_s: float
    load_s: float
    size: int
    extra: str = ""
    results: dict[str, Figures] = field(default_factory=dict)


def measure(
    index: Any, queries: dict[str, list[BenchQuery]], texts: list[str], runs: int, baseline: bool
) -> dict[str, Figures]:
    found: dict[str, Figures] = {}
    for kind, items in queries.items():
        usable = [q for q in items if q.baseline or not baseline]
        if not usable:
            continue
        times: list[float] = []
        truth = hits = matched = 0
        for query in usable:
            times += timed(lambda q=query.text: index.search(q, page_size=10, now=NOW), runs)  # type: ignore[misc]
            got = index.matching_ids(query.text)
            matched += len(got)
            if texts:
                expected = brute_force(texts, query)
                truth += len(expected)
                hits += len(expected & got)
        recall = 100 * hits / truth if truth else None
        found[kind] = Figures(
            pct(times, 0.5), pct(times, 0.95), recall, matched / len(usable), len(usable)
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
) -> tuple[Any, float, int]:
    engine = db.create_db_engine(url)
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
    return index, seconds, index.size_bytes()


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
    index, seconds, size = build(f"sqlite:///{tmp}/{name}.db", rows, docs, baseline)
    builds["SQLite"] = Build(prepare_s, seconds, size)
    print(f"{name} SQLite: load {seconds:.1f} s, index {size / 2**20:.1f} MiB", flush=True)
    builds["SQLite"].results = measure(index, queries, texts, args.runs, baseline)
    index.engine.dispose()
    Path(tmp, f"{name}.db").unlink()
    if args.postgres:
        url, drop = postgres_url(args.postgres)
        try:
            index, seconds, size = build(url, rows, docs, baseline)
            builds["PostgreSQL"] = Build(prepare_s, seconds, size)
            print(
                f"{name} PostgreSQL: load {seconds:.1f} s, index {size / 2**20:.1f} MiB", flush=True
            )
            builds["PostgreSQL"].results = measure(index, queries, texts, args.runs, baseline)
            index.engine.dispose()
        finally:
            drop()
    return builds


def ratio(new: float, old: float | None) -> str:
    return f"{new / old:5.2f}x" if old else "    —"


def report(
    n: int, new: dict[str, Build], old: dict[str, Build], load: str, big: Build | None, k: int
) -> None:
    print(f"\n{n} articles ({load})")
    print(
        f"{'backend':<11} {'index':<9} {'prepare s':>9} {'load s':>7} {'size MiB':>9} {'size vs old':>11}"
    )
    for backend, built in new.items():
        for label, b in (("old", old.get(backend)), ("bigram", built)):
            if b is None:
                continue
            versus = ratio(b.size, old[backend].size) if backend in old else "    —"
            print(
                f"{backend:<11} {label:<9} {b.prepare_s:>9.1f} {b.load_s:>7.1f} {b.size / 2**20:>9.1f} {versus:>11}"
            )
    print(
        f"\n{'backend':<11} {'kind':<8} {'n':>3} {'p50 ms':>7} {'p95 ms':>7} {'old p50':>8} "
        f"{'old p95':>8} {'p95 vs old':>10} {'recall':>8} {'old recall':>10} {'avg matches':>11}"
    )
    for backend, built in new.items():
        for kind, f in built.results.items():
            o = old.get(backend, Build(0, 0, 0)).results.get(kind)
            old_p50 = f"{o.p50:8.2f}" if o else "       —"
            old_p95 = f"{o.p95:8.2f}" if o else "       —"
            recall = f"{f.recall:7.2f}%" if f.recall is not None else "     n/a"
            old_recall = f"{o.recall:9.2f}%" if o and o.recall is not None else "         —"
            print(
                f"{backend:<11} {kind:<8} {f.queries:>3} {f.p50:>7.2f} {f.p95:>7.2f} {old_p50} "
                f"{old_p95} {ratio(f.p95, o.p95 if o else None):>10} {recall} {old_recall} "
                f"{f.matches:>11,.0f}"
            )
    for backend, built in new.items():
        worst = max(f.p95 for f in built.results.values())
        goal = 20 if backend == "SQLite" else 50
        print(f"{backend} worst p95 {worst:.2f} ms (goal <= {goal} ms at 100k)")
    if big is not None:
        print(f"\nSQLite at {k} x {n} = {k * n} articles (bigram index; {big.extra})")
        print(f"load {big.load_s:.1f} s, index {big.size / 2**20:.1f} MiB")
        for kind, f in big.results.items():
            print(
                f"  {kind:<8} p50 {f.p50:7.2f} ms  p95 {f.p95:7.2f} ms  avg matches {f.matches:,.0f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 articles, fewer queries")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--replicate", type=int, default=0, help="also SQLite at K x N (0: off)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the old index")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
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
            index, seconds, size = build(
                f"sqlite:///{tmp}/big.db", rows, docs, False, args.replicate
            )
            big = Build(0, seconds, size, f"load average {os.getloadavg()[0]:.1f}")
            big.results = measure(index, queries, [], args.runs, False)
            index.engine.dispose()
    report(n, new, old, load, big, args.replicate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
