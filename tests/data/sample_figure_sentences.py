"""Draw the sentences of the real-text figure set (tests/data/figures_corpus.jsonl) from
../shared/corpora, reproducibly: the labels themselves were written by hand (docs/figures.md).

    .venv/bin/python tests/data/sample_figure_sentences.py [--per-file N] > candidates.txt

Sources, in sorted file order: DAniEL zh dev references, CWCED cleaned texts (hard-wrapped lines
joined), CLTS sample articles. From each file, the first N sentences (default 3; 16 for the
7 long CLTS articles, the closest to the portal's mainland news) that hold a digit or a Chinese
numeral followed by a measure-word-like character; every such sentence is
kept, figure or not (negatives matter). The split: files alternate tune/held-out by the
parity of a CRC32 of their path, so no article is in both halves.
"""

from __future__ import annotations

import argparse
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from newsbot.core.text import split_sentences

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
_NUMERIC_RE = re.compile(
    r"[0-9０-９]|[一二两三四五六七八九十百千万半][一二两三四五六七八九十百千万]*"
    r"(?:[个名人条项家户元亿万成年月天倍吨米届次位支分股艘只座所架]|多|余)"
)

_TAG_RE = re.compile(r"</?p>")


def sources() -> Iterator[tuple[str, str]]:
    """(path relative to the repo root, text) of every source file."""
    for path in sorted((CORPORA / "extraction/daniel-zh-dev/reference").iterdir()):
        # The references keep the article's <p> markup: the text is what is between the tags.
        yield _rel(path), _TAG_RE.sub("", path.read_text(encoding="utf-8", errors="replace"))
    for path in sorted((CORPORA / "extraction/cwced/cleaned").glob("*.txt")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        # Hard-wrapped at a fixed width: a line break inside a paragraph is not a sentence end.
        yield _rel(path), re.sub(r"(?<=\S)\n(?=\S)", "", raw)
    clts = CORPORA / "summarization/clts_samples.txt"
    for n, line in enumerate(clts.read_text(encoding="utf-8").splitlines()):
        if line.startswith('{"article"'):
            yield f"{_rel(clts)}#{n + 1}", json.loads(line)["article"]


def _rel(path: Path) -> str:
    return "../" + str(path.relative_to(ROOT.parent))


def split_of(source: str) -> str:
    return "heldout" if zlib.crc32(source.split("#")[0].encode() + source.encode()) % 2 else "tune"


def candidates(per_file: int, per_clts_file: int = 16) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()  # DAniEL holds the same story from several sites
    for source, text in sources():
        taken = 0
        limit = per_clts_file if "clts" in source else per_file
        for sentence in split_sentences(text):
            sentence = sentence.strip()
            if taken >= limit:
                break
            if sentence in seen:
                continue
            if 8 <= len(sentence) <= 160 and _NUMERIC_RE.search(sentence):
                seen.add(sentence)
                taken += 1
                yield source, sentence


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-file", type=int, default=3)
    args = parser.parse_args()
    for source, sentence in candidates(args.per_file):
        print(
            json.dumps(
                {"source": source, "split": split_of(source), "sentence": sentence},
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
