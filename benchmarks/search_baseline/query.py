"""The search query language, parsed into a small AST, and a pure matcher with the same meaning.

    党建                 a word (segmented: 疫情防控 needs both 疫情 and 防控)
    高新区 债务          every word must match
    "高质量发展"         a phrase: its words consecutive
    -招聘                exclude articles with this word (or -"a phrase")
    section:阳泉         only this section (repeat for several: any of them)
    source:yangquan      only this source key
    since:7d             since:24h, since:2w, since:2026-01-01 (a date in China time, UTC+8)

Simplified and traditional characters find each other, case does not matter, and anything else
(FTS operators, stray quotes, emoji) is just text. A query that cannot be run raises
InvalidQuery, whose key and params let the chat layer say it in the subscriber's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from newsbot.errors import QueryError
from search_baseline.query_text import Snippet, document_stream, normalize, query_tokens

MAX_TERMS = 12
MAX_TOKENS = 40
CHINA_TIME = timezone(timedelta(hours=8))

MESSAGES: dict[str, dict[str, str]] = {
    "search.empty": {
        "zh": "请输入要搜索的词，例如：党建，或 高新区 债务",
        "en": "Please type what to search for, e.g. 党建 or 高新区 债务",
    },
    "search.only_exclusions": {
        "zh": "只有排除词（-词）无法搜索，请至少加一个要找的词。",
        "en": "A query with only excluded words (-word) finds nothing; add a word to look for.",
    },
    "search.bad_since": {
        "zh": "看不懂时间条件“{value}”，可以写 since:7d、since:24h 或 since:2026-01-01。",
        "en": "Cannot read the time filter “{value}”; use since:7d, since:24h or since:2026-01-01.",
    },
    "search.truncated": {
        "zh": "查询太长，只用了前 {limit} 个字符。",
        "en": "The query was too long; only its first {limit} characters were used.",
    },
    "search.too_many_terms": {
        "zh": "词太多，只用了前 {limit} 个。",
        "en": "Too many words; only the first {limit} were used.",
    },
    "search.ignored": {
        "zh": "已忽略无法搜索的内容：{text}",
        "en": "Ignored what cannot be searched: {text}",
    },
}


def message(key: str, params: dict[str, str | int], language: str = "zh") -> str:
    texts = MESSAGES[key]
    return texts.get(language, texts["zh"]).format(**params)


class InvalidQuery(QueryError):
    """A query that cannot be run; `key` + `params` name the problem, str() is the zh text."""

    def __init__(self, key: str, **params: str | int) -> None:
        super().__init__(message(key, params))
        self.key = key
        self.params = params

    def message(self, language: str = "zh") -> str:
        return message(self.key, self.params, language)


@dataclass(frozen=True, slots=True)
class Note:
    """Something the user should know about how the query was read (e.g. it was cut)."""

    key: str
    params: dict[str, str | int] = field(default_factory=dict)

    def message(self, language: str = "zh") -> str:
        return message(self.key, self.params, language)


@dataclass(frozen=True, slots=True)
class Term:
    """A word (all tokens must occur) or a phrase (tokens consecutive)."""

    text: str
    tokens: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    sections: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: timedelta | datetime | None = None
    notes: tuple[Note, ...] = ()

    @property
    def has_filters(self) -> bool:
        return bool(self.sections or self.sources or self.since is not None)

    def since_time(self, now: datetime) -> datetime | None:
        if isinstance(self.since, timedelta):
            return now - self.since
        return self.since

    def needles(self) -> frozenset[str]:
        """What to mark in titles and snippets: every token and phrase of the included terms."""
        marks: set[str] = set()
        for term in self.include:
            marks.update(term.tokens)
            if term.phrase:
                marks.add(normalize(term.text))
        return frozenset(marks)


_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "”", "「": "」", "『": "』", "＂": "＂"}
_FILTER = re.compile(r"^(section|source|since|栏目|来源|时间)[:：](.+)$", re.IGNORECASE)
_FILTER_NAMES = {"栏目": "section", "来源": "source", "时间": "since"}
_RELATIVE = re.compile(r"^(\d{1,4})\s*(h|d|w|小时|天|周)$", re.IGNORECASE)
_UNITS = {"h": 1, "小时": 1, "d": 24, "天": 24, "w": 168, "周": 168}
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _lex(text: str) -> list[tuple[str, bool, bool]]:
    """(text, is_phrase, is_negated) chunks; an unclosed quote runs to the end of the query."""
    chunks: list[tuple[str, bool, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] in "-－" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] in _QUOTES:
            close = text.find(_QUOTES[text[i]], i + 1)
            end = n if close < 0 else close
            chunks.append((text[i + 1 : end], True, negated))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _QUOTES:
            i += 1
        chunks.append((text[start:i], False, negated))
    return chunks


def _parse_since(value: str) -> timedelta | datetime:
    relative = _RELATIVE.match(value.strip())
    if relative:
        return timedelta(hours=int(relative.group(1)) * _UNITS[relative.group(2).lower()])
    date = _DATE.match(value.strip())
    if date:
        year, month, day = (int(part) for part in date.groups())
        try:
            local = datetime(year, month, day, tzinfo=CHINA_TIME)
        except ValueError:
            raise InvalidQuery("search.bad_since", value=value[:40]) from None
        return local.astimezone(UTC)
    raise InvalidQuery("search.bad_since", value=value[:40])


@dataclass
class _Builder:
    include: list[Term] = field(default_factory=list)
    exclude: list[Term] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    since: timedelta | datetime | None = None
    notes: list[Note] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    token_count: int = 0

    def add_filter(self, name: str, value: str) -> None:
        name = _FILTER_NAMES.get(name, name.lower())
        if name == "since":
            self.since = _parse_since(value)
        elif name == "section":
            self.sections.append(value)
        else:
            self.sources.append(value)

    def add_term(self, text: str, phrase: bool, negated: bool) -> None:
        tokens = (
            tuple(dict.fromkeys(query_tokens(text))) if not phrase else tuple(query_tokens(text))
        )
        if not tokens:
            self.ignored.append(text)
            return
        terms = self.exclude if negated else self.include
        term = Term(text, tokens, phrase and len(tokens) > 1)
        if term in terms:
            return
        if (
            len(self.include) + len(self.exclude) >= MAX_TERMS
            or self.token_count + len(tokens) > MAX_TOKENS
        ):
            if not any(note.key == "search.too_many_terms" for note in self.notes):
                self.notes.append(Note("search.too_many_terms", {"limit": MAX_TERMS}))
            return
        self.token_count += len(tokens)
        terms.append(term)


def parse(text: str, max_chars: int = 200) -> Query:
    """The AST of a query string; InvalidQuery when it cannot be run."""
    builder = _Builder()
    if len(text) > max_chars:
        text = text[:max_chars]
        builder.notes.append(Note("search.truncated", {"limit": max_chars}))
    for chunk, phrase, negated in _lex(_UNSAFE.sub(" ", text)):
        found = None if phrase or negated else _FILTER.match(chunk)
        if found:
            builder.add_filter(found.group(1), found.group(2))
        else:
            builder.add_term(chunk, phrase, negated)
    if builder.ignored:
        builder.notes.append(Note("search.ignored", {"text": " ".join(builder.ignored)[:40]}))
    if (
        not builder.include
        and not builder.sections
        and not builder.sources
        and builder.since is None
    ):
        raise InvalidQuery("search.only_exclusions" if builder.exclude else "search.empty")
    return Query(
        tuple(builder.include),
        tuple(builder.exclude),
        tuple(dict.fromkeys(builder.sections)),
        tuple(dict.fromkeys(builder.sources)),
        builder.since,
        tuple(builder.notes),
    )


@lru_cache(maxsize=512)
def _cached_parse(text: str) -> Query:
    return parse(text)


@dataclass(frozen=True, slots=True)
class _Document:
    streams: tuple[tuple[str, ...], ...]
    tokens: frozenset[str]


@lru_cache(maxsize=128)
def _document(title: str, text: str) -> _Document:
    streams = (tuple(document_stream(title)), tuple(document_stream(text)))
    return _Document(streams, frozenset(t for s in streams for t in s))


def _has_run(stream: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    width = len(tokens)
    first = tokens[0]
    return any(
        stream[i] == first and stream[i : i + width] == tokens
        for i in range(len(stream) - width + 1)
    )


def term_matches(term: Term, document: _Document) -> bool:
    if not document.tokens.issuperset(term.tokens):
        return False
    return not term.phrase or any(_has_run(stream, term.tokens) for stream in document.streams)


def matches(keyword_or_query: str, title: str, text: str) -> bool:
    """True when the article would be found by this search (filters are ignored: alerts choose
    sections themselves). Queries that cannot be run match nothing."""
    try:
        query = _cached_parse(keyword_or_query)
    except QueryError:
        return False
    if not query.include:
        return False
    document = _document(title, text)
    if not all(term_matches(term, document) for term in query.include):
        return False
    return not any(term_matches(term, document) for term in query.exclude)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One found article, ready for a channel to render (it escapes the text itself)."""

    article_id: int
    title: str
    url: str
    section: str
    source_key: str
    published: datetime | None
    snippet: Snippet
    score: float
    title_spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of results. `total` counts matches among the newest `window` candidates;
    `total_capped` says there may be more older ones beyond that window."""

    query: Query
    hits: tuple[SearchHit, ...]
    page: int
    page_size: int
    total: int
    total_capped: bool = False

    @property
    def has_more(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.query.notes
