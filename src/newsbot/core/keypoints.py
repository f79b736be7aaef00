"""Helpers of the summarizer: sentence units (bigrams, cached), keywords by jieba's lexicon and IDF, bigram similarity, headings,
and the faithful trimming of a sentence into a key point.

A key point is a whole sentence of the article, or, when the sentence is longer than
max_point_chars, its leading complete clauses: first an attribution tail after a closing quote
(……。”某某说。) and a trailing byline ((吴珊 刘梦琪)) go, then a leading time or connective filler
(今年以来，/ 此外，) and the clauses past the limit. Never pieces glued with an ellipsis (…): a
point is one contiguous stretch of its sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

from newsbot.core import segment
from newsbot.core.text import spaced

_STOPWORDS = frozenset(
    spaced(
        "我们 他们 你们 这个 那个 这些 那些 一个 没有 什么 可以 已经 进行 通过 以及 其中 同时 "
        "还是 就是 因为 所以 但是 如果 并且 而且 不断 积极 有效 相关 工作 开展 推进 推动 加强 "
        "the a an and or of to in on for with by is are was were be been it its this that as at from "
        "has have had will would not but he she they we you i said says"
    )
)
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,}")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]+|\d+(?:\.\d+)?")
_FILLER_RE = re.compile(
    r"^(?:今年以来|近年来|近日|日前|目前|同时|此外|另外|与此同时|据了解|据悉|据介绍|"
    r"记者了解到|记者获悉|截至目前|截至发稿|总之|因此|然而|不过|当前|眼下|如今)[，,]\s*"
)
_ATTRIBUTION_RE = re.compile(
    r"(?<=[”」』])\s*[^，,。“”「」]{1,24}?(?:说|表示|介绍|指出|告诉记者|谈道|坦言|透露)[。.！!]?$"
)
_BYLINE_RE = re.compile(r"\s*[（(][^（）()0-9]{1,14}[）)]$")
# Openers of addition, part and example: the sentence elaborates the one before it.
_ELABORATION_RE = re.compile(
    r"^(?:此外|另外|除此之外|除此以外|同时|与此同时|其次|再次|再者|其中|例如|比如|譬如|"
    r"举例来说|具体来说|具体而言|以[^，,。]{1,12}为例)"
)
_CLAUSE_MARKS = frozenset("，,；;：:")
_OPENERS = frozenset("“‘「『（(【《")
_CLOSERS_SET = frozenset("”’」』）)】》")
_TERMINAL = "。！？；!?;.…”’」』）)"
ELLIPSIS = "…"


def keyword_units(grams: Iterable[str]) -> list[str]:
    """The similarity units that can be keywords: two-character words of the jieba lexicon
    (user dictionary included) and Latin words.

    Why not segment with jieba: full segmentation took about 5 ms of a 9 ms summary of a
    1,700-character article (2-3 us per character in pure Python), and looking every 2-4
    character stretch up in the lexicon still took 2.5 ms. Chinese news keywords are mostly
    two-character words, and longer ones (高新区, 党组织) are carried by their two-character
    parts (高新, 新区, 党组, 组织), so bigram lookups keep the signal at a fraction of the cost."""
    lexicon = _lexicon()
    return [g for g in grams if g not in _STOPWORDS and (lexicon.get(g) or g.isascii())]


def _lexicon() -> dict[str, int]:
    # jieba's FREQ also holds every prefix of a word with count 0: only counts > 0 are words.
    freq: dict[str, int] = segment.tokenizer().FREQ
    return freq


@lru_cache(maxsize=1)
def _idf_table() -> tuple[dict[str, float], float]:
    import jieba.analyse  # loads jieba's IDF table (about 0.5 s, once)

    tfidf = jieba.analyse.default_tfidf
    return dict(tfidf.idf_freq), float(tfidf.median_idf)


def idf(word: str) -> float:
    """Inverse document frequency from jieba's table; unseen words get the median."""
    table, median = _idf_table()
    return table.get(word, median)


@lru_cache(maxsize=8192)
def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the CJK runs and lower-cased Latin words: the similarity units."""
    grams = {run[i : i + 2] for run in _CJK_RUN_RE.findall(text) for i in range(len(run) - 1)}
    grams.update(w.lower() for w in _WORD_RE.findall(text) if w.lower() not in _STOPWORDS)
    return frozenset(grams)


def overlap(reference: frozenset[str], grams: frozenset[str]) -> float:
    """Share of `reference` found in `grams` (0 when the reference is empty)."""
    return len(reference & grams) / len(reference) if reference else 0.0


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def is_heading(sentence: str, sentences_in_paragraph: int) -> bool:
    """A sub-heading or caption line: alone in its paragraph, short, without an end mark."""
    if sentences_in_paragraph != 1:
        return False
    return len(sentence) <= 30 and not sentence.endswith(tuple(_TERMINAL))


def is_elaboration(sentence: str) -> bool:
    """Opens with a marker of addition, part or example (此外, 另外, 其中, 例如 ...): in
    rhetorical-structure terms a satellite of the sentence before it. Contrast and result
    markers (但是, 因此) are not here: on LCSTS such sentences are the reference's best match
    as often as any other (27% against 25%)."""
    return bool(_ELABORATION_RE.match(sentence))


def trim(sentence: str, limit: int) -> str:
    """The sentence as a key point: the whole sentence when it fits in `limit` characters, else
    its leading complete clauses (never pieces glued with an ellipsis)."""
    text = sentence.strip()
    if len(text) <= limit:
        return text
    # Who said it is worth keeping while there is room; past the limit it goes first.
    text = _BYLINE_RE.sub("", _ATTRIBUTION_RE.sub("", text, count=1), count=1).strip() or text
    if len(text) <= limit:
        return text
    return leading_clauses(text, limit)


def leading_clauses(text: str, limit: int) -> str:
    """The longest run of whole clauses from the start of `text` (after a leading filler such
    as 今年以来，) within `limit` characters, at least the first clause, without the clause mark
    it ends on. A clause ends at ，；： outside quotation marks and brackets, so a quotation is
    never cut open."""
    body = _FILLER_RE.sub("", text, count=1).strip() or text
    out = ""
    for clause in _clauses(body):
        if out and len(out) + len(clause) > limit:
            break
        out += clause
        if len(out) > limit:
            break
    return out.rstrip("，,；;：: ")


def _clauses(text: str) -> list[str]:
    clauses: list[str] = []
    depth = start = 0
    for i, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS_SET and depth:
            depth -= 1
        elif char in _CLAUSE_MARKS and not depth:
            clauses.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        clauses.append(text[start:])
    return clauses
