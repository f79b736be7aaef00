"""Extraction benchmark: char-4gram P/R/F1 of ours vs readability-lxml and trafilatura.

    .venv/bin/python benchmarks/bench_extract.py [--quick] [--split tune|check|all] [--only NAME]

Corpora (by relative path from the repo root): ../shared/corpora/extraction/cwced
(original/*.html vs cleaned/*.txt) and daniel-zh-dev (html/<id> vs reference/<id>, gold as <p>
paragraphs). Tokens: each CJK character is a token, each ASCII letter/digit run is a token,
everything else (punctuation, spaces) is dropped after NFKC; 4-grams over that token sequence are
compared as multisets, P/R/F1 per page, then averaged over the pages (macro). Every system is
scored on its title plus body text (no image captions: ours keeps them apart); the DAniEL gold
holds the title, the CWCED gold does not, which costs every system alike. Every system gets the
raw bytes, as it would in production ("own decoding"); the baselines are also run on our decoded
text ("our decoding") so the table shows what decoding alone is worth. Also printed: U+FFFD in our
output for CWCED's GBK pages, boilerplate lines left on the sample portal, pages/s.

--split: pages are split by a stable hash of their file name; "tune" is the half the extractor
was tuned on, "check" the held-out half (see docs/extraction.md).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import sys
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsbot.extract import decode_html, extract_article  # noqa: E402
from newsbot.extract.boilerplate import is_boilerplate_line  # noqa: E402
from newsbot.extract.meta import parse_datetime  # noqa: E402
from newsbot.sample_portal import article_pages  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora" / "extraction"
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+")

Extractor = Callable[[bytes, str], str]


@dataclass(frozen=True)
class Page:
    name: str
    html: bytes
    gold: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


def grams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    p_grams, g_grams = grams(predicted), grams(gold)
    overlap = sum((p_grams & g_grams).values())
    precision = overlap / sum(p_grams.values()) if p_grams else 0.0
    recall = overlap / sum(g_grams.values()) if g_grams else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def in_split(name: str, split: str) -> bool:
    if split == "all":
        return True
    bucket = hashlib.sha1(name.encode()).digest()[0] % 2
    return (bucket == 0) == (split == "tune")


def load_cwced(limit: int | None, split: str) -> list[Page]:
    base = CORPORA / "cwced"
    pages = []
    for path in sorted((base / "original").glob("*.html")):
        gold = base / "cleaned" / (path.stem + ".txt")
        if gold.exists() and in_split(path.name, split):
            pages.append(Page(path.name, path.read_bytes(), gold.read_text("utf-8", "replace")))
    return pages[:limit]


def load_daniel(limit: int | None, split: str) -> list[Page]:
    base = CORPORA / "daniel-zh-dev"
    pages = []
    for path in sorted((base / "html").iterdir()):
        gold = base / "reference" / path.name
        if gold.exists() and in_split(path.name, split):
            raw = gold.read_text("utf-8", "replace")
            paras = [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", raw, re.S)]
            pages.append(Page(path.name, path.read_bytes(), "\n".join(paras)))
    return pages[:limit]


def ours(body: bytes, url: str) -> str:
    page = extract_article(body, url)
    return page.title + "\n" + page.text


def _readability(source: bytes | str) -> str:
    from lxml import html as lxml_html
    from readability import Document

    doc = Document(source)
    summary = doc.summary(html_partial=True)
    text = lxml_html.fromstring(summary).text_content() if summary.strip() else ""
    return doc.short_title() + "\n" + text


def _trafilatura(source: bytes | str) -> str:
    import trafilatura

    doc = trafilatura.bare_extraction(source, include_comments=False, with_metadata=True)
    if doc is None:
        return ""
    return f"{getattr(doc, 'title', '') or ''}\n{getattr(doc, 'text', '') or ''}"


def readability_own(body: bytes, url: str) -> str:
    return _readability(body)


def readability_ours(body: bytes, url: str) -> str:
    return _readability(decode_html(body, None))


def trafilatura_own(body: bytes, url: str) -> str:
    return _trafilatura(body)


def trafilatura_ours(body: bytes, url: str) -> str:
    return _trafilatura(decode_html(body, None))


SYSTEMS: dict[str, Extractor] = {
    "ours": ours,
    "readability (own decoding)": readability_own,
    "readability (our decoding)": readability_ours,
    "trafilatura (own decoding)": trafilatura_own,
    "trafilatura (our decoding)": trafilatura_ours,
}


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    pages_per_s: float
    failures: int


def run(system: Extractor, pages: Iterable[Page]) -> tuple[Score, list[tuple[str, float]]]:
    rows: list[tuple[float, float, float]] = []
    per_page: list[tuple[str, float]] = []
    failures = 0
    started = time.perf_counter()
    for page in pages:
        try:
            text = system(page.html, f"http://example.test/{page.name}")
        except Exception:  # a baseline crashing counts as an empty output, not a dead benchmark
            failures += 1
            text = ""
        rows.append(prf(text, page.gold))
        per_page.append((page.name, rows[-1][2]))
    elapsed = time.perf_counter() - started
    n = max(len(rows), 1)
    score = Score(
        sum(r[0] for r in rows) / n,
        sum(r[1] for r in rows) / n,
        sum(r[2] for r in rows) / n,
        len(rows) / elapsed if elapsed else 0.0,
        failures,
    )
    return score, per_page


def fffd_on_gbk(pages: list[Page]) -> tuple[int, int]:
    """(GBK-declared pages, U+FFFD characters in our extracted text for them)."""
    gbk = [
        p for p in pages if re.search(rb"charset=[\"']?(gb2312|gbk|gb18030)", p.html[:4096], re.I)
    ]
    return len(gbk), sum(ours(p.html, p.name).count("\ufffd") for p in gbk)


def metadata_accuracy(pages: list[Page]) -> tuple[int, int, int, int]:
    """DAniEL's reference starts with the headline, then usually a line with the date:
    (pages, titles equal, pages whose reference shows a date+time, published equal to the minute)."""
    titles = dated = dates = 0
    for page in pages:
        lines = page.gold.splitlines()
        result = extract_article(page.html, page.name)
        if lines and re.sub(r"\s+", "", result.title) == re.sub(r"\s+", "", lines[0]):
            titles += 1
        shown = (
            parse_datetime(lines[1]) if len(lines) > 1 and re.search(r"\d:\d", lines[1]) else None
        )
        if shown is not None:
            dated += 1
            dates += (
                result.published is not None
                and abs((result.published - shown).total_seconds()) < 60
            )
    return len(pages), titles, dated, dates


def portal_boilerplate() -> tuple[int, int]:
    """(sample-portal article pages, boilerplate lines left in their extracted text)."""
    paths = article_pages()
    left = 0
    for path in paths:
        page = extract_article(path.read_bytes(), path.as_uri())
        left += sum(1 for line in page.paragraphs if is_boilerplate_line(line))
    return len(paths), left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 pages per corpus")
    parser.add_argument("--split", choices=["tune", "check", "all"], default="all")
    parser.add_argument("--only", help="run only systems whose name contains this")
    parser.add_argument("--worst", type=int, default=0, help="list our N worst pages")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    limit = 20 if args.quick else None
    corpora = {
        "cwced": load_cwced(limit, args.split),
        "daniel-zh-dev": load_daniel(limit, args.split),
    }
    systems = {k: v for k, v in SYSTEMS.items() if not args.only or args.only in k or k == "ours"}
    results: dict[tuple[str, str], Score] = {}
    for corpus, pages in corpora.items():
        for name, system in systems.items():
            score, per_page = run(system, pages)
            results[corpus, name] = score
            if name == "ours" and args.worst:
                for page_name, f1 in sorted(per_page, key=lambda r: r[1])[: args.worst]:
                    print(f"  worst {corpus} {page_name} F1={f1:.3f}")
    print_table(corpora, systems, results)
    gbk_pages, fffd = fffd_on_gbk(corpora["cwced"])
    print(f"\nU+FFFD in our output on CWCED's {gbk_pages} GBK-declared pages: {fffd}")
    total, titles, dated, dates = metadata_accuracy(corpora["daniel-zh-dev"])
    print(
        f"DAniEL titles equal to the reference's headline: {titles}/{total}; "
        f"publication time equal (to the minute) where the reference shows one: {dates}/{dated}"
    )
    portal_pages, left = portal_boilerplate()
    print(f"Boilerplate lines left on the sample portal's {portal_pages} article pages: {left}")


def print_table(
    corpora: dict[str, list[Page]],
    systems: dict[str, Extractor],
    results: dict[tuple[str, str], Score],
) -> None:
    print(
        f"\n{'corpus':<14} {'system':<28} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} "
        f"{'F1 ours/x':>9} {'pages/s':>8} {'fail':>4}"
    )
    for corpus, pages in corpora.items():
        mine = results[corpus, "ours"].f1
        for name in systems:
            s = results[corpus, name]
            ratio = mine / s.f1 if s.f1 else float("inf")
            print(
                f"{corpus:<14} {name:<28} {len(pages):>5} {s.precision:>6.3f} {s.recall:>6.3f} "
                f"{s.f1:>6.3f} {ratio:>9.3f} {s.pages_per_s:>8.1f} {s.failures:>4}"
            )


if __name__ == "__main__":
    main()
