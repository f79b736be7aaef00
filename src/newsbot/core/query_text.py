"""Search text handling: normalisation, index/query tokens and snippets. Pure: no I/O but the
one-time load of the conversion dictionaries.

Index and query go through the same steps, so they always agree:
  normalize():  NFKC (full-width ＡＢＣ１２３ -> ABC123), traditional -> simplified (OpenCC t2s),
                lower case;
  units():      runs of Han characters and runs of other letters/digits; nothing else counts;
  compact():    the units joined by spaces: a term matches where its needle is a substring;
  gram_stream(): one bigram per Han character (SQLite's FTS5 tokens): the same meaning as
                phrases of bigrams.
No word segmentation decides what matches; jieba only tells whole-word hits apart for ranking
(whole_word_at).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from newsbot.core import segment

# Bump when tokenisation here changes; the index records SEGMENTER_VERSION + this.
TOKENIZER_VERSION = "search-bigrams-2"
INDEX_VERSION = f"{segment.SEGMENTER_VERSION}/{TOKENIZER_VERSION}"

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_CHAR = re.compile(f"[{HAN}]")
_UNIT = re.compile(f"[{HAN}]+|[^\\W_{HAN}]+")
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class _T2S:
    """OpenCC t2s plus what makes it fast on text that is (almost) all simplified already."""

    converter: Any
    triggers: frozenset[str]  # characters some dictionary entry would change
    table: dict[int, str]  # the single-character mapping, for str.translate
    phrases: dict[str, tuple[str, ...]]  # first char -> phrase keys that convert differently


_t2s: _T2S | None = None


def _load_t2s() -> _T2S:
    global _t2s
    if _t2s is None:
        with _lock:
            if _t2s is None:
                import opencc

                folder = resources.files("opencc").joinpath("dictionary")
                entries = {}
                for name in ("TSCharacters.txt", "TSPhrases.txt"):
                    for line in folder.joinpath(name).read_text("utf-8").splitlines():
                        key, _, values = line.partition("\t")
                        if key and values:
                            entries[key] = values.split(" ")[0]
                table = {ord(k): v for k, v in entries.items() if len(k) == 1}
                triggers = {c for k, v in entries.items() for c in _changed_chars(k, v)}
                phrases: dict[str, tuple[str, ...]] = {}
                for key, value in entries.items():
                    if len(key) > 1 and key.translate(table) != value:
                        phrases[key[0]] = (*phrases.get(key[0], ()), key)
                _t2s = _T2S(opencc.OpenCC("t2s"), frozenset(triggers), table, phrases)
    return _t2s


def _changed_chars(key: str, value: str) -> set[str]:
    """Characters whose presence lets this dictionary entry change a text: an entry can only
    alter text that contains one of the characters it replaces."""
    if len(key) != len(value):
        return set(key)
    return {k for k, v in zip(key, value, strict=True) if k != v}


def to_simplified(text: str) -> str:
    """Traditional -> simplified, as OpenCC t2s does it. OpenCC costs about 1 ms per 300
    characters; it only runs when a phrase that converts differently from its characters is
    present. Otherwise the per-character mapping (a str.translate) gives the same result."""
    t2s = _load_t2s()
    if t2s.triggers.isdisjoint(text):
        return text
    starts = t2s.phrases.keys() & set(text)
    if any(phrase in text for first in starts for phrase in t2s.phrases[first]):
        result: str = t2s.converter.convert(text)
        return result
    return text.translate(t2s.table)


def normalize(text: str) -> str:
    """The form both the index and the query see."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def units(normalized: str) -> list[str]:
    """The searchable pieces of normalised text, in order: runs of Han characters and runs of
    other letters/digits (1.2万人 -> 1, 2, 万人). Everything else only separates."""
    return _UNIT.findall(normalized)


def is_han(unit: str) -> bool:
    return _HAN_CHAR.match(unit) is not None


def gram_stream(text: str) -> list[str]:
    """Index tokens of one field, one per Han character: the character and the next one of its
    run (the last character of a run alone); every other unit whole.

    A Han string of n >= 2 characters then occurs in the text exactly when its n - 1 bigrams
    stand at consecutive positions: substring semantics whatever the word segmentation."""
    return unit_grams(units(normalize(text)))


