"""Summarizer benchmark: ROUGE against LEAD-k and sentence TextRank, number recall, speed.

    .venv/bin/python benchmarks/bench_summarize.py [--quick]

Data (../shared/corpora/summarization, read in place):
- LCSTS part III, pairs with human_label >= 3 (725): a ~110-character text and a one-line
  reference. Our summarizer emits one point for a text this short (point_count), so it is
  compared with LEAD-1 and TextRank-1.
- CLTS samples (7 articles, JSON lines {"summarization"} then {"article"}): compared with LEAD-3
  and TextRank-3 (our summarizer emits 3-5 points there, by length).
ROUGE: rouge-chinese, character level: every character separated by a space, punctuation and
whitespace removed (Unicode categories P*, S*, Z* and the ellipsis dropped); F-measure x 100.
Number recall: share of the references' figures (core.figures: value and unit normalised, so
1.2万人 equals 12000人) that a summary contains, over the references that have any.
Speed: one process, one thread (= one core); the per-sentence caches are cleared before every
article so repeated articles are not flattered; warm-up (dictionary, IDF, POS load) excluded;
throughput counts the CPU time of this process (the median of N rounds over the set; the machine
is shared, so wall time would count other processes' work); latency is printed as wall time and
as CPU time.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from rouge_chinese import Rouge

from newsbot.core import segment
from newsbot.core.figures import extract_figures
from newsbot.core.summarize import ExtractiveSummarizer, clear_caches
from newsbot.core.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "corpora" / "summarization"
PORTAL = ROOT.parent / "shared" / "portal" / "article-5849.txt"

Pair = tuple[str, str]  # (text, reference)
System = Callable[[str, int], str]  # (text, k) -> summary text


def load_lcsts(path: Path) -> list[Pair]:
    docs = re.findall(
        r"<human_label>(\d)</human_label>\s*<summary>\s*(.*?)\s*</summary>\s*"
        r"<short_text>\s*(.*?)\s*</short_text>",
        path.read_text(encoding="utf-8"),
        flags=re.S,
    )
    return [(text, summary) for label, summary, text in docs if int(label) >= 3]


def load_clts(path: Path) -> list[Pair]:
    pairs: list[Pair] = []
    reference = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if "summarization" in record:
            reference = record["summarization"]
        elif "article" in record:
            pairs.append((record["article"], reference))
    return pairs


def chars(text: str) -> str:
    """Space-separated characters, punctuation, symbols and whitespace removed."""
    kept = [c for c in text if unicodedata.category(c)[0] not in "PSZC" and c != "…"]
    return " ".join(kept)


def rouge(summaries: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    hyps = [chars(s) or "_" for s in summaries]
    refs = [chars(r) or "_" for r in references]
    scores = Rouge().get_scores(hyps, refs, avg=True)
    return {k: 100 * scores[f"rouge-{k[-1].lower()}"]["f"] for k in ("R1", "R2", "RL")}


def number_recall(summaries: Sequence[str], references: Sequence[str]) -> tuple[float, int]:
    found = total = 0
    for summary, reference in zip(summaries, references, strict=True):
        wanted = {(f.value, f.unit) for f in extract_figures(reference)}
        if not wanted:
            continue
        have = {(f.value, f.unit) for f in extract_figures(summary)}
        found += len(wanted & have)
        total += len(wanted)
    return (found / total if total else math.nan), total


# ---- systems ----------------------------------------------------------------------------

_summarizer = ExtractiveSummarizer()


def ours(text: str, k: int) -> str:
    return "".join(_summarizer.summarize("", text.split("\n")).key_points)


def lead(text: str, k: int) -> str:
    return "".join(split_sentences(text)[:k])


def textrank(text: str, k: int) -> str:
    """Sentence TextRank (Mihalcea & Tarau 2004): jieba words, overlap / (log|a| + log|b|)."""
    sentences = split_sentences(text)
    words = [set(segment.cut(s)) for s in sentences]
    n = len(sentences)
    weights = [
        [_tr_similarity(words[i], words[j]) if i != j else 0.0 for j in range(n)] for i in range(n)
    ]
    out_sums = [sum(row) for row in weights]
    rank = [1.0] * n
    for _ in range(30):
        rank = [
            0.15
            + 0.85 * sum(weights[j][i] / out_sums[j] * rank[j] for j in range(n) if out_sums[j])
            for i in range(n)
        ]
    best = sorted(range(n), key=lambda i: (-rank[i], i))[:k]
    return "".join(sentences[i] for i in sorted(best))


def _tr_similarity(a: set[str], b: set[str]) -> float:
    if len(a) < 2 or len(b) < 2:
        return 0.0
    return len(a & b) / (math.log(len(a)) + math.log(len(b)))


# ---- runs -------------------------------------------------------------------------------


def evaluate(
    name: str, pairs: list[Pair], systems: dict[str, tuple[System, int]]
) -> dict[str, dict[str, float]]:
    references = [r for _, r in pairs]
    table: dict[str, dict[str, float]] = {}
    for label, (system, k) in systems.items():
        outputs = [system(text, k) for text, _ in pairs]
        scores = rouge(outputs, references)
        scores["num_recall"], scores["num_total"] = number_recall(outputs, references)
        scores["chars"] = statistics.mean(len(o) for o in outputs)
        table[label] = scores
    baseline = next(iter(table.values()))
    print(f"\n{name} ({len(pairs)} pairs), char-level ROUGE F x100, ratio to {next(iter(table))}")
    print(f"{'system':<14}{'R1':>14}{'R2':>14}{'RL':>14}{'num recall':>12}{'chars':>8}")
    for label, s in table.items():
        cells = "".join(f"{s[m]:8.2f} ({s[m] / baseline[m]:.2f})" for m in ("R1", "R2", "RL"))
        print(f"{label:<14}{cells}{s['num_recall']:12.2f}{s['chars']:8.0f}")
    print(f"(references with numbers hold {int(baseline['num_total'])} figures)")
    return table


def point_shapes(name: str, texts: Sequence[str]) -> float:
    """How key points read: the share that are whole sentences of the article (the goal is
    all of them), the share that are the leading complete clauses of a long sentence, points
    per article, and points with an ellipsis the source does not have (must be none)."""
    whole = clauses = other = ellipses = 0
    counts: list[int] = []
    for text in texts:
        sentences = set(split_sentences(text, semicolons=False))
        points = _summarizer.summarize("", text.split("\n")).key_points
        counts.append(len(points))
        for point in points:
            ellipses += "…" in point and "…" not in text
            if point in sentences:
                whole += 1
            elif any(s.startswith(point) or point in s for s in sentences):
                clauses += 1
            else:
                other += 1
    total = whole + clauses + other
    share = whole / total if total else float("nan")
    print(
        f"{name}: {total} key points in {len(texts)} articles ({statistics.mean(counts):.1f} each,"
        f" {sum(c >= 3 for c in counts)} with 3-5); whole sentences {share:.1%}, leading clauses"
        f" of a long sentence {clauses / total if total else 0:.1%}, other {other}; with an"
        f" ellipsis not in the source: {ellipses}"
    )
    return share


def speed(texts: Sequence[str], rounds: int) -> tuple[float, float, list[float], list[float]]:
    """Articles per CPU-second (median and best round), wall and CPU latencies in ms; caches
    cleared before each article. CPU time (this process only) is what "per core" means and
    does not count time the scheduler gave to other processes on a shared machine."""
    wall: list[float] = []
    cpu: list[float] = []
    round_cpu: list[float] = []
    for _ in range(rounds):
        total = 0.0
        for text in texts:
            clear_caches()
            w0, c0 = time.perf_counter(), time.process_time()
            _summarizer.summarize("", text.split("\n"))
            spent = time.process_time() - c0
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append(spent * 1000)
            total += spent
        round_cpu.append(total)
    n = len(texts)
    return n / statistics.median(round_cpu), n / min(round_cpu), wall, cpu


def portal_body() -> str:
    text = PORTAL.read_text(encoding="utf-8")
    body = text[text.index("今年以来") : text.index("版权声明")]
    return "\n".join(line.strip() for line in body.splitlines() if len(line.strip()) > 1)


def sample_portal_bodies() -> list[str]:
    """The bundled sample portal's articles, extracted as the service extracts them."""
    from newsbot.extract import extract_article

    root = ROOT / "src" / "newsbot" / "sample_portal"
    bodies = []
    for path in sorted(root.rglob("[0-9]*.html")):
        page = extract_article(path.read_bytes(), f"http://www.shanxidayuan.com/{path.name}")
        bodies.append("\n".join(page.paragraphs))
    return bodies


