"""Figure extraction benchmark: precision and recall per class on real, hand-labelled text.

    .venv/bin/python benchmarks/bench_figures.py [--quick] [--show-misses tune]

Data: tests/data/figures_corpus.jsonl, sentences drawn from ../shared/corpora (DAniEL zh dev,
CWCED, CLTS samples) by tests/data/sample_figure_sentences.py and labelled by hand following
docs/figures.md. Each sentence is in the tuning half or the held-out half (by source file); the
extractor was tuned on the tuning half only, and the held-out half is the score to quote.

A found figure is right when its text, value (relative 1e-6) and unit all match a labelled one.
Classes are given by the figure's text (docs/figures.md): a wrong figure counts against the
precision of its own class, a missed one against the recall of the labelled one's class.
Baseline, measured in the same run: a plain regular expression (Arabic number, optional 万/亿,
one of 20 common units), what a quick extractor would do.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from newsbot.core.figures import extract_figures

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "figures_corpus.jsonl"

Item = tuple[str, float, str]  # text as written, value in the base unit, unit
Extractor = Callable[[str], list[Item]]
CLASSES = ("plain", "scaled", "rate", "unit", "chinese", "fullwidth")
_RARE_UNIT_RE = re.compile(
    r"/|／|交易日|蒸吨|海里|微米|毫米|厘米|摄氏度|金|大卡|批次|台次|部门|周岁|方面"
)
_NAIVE_RE = re.compile(
    r"(\d+(?:\.\d+)?)(万|亿)?(元|人|个|名|条|家|项|次|%|吨|米|公里|亩|户|年|天|岁|种|件|份|位)"
)


def figure_class(text: str, unit: str) -> str:
    """The class of a figure by how it is written (one class each, first that applies)."""
    if re.search(r"[０-９]", text):
        return "fullwidth"
    if not re.search(r"\d", text):
        return "chinese"  # 四成, 三分之一, 一年半, 两万, 十几年, 百分之百
    if re.search(r"[万亿萬億]", text):
        return "scaled"
    if unit in ("%", "个百分点", "倍"):
        return "rate"
    if _RARE_UNIT_RE.search(text) or _RARE_UNIT_RE.search(unit):
        return "unit"
    return "plain"


def load(split: str | None = None) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split is None or r["split"] == split]


def newsbot(sentence: str) -> list[Item]:
    return [(f.text, f.value, f.unit) for f in extract_figures(sentence)]


def naive(sentence: str) -> list[Item]:
    scale = {"万": 1e4, "亿": 1e8, None: 1.0}
    return [
        (m.group(0), float(m.group(1)) * scale[m.group(2)], m.group(3))
        for m in _NAIVE_RE.finditer(sentence)
    ]


def _same(found: Item, expected: Item) -> bool:
    return (
        found[0] == expected[0]
        and abs(found[1] - expected[1]) <= 1e-6 * max(1.0, abs(expected[1]))
        and found[2] == expected[2]
    )


def score(
    rows: Sequence[dict[str, object]], extractor: Extractor
) -> tuple[dict[str, Counter[str]], list[str]]:
    """Per class: right, found, expected counts; and the list of errors."""
    counts: dict[str, Counter[str]] = {c: Counter() for c in (*CLASSES, "all")}
    errors: list[str] = []
    for row in rows:
        sentence = str(row["sentence"])
        expected = [tuple(x) for x in row["figures"]]  # type: ignore[attr-defined]
        unmatched = list(extractor(sentence))
        for item in unmatched:
            counts[figure_class(item[0], item[2])]["found"] += 1
            counts["all"]["found"] += 1
        for item in expected:
            cls = figure_class(item[0], item[2])
            counts[cls]["expected"] += 1
            counts["all"]["expected"] += 1
            hit = next((f for f in unmatched if _same(f, item)), None)  # type: ignore[arg-type]
            if hit is None:
                errors.append(f"missed  [{cls}] {item}  in {sentence}")
                continue
            unmatched.remove(hit)
            counts[figure_class(hit[0], hit[2])]["right"] += 1
            counts["all"]["right"] += 1
        errors.extend(f"wrong   [{figure_class(f[0], f[2])}] {f}  in {sentence}" for f in unmatched)
    return counts, errors


def _ratio(right: int, total: int) -> float:
    return right / total if total else float("nan")


def report(name: str, rows: Sequence[dict[str, object]]) -> dict[str, float]:
    ours, _ = score(rows, newsbot)
    base, _ = score(rows, naive)
    print(f"\n{name}: {len(rows)} sentences, {ours['all']['expected']} labelled figures")
    print(f"{'class':<10}{'n':>5}{'P':>8}{'R':>8}{'F1':>8}   {'baseline P':>10}{'R':>7}")
    for cls in (*CLASSES, "all"):
        c, b = ours[cls], base[cls]
        p, r = _ratio(c["right"], c["found"]), _ratio(c["right"], c["expected"])
        f1 = 2 * p * r / (p + r) if p + r else float("nan")
        bp, br = _ratio(b["right"], b["found"]), _ratio(b["right"], b["expected"])
        print(f"{cls:<10}{c['expected']:>5}{p:>8.3f}{r:>8.3f}{f1:>8.3f}   {bp:>10.3f}{br:>7.3f}")
    c, b = ours["all"], base["all"]
    p, r = _ratio(c["right"], c["found"]), _ratio(c["right"], c["expected"])
    bp, br = _ratio(b["right"], b["found"]), _ratio(b["right"], b["expected"])
    print(f"ratio to baseline: P x{p / bp:.2f}, R x{r / br:.2f}")
    return {"precision": p, "recall": r}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the held-out half only")
    parser.add_argument("--show-misses", choices=("tune", "heldout"), default=None)
    args = parser.parse_args(argv)
    if not DATA.exists():
        print("no labelled set (tests/data/figures_corpus.jsonl); skipped")
        return 0
    if args.show_misses:
        for line in score(load(args.show_misses), newsbot)[1]:
            print(line)
        return 0
    if not args.quick:
        report("tuning half", load("tune"))
    held = report("HELD-OUT half (not tuned on)", load("heldout"))
    goal = held["precision"] >= 0.95 and held["recall"] >= 0.90
    print(f"\nheld-out goal P >= 0.95, R >= 0.90: {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
