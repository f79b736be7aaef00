"""Search text handling: normalisation, index/query tokens and snippets. Pure: no I/O but the
one-time load of the conversion dictionaries.

Index and query go through the same two steps, so they always agree:
  normalize():  NFKC (full-width ＡＢＣ１２３ -> ABC123), traditional -> simplified (OpenCC t2s),
                lower case;
  tokens:       the shared jieba segmenter (precise mode), each word cut into runs of letters and
                digits (the same split FTS5's unicode61 and PostgreSQL's parser make, so neither
                backend re-splits our tokens); documents also get every dictionary word of 2-4
                characters found inside their Chinese text (a superset of what jieba's
                cut_for_search adds, see document_stream).

The parts are appended after the word stream instead of being interleaved (as cut_for_search
does), so consecutive words keep consecutive positions and phrase queries stay exact.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

from newsbot.core import segment

# Bump when tokenisation here changes; the index records SEGMENTER_VERSION + this.
TOKENIZER_VERSION = "search-tokens-2"
INDEX_VERSION = f"{segment.SEGMENTER_VERSION}/{TOKENIZER_VERSION}"

_ALNUM = re.compile(r"[^\W_]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
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


def _words(normalized: str) -> list[str]:
    return segment.cut(normalized)


def query_tokens(text: str) -> list[str]:
    """Tokens of one query word or phrase, in order (precise mode, no parts)."""
    return [run for word in _words(normalize(text)) for run in _ALNUM.findall(word)]


def document_stream(text: str) -> list[str]:
    """Index tokens of one field: the word stream, then every dictionary word of 2-4 Chinese
    characters found at any position that is not already a word of the stream.

    The extra parts make a dictionary word findable wherever its characters stand, even when
    jieba cut the sentence across it (派出所以 -> 派出 所以 still holds 派出所): recall equals a
    substring scan for such words, as with jieba's cut_for_search but across word boundaries."""
    freq = segment.tokenizer().FREQ
    normalized = normalize(text)
    stream: list[str] = []
    words_at: set[tuple[int, str]] = set()
    offset = 0
    for word in _words(normalized):
        start = normalized.find(word, offset)
        if start >= 0:
            words_at.add((start, word))
            offset = start + len(word)
        stream.extend(_ALNUM.findall(word))
    parts: list[str] = []
    for run in _CJK_RUN.finditer(normalized):
        chars, base = run.group(), run.start()
        for i in range(len(chars) - 1):
            for size in (2, 3, 4):
                gram = chars[i : i + size]
                if len(gram) == size and freq.get(gram) and (base + i, gram) not in words_at:
                    parts.append(gram)
    return stream + parts


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
    """Non-overlapping occurrences of any needle in `text` (longest first), left to right.

    Offsets refer to `text` when normalisation kept its length (the usual case), else to
    normalize(text)."""
    return _spans(normalize(text), needles)


def _spans(haystack: str, needles: frozenset[str]) -> list[tuple[int, int]]:
    needles = frozenset(n for n in needles if n)
    if not needles or not haystack:
        return []
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))
    return [(m.start(), m.end()) for m in pattern.finditer(haystack)]


def snippet(text: str, needles: frozenset[str], width: int = 90) -> Snippet:
    """About `width` characters around the first match, matches marked; the start otherwise."""
    normalized = normalize(text)
    display = text if len(normalized) == len(text) else normalized
    display = display.replace("\n", " ")
    spans = _spans(normalized, needles)
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