def p95(values: Sequence[float]) -> float:
    return sorted(values)[max(0, math.ceil(0.95 * len(values)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 LCSTS pairs, shorter timing")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is not available", file=sys.stderr)
        return 2
    ours(
        "今年以来，阳泉高新区带动就业1003人。全区175个党组织。", 1
    )  # load the dictionary and the IDF table outside the timings
    lcsts = load_lcsts(DATA / "lcsts_PART_III.txt")
    clts = load_clts(DATA / "clts_samples.txt")
    if args.quick:
        lcsts = lcsts[:200]
    lc = evaluate(
        "LCSTS III (label>=3)",
        lcsts,
        {"LEAD-1": (lead, 1), "TextRank-1": (textrank, 1), "newsbot": (ours, 1)},
    )
    cl = evaluate(
        "CLTS samples",
        clts,
        {"LEAD-3": (lead, 3), "TextRank-3": (textrank, 3), "newsbot": (ours, 3)},
    )

    print("\nkey point shape")
    point_shapes("CLTS samples", [t for t, _ in clts])
    point_shapes("LCSTS III", [t for t, _ in lcsts])
    if PORTAL.exists():
        point_shapes("portal article 5849", [portal_body()])
    point_shapes("sample portal", sample_portal_bodies())

    rounds = 5 if args.quick else 30
    typical = [t for t, _ in clts] + ([portal_body()] if PORTAL.exists() else [])
    rate, best_rate, _, _ = speed(typical, rounds)
    short_rate, _, _, _ = speed([t for t, _ in lcsts[:200]], max(1, rounds // 5))
    long_texts = [(t * 3)[:3000] for t in typical]
    long_rate, _, long_wall, long_cpu = speed(long_texts, rounds)
    c0 = time.process_time()
    for text in typical:
        textrank(text, 3)
    tr_rate = len(typical) / (time.process_time() - c0)
    mean_chars = statistics.mean(map(len, typical))
    print(
        f"\nspeed: articles per CPU-second of this process (= one core), median of {rounds} rounds;"
        f" ratio to sentence TextRank-3 on the same articles ({tr_rate:.0f}/s)"
    )
    print(
        f"typical articles (CLTS + portal, mean {mean_chars:.0f} chars): {rate:.0f} articles/s "
        f"({rate / tr_rate:.1f}x), best round {best_rate:.0f}/s"
    )
    print(f"LCSTS texts (~110 chars): {short_rate:.0f} articles/s")
    print(
        f"3,000-character articles: {long_rate:.0f} articles/s; latency p50 "
        f"{statistics.median(long_wall):.2f} ms, p95 {p95(long_wall):.2f} ms wall "
        f"(CPU p95 {p95(long_cpu):.2f} ms)"
    )

    goals = [
        ("CLTS R1 >= LEAD-3", cl["newsbot"]["R1"] >= cl["LEAD-3"]["R1"]),
        ("CLTS RL >= LEAD-3", cl["newsbot"]["RL"] >= cl["LEAD-3"]["RL"]),
        ("LCSTS R1 >= LEAD-1", lc["newsbot"]["R1"] >= lc["LEAD-1"]["R1"]),
        ("LCSTS RL >= LEAD-1", lc["newsbot"]["RL"] >= lc["LEAD-1"]["RL"]),
        (">= 200 typical articles/s", rate >= 200),
    ]
    print("\ngoals: " + ", ".join(f"{g}: {'met' if ok else 'MISSED'}" for g, ok in goals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
