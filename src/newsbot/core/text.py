"""Text primitives for Chinese (and English) news: width folding, whitespace, sentence splitting.

Sentence rules (Chinese):
- A sentence ends at 。！？； (and their ASCII forms !?;), at …… (or ……), and at a line break.
- Closing quotes and brackets right after a terminator stay with the sentence: 他说：“好。”|
- A terminator inside an open quotation or bracket does not end the sentence: the quotation is
  part of one sentence (“我们……能力。”杨家庄乡党委负责人说。 is one sentence), so a quote is
  never torn from its attribution. A quotation left open for more than MAX_OPEN_QUOTE characters
  is treated as unbalanced markup and splitting resumes.
- English: . ! ? end a sentence when followed by a space and a capital, a quote or a digit; a
  dot between digits (3.5) or after a common abbreviation (Mr.) does not.
"""

from __future__ import annotations

import re
import unicodedata


# Full-width ASCII (digits, letters, %, +, -, ., :, /) folded one-for-one to half-width, so the
# folded text keeps every offset of the original. Chinese punctuation ，。；： is left alone.
def spaced(words: str) -> tuple[str, ...]:
    """The words of a space-separated literal: keeps long vocabularies readable in the source."""
    return tuple(words.split())


_WIDTH_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "，。；：！？（）"}
_WIDTH_FOLD[0x3000] = 0x20  # ideographic space

OPENERS = "“‘「『（(【《〈[{"
CLOSERS = "”’」』）)】》〉]}"
_PAIRS = dict(zip(OPENERS, CLOSERS, strict=True))
TERMINATORS = "。！？；!?;"
ELLIPSIS = "…"
MAX_OPEN_QUOTE = 300

_INTERESTING_RE = re.compile(
    "[" + re.escape(OPENERS + CLOSERS + TERMINATORS + ELLIPSIS + ".") + "]"
)
_WORD_BEFORE_RE = re.compile(r"([A-Za-z.]+)$")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\ufeff]+")
_ABBREVIATIONS = frozenset(
    spaced(
        "mr mrs ms dr prof st jr sr vs etc inc ltd co corp jan feb mar apr jun jul aug sep sept "
        "oct nov dec no u.s e.g i.e"
    )
)