def unit_grams(found: list[str]) -> list[str]:
    """A Han run right after a number or word (1.2万人, 4804条) also starts with its first
    character alone, so 1.2万 is the exact phrase 1 2 万 rather than a costly prefix 万*."""
    tokens: list[str] = []
    after_word = False
    for unit in found:
        if is_han(unit):
            if after_word:
                tokens.append(unit[0])
            tokens.extend(unit[i : i + 2] for i in range(len(unit)))
        else:
            tokens.append(unit)
        after_word = not is_han(unit)
    return tokens


def compact(text: str) -> str:
    """The units of `text` separated by single spaces, with a space at each end: a term
    matches exactly when its needle() is a substring of this (the pure matcher and PostgreSQL
    test exactly this; SQLite's bigram phrases mean the same)."""
    return " " + " ".join(units(normalize(text))) + " "


def whole_word_at(compact_text: str, start: int, end: int) -> bool:
    """True when compact_text[start:end] begins and ends on word boundaries: the ends of a
    unit (units are space-separated in compact text), or a place where jieba cuts the Han run
    (质量发展 inside 推动/高质量/发展 is not)."""
    return _boundary(compact_text, start) and _boundary(compact_text, end)


def _boundary(compact_text: str, at: int) -> bool:
    if at <= 0 or at >= len(compact_text) or compact_text[at - 1] in " |":
        return True
    if compact_text[at] in " |":
        return True
    start = max(compact_text.rfind(" ", 0, at), compact_text.rfind("|", 0, at)) + 1
    ends = [e for e in (compact_text.find(" ", at), compact_text.find("|", at)) if e >= 0]
    unit = compact_text[start : min(ends, default=len(compact_text))]
    return not is_han(unit) or at - start in _cuts(unit)


@lru_cache(maxsize=4096)
def _cuts(run: str) -> frozenset[int]:
    """Offsets inside a Han run where jieba puts a word boundary."""
    offsets, at = set(), 0
    for word in segment.cut(run):
        at += len(word)
        offsets.add(at)
    return frozenset(offsets)


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of text with the matched words marked as (start, end) offsets into `text`.

    Channels escape `text` themselves and wrap the spans (e.g. <b>…</b>); no markup in here."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut at the spans: (piece, is_match) in order."""
        pieces: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.spans:
            if start > at:
                pieces.append((self.text[at:start], False))
            pieces.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            pieces.append((self.text[at:], False))
        return pieces


def find_spans(text: str, needles: frozenset[str]) -> list[tuple[int, int]]:
    """Non-overlapping occurrences of any needle in `text` (longest first), left to right, as
    offsets into `text` itself, whatever normalisation did to its length (Ⅲ -> iii, ﬁ -> fi)."""
    normalized = normalize(text)
    if len(normalized) == len(text):  # the usual case: offsets carry over as they are
        return _spans(normalized, needles)
    normalized, origin = _normalized_with_origin(text)
    spans: list[tuple[int, int]] = []
    for s, e in _spans(normalized, needles):
        # a match that starts or ends inside one character's expansion covers all of it
        start, end = origin[s], origin[e - 1] + 1
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _normalized_with_origin(text: str) -> tuple[str, list[int]]:
    """normalize() character by character, with the offset in `text` that each normalised
    character came from, so matches found in the normalised form can be shown in the reader's
    own text. Per-character t2s is the table path of to_simplified(); the rare phrase
    conversions only affect which words get highlighted."""
    table = _load_t2s().table
    pieces: list[str] = []
    origin: list[int] = []
    for at, char in enumerate(text):
        piece = unicodedata.normalize("NFKC", char).translate(table).lower()
        pieces.append(piece)
        origin.extend([at] * len(piece))
    return "".join(pieces), origin


def _spans(haystack: str, needles: frozenset[str]) -> list[tuple[int, int]]:
    needles = frozenset(n for n in needles if n)
    if not needles or not haystack:
        return []
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))
    return [(m.start(), m.end()) for m in pattern.finditer(haystack)]


def snippet(text: str, needles: frozenset[str], width: int = 90) -> Snippet:
    """About `width` characters of `text` around the first match, matches marked; the start
    otherwise. Always the reader's own text: normalisation only decides where the matches are."""
    display = text.replace("\n", " ")
    spans = find_spans(text, needles)
    if not spans:
        cut = display[:width]
        return Snippet(cut + ("…" if len(display) > width else ""))
    start = max(0, spans[0][0] - width // 4)
    end = min(len(display), start + width)
    start = max(0, min(start, end - width))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(display) else ""
    shift = len(prefix) - start
    inside = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return Snippet(prefix + display[start:end] + suffix, inside)
