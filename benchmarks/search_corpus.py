"""The search benchmark's corpus and queries: generated Chinese articles (jieba's dictionary
drawn with a Zipf-Mandelbrot law, the portal's vocabulary, collocations, figures, a little
English) and, per query kind, queries with their meaning for a brute-force substring scan."""

from __future__ import annotations

import random
import re
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate

from newsbot.core import segment
from newsbot.core.query_text import normalize, to_simplified

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


@dataclass(frozen=True)
class BenchQuery:
    """A query and its meaning for the brute-force scan: every group must have a needle in
    the text, no excluded needle may be there. `baseline`: the old index understands it."""

    text: str
    groups: tuple[tuple[str, ...], ...]
    exclude: tuple[str, ...] = ()
    baseline: bool = True
    whole_numbers: bool = False  # 82 is not found inside 829.77 (a reader means the number)


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
        "number": [
            BenchQuery(q, ((normalize(q),),), whole_numbers=True) for q in numbers(rows, rng, per)
        ],
        "exclude": excluded,
    }


def brute_force(texts: list[str], query: BenchQuery) -> set[int]:
    if query.whole_numbers:
        return _numbers_scan(texts, query)
    return {
        i + 1
        for i, t in enumerate(texts)
        if all(any(n in t for n in group) for group in query.groups)
        and not any(n in t for n in query.exclude)
    }


def _numbers_scan(texts: list[str], query: BenchQuery) -> set[int]:
    """Substrings whose digits are not part of a longer number."""
    patterns = [
        re.compile(rf"(?<![0-9]){re.escape(n)}(?![0-9])") for group in query.groups for n in group
    ]
    return {i + 1 for i, t in enumerate(texts) if all(p.search(t) for p in patterns)}