# Characters no store or chat platform can take: NUL (PostgreSQL text refuses it), the other C0
# controls but tab and line breaks (XML 1.0 and the Bot API refuse them), DEL, and lone UTF-16
# surrogates (a Python str holds them when JSON carried half a pair; UTF-8 cannot encode them).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` without NUL, control characters (but tab and line breaks) and lone surrogates.

    Pure and idempotent; the conversation edge applies it to what users type, the storage layer
    to every string it binds (so PostgreSQL never receives a NUL)."""
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text


def has_unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def fold_width(text: str) -> str:
    """Full-width digits, letters and ASCII signs to half-width; same length as the input."""
    return text.translate(_WIDTH_FOLD)


def clean_whitespace(text: str) -> str:
    """Collapse runs of spaces (ASCII, no-break, ideographic) and strip each line; drop empty lines."""
    lines = (_SPACE_RE.sub(" ", fold_space(line)).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def fold_space(text: str) -> str:
    return text.replace("\u3000", " ")


def normalize(text: str) -> str:
    """NFC, width folding and whitespace cleanup: the form every later stage works on."""
    return clean_whitespace(fold_width(unicodedata.normalize("NFC", text)))


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def cjk_ratio(text: str) -> float:
    """Share of CJK ideographs among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    return sum(map(is_cjk, chars)) / len(chars) if chars else 0.0


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines, whitespace-cleaned."""
    return [p for p in clean_whitespace(text).split("\n") if p]


def split_sentences(text: str, *, semicolons: bool = True) -> list[str]:
    """Sentences of `text`, in order; each line break also ends a sentence. With
    `semicolons=False` a ；/; does not end one: the summarizer keeps 需化解债务…；已化解债务…。
    whole, as one statement (a key point never ends in ；)."""
    terminators = TERMINATORS if semicolons else TERMINATORS.replace("；", "").replace(";", "")
    sentences: list[str] = []
    for line in text.splitlines():
        sentences.extend(_split_line(line, terminators))
    return sentences


def _split_line(line: str, terminators: str = TERMINATORS) -> list[str]:
    out: list[str] = []
    start = 0
    stack: list[str] = []
    # Only quotes, brackets and end marks matter: visit those, not every character.
    for match in _INTERESTING_RE.finditer(line):
        i = match.start()
        if i < start:
            continue
        char = line[i]
        if char in _PAIRS:
            stack.append(_PAIRS[char])
        elif stack and char == stack[-1]:
            stack.pop()
        elif char in CLOSERS and char in stack:
            while stack and stack.pop() != char:  # close a mismatched run
                pass
        if stack and i - start > MAX_OPEN_QUOTE:
            stack.clear()
        end = _sentence_end(line, i, stack, terminators)
        if end:
            piece = line[start:end].strip()
            if piece:
                out.append(piece)
            start = end
    tail = line[start:].strip()
    if tail:
        out.append(tail)
    return out


def _sentence_end(line: str, i: int, stack: list[str], terminators: str = TERMINATORS) -> int:
    """The end offset (exclusive) if a sentence ends at line[i], else 0."""
    char = line[i]
    if char == ELLIPSIS:
        if i + 1 < len(line) and line[i + 1] == ELLIPSIS and not stack:
            return _absorb_closers(line, i + 2)
        return 0
    if char == "." and not _english_full_stop(line, i):
        return 0
    if char not in terminators and char != ".":
        return 0
    j = i + 1
    while j < len(line) and line[j] in terminators:
        j += 1
    if stack:
        # Inside a quotation: a sentence ends only if the quotation closes right after the
        # terminator and nothing else is open; the attribution that follows is kept (see doc).
        return 0
    return _absorb_closers(line, j)


def _absorb_closers(line: str, j: int) -> int:
    while j < len(line) and (line[j] in CLOSERS or line[j] in TERMINATORS or line[j] == ELLIPSIS):
        j += 1
    return j


def _english_full_stop(line: str, i: int) -> bool:
    before = line[i - 1] if i else ""
    after = line[i + 1] if i + 1 < len(line) else ""
    if before.isdigit() and after.isdigit():
        return False
    if after and after not in " \"'”’)":
        return False
    word = _WORD_BEFORE_RE.search(line, max(0, i - 12), i)  # bounded: many dots stay linear
    if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
        return False
    if word and len(word.group(1)) == 1 and word.group(1).isupper():
        return False  # an initial: J. Smith
    rest = line[i + 1 :].lstrip(" \"'”’)")
    return not rest or rest[0].isupper() or rest[0].isdigit() or is_cjk(rest[0])


# ---- display typography ------------------------------------------------------------------

_CJK_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff"
# A half-width mark with a Chinese character (or a Chinese quote/bracket) on both sides. Digits
# on either side are never touched: 1,200 and 3:30 keep their marks.
_HALF_WIDTH_MARKS = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_MARK_BETWEEN_CJK_RE = re.compile(
    rf"(?<=[{_CJK_CLASS}”’」』）》])\s*([,;:?!])\s*(?=[{_CJK_CLASS}“‘「『（《])"
)
# A mark ending a Chinese sentence before the next one: half-width ?! at the end of a line after
# Chinese text become full-width too (他来了吗?).
_MARK_AT_END_RE = re.compile(rf"(?<=[{_CJK_CLASS}])([?!])(?=\s*$|[”’」』）])", re.M)
# Spaces after a Chinese end mark before more Chinese text: left over from joined paragraphs.
_SPACE_AFTER_END_RE = re.compile(rf"(?<=[。！？；”」』）])[ \t\u3000]+(?=[{_CJK_CLASS}“「『（《])")


def display_text(text: str) -> str:
    """Chinese typography for what readers see, applied once at ingest: half-width , ; : ? !
    between Chinese characters become ，；：？！ and a space after 。！？ between Chinese
    sentences goes. Nothing between digits changes (1,200 stays 1,200; 10:30 stays 10:30), and
    no other character is touched, so figures keep their digits and offsets keep their meaning
    within a line."""
    if not text:
        return text
    text = _MARK_BETWEEN_CJK_RE.sub(lambda m: _HALF_WIDTH_MARKS[m.group(1)], text)
    text = _MARK_AT_END_RE.sub(lambda m: _HALF_WIDTH_MARKS[m.group(1)], text)
    return _SPACE_AFTER_END_RE.sub("", text)


_OUTER_QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』", "＂": "＂", "'": "'"}


def unquoted(text: str) -> str:
    """The text without one pair of quotation marks around all of it: a reply that echoes a
    quoted query inside its own “…” shows “疫情防控”, not “"疫情防控"”."""
    text = text.strip()
    if len(text) >= 2 and _OUTER_QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1].strip()
        return inner or text
    return text
