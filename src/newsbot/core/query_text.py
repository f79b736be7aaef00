"""Search text handling: normalisation, index/query tokens and snippets. Pure: no I/O but the
one-time load of the conversion dictionaries.

Index and query go through the same two steps, so they always agree:
  normalize():  NFKC (full-width ＡＢＣ１２３ -> ABC123), traditional -> simplified (OpenCC t2s),
                lower case;
  tokens:       the shared jieba segmenter (precise mode), each word cut into runs of letters and
                digits (the same split FTS5's unicode61 and PostgreSQL's parser make, so neither
                backend re-splits our tokens), plus the in-dictionary 2- and 3-character parts of
                longer words exactly as jieba's cut_for_search yields them.

The parts are appended after the word stream instead of being interleaved (as cut_for_search
does), so consecutive words keep consecutive positions and phrase queries stay exact.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources

from newsbot.core import segment

# Bump when tokenisation here changes; the index records SEGMENTER_VERSION + this.
TOKENIZER_VERSION = "search-tokens-1"
INDEX_VERSION = f"{segment.SEGMENTER_VERSION}/{TOKENIZER_VERSION}"

_ALNUM = re.compile(r"[^\W_]+")
_lock = threading.Lock()
_converter: object | None = None
_trigger_chars: frozenset[str] = frozenset()


def _load_converter() -> object:
    """OpenCC t2s, created once; plus the characters that can make it change anything."""
    global _converter, _trigger_chars
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                triggers: set[str] = set()
                folder = resources.files("opencc").joinpath("dictionary")
                for name in ("TSCharacters.txt", "TSPhrases.txt"):
                    for line in folder.joinpath(name).read_text("utf-8").splitlines():
                        key, _, values = line.partition("\t")
                        if key and values.split(" ")[0] != key:
                            triggers.update(key)
                _trigger_chars = frozenset(triggers)
                _converter = opencc.OpenCC("t2s")
    return _converter


def to_simplified(text: str) -> str:
    """Traditional -> simplified. Almost all portal text is simplified already: skip OpenCC
    (about 1 ms per 300 characters) unless a character it would change is present."""
    converter = _load_converter()
    if _trigger_chars.isdisjoint(text):
        return text
    result: str = converter.convert(text)  # type: ignore[attr-defined]
    return result


def normalize(text: str) -> str:
    """The form both the index and the query see."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def _words(normalized: str) -> list[str]:
    return segment.cut(normalized)


def query_tokens(text: str) -> list[str]:
    """Tokens of one query word or phrase, in order (precise mode, no parts)."""
    return [run for word in _words(normalize(text)) for run in _ALNUM.findall(word)]


def document_stream(text: str) -> list[str]:
    """Index tokens of one field: the word stream, then the dictionary parts of longer words."""
    freq = segment.tokenizer().FREQ
    stream: list[str] = []
    parts: list[str] = []
    for word in _words(normalize(text)):
        runs = _ALNUM.findall(word)
        stream.extend(runs)
        if len(runs) != 1 or len(word) <= 2:
            continue
        for size in (2, 3):
            if len(word) > size:
                parts.extend(
                    word[i : i + size]
                    for i in range(len(word) - size + 1)
                    if freq.get(word[i : i + size])
                )
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
    needles = frozenset(n for n in needles if n)
    if not needles or not text:
        return []
    haystack = normalize(text)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))
    return [(m.start(), m.end()) for m in pattern.finditer(haystack)]


def snippet(text: str, needles: frozenset[str], width: int = 90) -> Snippet:
    """About `width` characters around the first match, matches marked; the start otherwise."""
    display = text if len(normalize(text)) == len(text) else normalize(text)
    display = display.replace("\n", " ")
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
