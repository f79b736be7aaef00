"""The extractive summarizer: (title, paragraphs) -> Summary with key points and figures.

Each sentence gets a salience score from four signals, then MMR picks the points:
- lead: news puts the result first; the k-th candidate gets 1/k (the strongest signal: LEAD-k
  is the baseline every published system struggles to beat);
- title overlap: share of the title's character bigrams the sentence contains;
- keywords: weight of the article's top keywords it holds (sentence frequency x jieba IDF of the
  two-character words of jieba's lexicon; see keypoints.keyword_units for why not full jieba);
- figures: how newsworthy its quantities are (core.figures.headline_score: money, people, rates,
  totals and outcomes count; a plain count or a recipe's 3分钟 does not).
A sentence that opens with a marker of addition, part or example (此外, 其中, 例如) elaborates
the sentence before it and is capped at that sentence's score.
Maximal marginal relevance (character-bigram cosine) keeps near-repeats out. The chosen sentences
come back in article order, trimmed of filler (see core.keypoints). Everything is deterministic:
ties break by position. Every sentence is turned into units once (and cached).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from newsbot.core import figures as figures_module
from newsbot.core import keypoints
from newsbot.core.figures import figures_in_sentences, headline_figures, headline_score
from newsbot.core.models import DEFAULT_SUMMARY, Figure, Summary
from newsbot.core.text import clean_whitespace, split_sentences

_LEAD_WEIGHT = 3.0
_TITLE_WEIGHT = 1.2
_KEYWORD_WEIGHT = 0.25
_FIGURE_WEIGHT = 1.0
_LEAD_DECAY = 1.0
# A figure's headline_score up to _PLAIN_FIGURE adds nothing (a plain count); _STRONG_FIGURE
# more than that makes its sentence's figure signal full.
_PLAIN_FIGURE = 1.5
_STRONG_FIGURE = 1.5
_MMR_LAMBDA = 0.7
_TOP_KEYWORDS = 20
_MIN_SENTENCE_CHARS = 5  # 除夕放不放假？ is a lead; 图片 (2 chars) is not
_SHORT_TEXT = 200  # characters of body; below this, one point
_LONG_TEXT = 2500  # from here on, one more point per _CHARS_PER_POINT characters
_CHARS_PER_POINT = 1500


@dataclass(frozen=True, slots=True)
class _Sentence:
    index: int  # position among all sentences of the body
    text: str
    paragraph: int
    first_in_paragraph: bool
    candidate: bool  # headings, captions and fragments are never key points


class SummaryOptions(Protocol):
    """What the summarizer is told (config's [summary] satisfies it; core reads no config)."""

    @property
    def min_points(self) -> int: ...
    @property
    def max_points(self) -> int: ...
    @property
    def max_point_chars(self) -> int: ...
    @property
    def headline_figures(self) -> int: ...


class ExtractiveSummarizer:
    """The default Summarizer (ports.Summarizer): pure, deterministic, no network."""

    def __init__(self, settings: SummaryOptions | None = None) -> None:
        self.settings: SummaryOptions = settings or DEFAULT_SUMMARY

    def summarize(self, title: str, paragraphs: Sequence[str]) -> Summary:
        """Key points in article order, every figure, and the headline figures."""
        sentences = _sentences(paragraphs)
        texts = [s.text for s in sentences]
        figures = figures_in_sentences(texts)
        headlines = headline_figures(figures, texts, self.settings.headline_figures)
        chosen = self._choose(clean_whitespace(title), sentences, figures)
        limit = self.settings.max_point_chars
        points = [keypoints.trim(sentences[i].text, limit) for i in sorted(chosen)]
        return Summary(tuple(p for p in points if p), tuple(figures), tuple(headlines))

    def warm_up(self) -> None:
        """Load jieba's dictionary, IDF and part-of-speech tables now (about 2 s, once per
        process) instead of inside the first summary."""
        self.summarize("预热", ["今年以来，阳泉高新区带动就业1003人，全区175个党组织。"])

    def point_count(self, body_chars: int, candidates: int) -> int:
        """How many points a body of this length gets, never more than its candidate sentences:
        1 below _SHORT_TEXT characters (a LCSTS-sized paragraph, one line of reference),
        min_points up to _LONG_TEXT (a 400-character portal article with three informative
        sentences gets three), then one more per _CHARS_PER_POINT up to max_points."""
        s = self.settings
        if body_chars < _SHORT_TEXT:
            wanted = 1
        else:
            extra = max(0, body_chars - _LONG_TEXT) // _CHARS_PER_POINT
            wanted = s.min_points + (extra + 1 if body_chars >= _LONG_TEXT else 0)
        return max(0, min(wanted, s.max_points, candidates))

    def _choose(
        self,
        title: str,
        sentences: list[_Sentence],
        figures: Sequence[Figure],
    ) -> list[int]:
        candidates = [s for s in sentences if s.candidate]
        body_chars = sum(len(s.text) for s in sentences)
        count = self.point_count(body_chars, len(candidates))
        if count == 0:
            return []
        grams = {s.index: keypoints.bigrams(s.text) for s in candidates}
        figure_value = _figure_values(figures, [s.text for s in sentences])
        scores = _salience(title, candidates, grams, figure_value)
        return _mmr(candidates, grams, scores, count)


def clear_caches() -> None:
    """Forget the per-sentence caches (bigrams, figure-label words): benchmarks call it to
    time text the summarizer has not seen."""
    keypoints.bigrams.cache_clear()
    figures_module.clear_caches()


def _sentences(paragraphs: Sequence[str]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for p_index, paragraph in enumerate(paragraphs):
        parts = split_sentences(clean_whitespace(paragraph), semicolons=False)
        for s_index, text in enumerate(parts):
            candidate = len(text) >= _MIN_SENTENCE_CHARS and not keypoints.is_heading(
                text, len(parts)
            )
            out.append(_Sentence(len(out), text, p_index, s_index == 0, candidate))
    return out


def _salience(
    title: str,
    candidates: list[_Sentence],
    grams: dict[int, frozenset[str]],
    figure_value: dict[int, float],
) -> dict[int, float]:
    frequency: Counter[str] = Counter()
    for s in candidates:
        frequency.update(grams[s.index])
    weights = _keyword_weights(frequency)
    title_grams = keypoints.bigrams(title)
    keyword_scores = {s.index: _keyword_score(grams[s.index], weights) for s in candidates}
    max_kw = max(keyword_scores.values(), default=0.0)
    scores: dict[int, float] = {}
    for rank, s in enumerate(candidates):
        lead = (1 + rank) ** -_LEAD_DECAY + (0.15 if s.first_in_paragraph else 0.0)
        overlap = keypoints.overlap(title_grams, grams[s.index])
        keyword = keyword_scores[s.index] / max_kw if max_kw else 0.0
        figure = figure_value.get(s.index, 0.0)
        scores[s.index] = (
            _LEAD_WEIGHT * lead
            + _TITLE_WEIGHT * overlap
            + _KEYWORD_WEIGHT * keyword
            + _FIGURE_WEIGHT * figure
        )
        if rank and keypoints.is_elaboration(s.text):
            # A satellite is never worth more than its nucleus (其中 parts below their total,
            # 此外 details below the point they add to); no tuned penalty needed.
            scores[s.index] = min(scores[s.index], scores[candidates[rank - 1].index])
    return scores


def _figure_values(figures: Sequence[Figure], texts: Sequence[str]) -> dict[int, float]:
    """Per sentence, 0..1: how newsworthy its figures are. Only what a plain count does not
    reach counts (money, people, rates, totals, outcomes), so a recipe's 3分钟 or a list of
    5支 teams does not pull a sentence into the summary; see figures.headline_score."""
    values: dict[int, float] = {}
    for figure in figures:
        gain = max(0.0, headline_score(figure, texts) - _PLAIN_FIGURE) / _STRONG_FIGURE
        values[figure.sentence] = min(1.0, values.get(figure.sentence, 0.0) + gain)
    return values


def _keyword_weights(frequency: Counter[str]) -> dict[str, float]:
    """Sentence frequency x IDF of the article's keyword units; the top _TOP_KEYWORDS count."""
    # A keyword recurs: in a long article only units found in 2+ sentences are looked up (most
    # bigrams occur once, and each lookup in jieba's 500k-entry tables is a cache miss).
    repeated = [g for g, n in frequency.items() if n > 1]
    pool = repeated if len(repeated) >= _TOP_KEYWORDS else list(frequency)
    idf = keypoints.idf
    weighted = sorted(
        ((frequency[w] * idf(w), w) for w in keypoints.keyword_units(pool)),
        key=lambda x: (-x[0], x[1]),
    )
    return {w: score for score, w in weighted[:_TOP_KEYWORDS]}


def _keyword_score(grams: frozenset[str], weights: dict[str, float]) -> float:
    """Weight of the keywords a sentence holds, damped by its length so that long sentences do
    not win by sheer size."""
    hits = grams.intersection(weights)
    return sum(weights[w] for w in hits) / math.sqrt(max(len(grams), 8))


def _mmr(
    candidates: list[_Sentence],
    grams: dict[int, frozenset[str]],
    scores: dict[int, float],
    count: int,
) -> list[int]:
    """Greedy maximal marginal relevance; ties go to the earlier sentence."""
    top = max(scores.values()) or 1.0
    chosen: list[int] = []
    remaining = [s.index for s in candidates]
    while remaining and len(chosen) < count:
        best, best_value = remaining[0], -math.inf
        for index in remaining:
            redundancy = max((keypoints.cosine(grams[index], grams[c]) for c in chosen), default=0)
            value = _MMR_LAMBDA * scores[index] / top - (1 - _MMR_LAMBDA) * redundancy
            if value > best_value:
                best, best_value = index, value
        chosen.append(best)
        remaining.remove(best)
    return chosen
