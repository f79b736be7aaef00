"""The search query language, parsed into a small AST, and a pure matcher with the same meaning.

    质量发展             a term: found wherever these characters stand (高质量发展 too)
    高新区 债务          every term must match
    债务 OR 就业         either (also 债务 或 就业, 债务|就业); binds tighter than AND
    "高质量 发展"        a phrase: spaces between Chinese characters are dropped
    -招聘                exclude articles with this term (or -"a phrase")
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

from newsbot.core.query_messages import MESSAGES, InvalidQuery, Note, message
from newsbot.core.query_text import (
    HAN,
    Snippet,
    compact,
    is_han,
    normalize,
    units,
    whole_word_at,
)
from newsbot.errors import QueryError

MAX_TERMS = 12
MAX_TOKENS = 40  # units of all terms together
OR_WORDS = frozenset({"OR", "或", "|", "｜"})
__all__ = ["MESSAGES", "InvalidQuery", "Note", "Query", "SearchHit", "SearchResults", "Term"]
__all__ += ["check_keyword", "matches", "message", "parse", "query_matches", "whole_word_hit"]
CHINA_TIME = timezone(timedelta(hours=8))
EARLIEST_SINCE = datetime(1970, 1, 1, tzinfo=CHINA_TIME)


@dataclass(frozen=True, slots=True)
class Term:
    """Units (Han runs, letter/digit runs) that must stand consecutively in one field, a Han
    unit anywhere inside a run where it starts the term, at the end of one where more follows
    (see needle()). `phrase` only records that it was quoted."""

    text: str
    units: tuple[str, ...]
    phrase: bool = False

    def needle(self) -> str:
        """The substring of a field's query_text.compact() form this term looks for."""
        joined = " ".join(self.units)
        before = "" if is_han(self.units[0]) else " "
        after = "" if is_han(self.units[-1]) else " "
        return before + joined + after

    def grams(self) -> tuple[tuple[str, bool], ...]:
        """(index token, is_prefix) at consecutive positions: the same needle() in the bigram
        stream of query_text.unit_grams. A Han unit after a number or word starts with its
        first character alone (as in the index); only a lone last Han character after nothing
        or after Han is a prefix token."""
        found: list[tuple[str, bool]] = []
        last = len(self.units) - 1
        for k, unit in enumerate(self.units):
            if not is_han(unit):
                found.append((unit, False))
                continue
            if k > 0 and not is_han(self.units[k - 1]):
                found.append((unit[0], False))
                if len(unit) == 1 and k == last:
                    continue
            if k < last:  # the run ends here: its last character stands alone in the index
                found.extend((unit[i : i + 2], False) for i in range(len(unit)))
            elif len(unit) == 1:
                found.append((unit, True))
            else:
                found.extend((unit[i : i + 2], False) for i in range(len(unit) - 1))
        return tuple(found)

    def whole_word_in(self, compact_text: str) -> bool:
        """Some occurrence in `compact_text` begins and ends on word boundaries (质量发展 as
        words, not inside 高质量发展): such hits rank first."""
        needle = self.needle().strip()
        at = compact_text.find(needle)
        while at >= 0:
            if whole_word_at(compact_text, at, at + len(needle)):
                return True
            at = compact_text.find(needle, at + 1)
        return False


AnyOf = tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """Every group of `include` must match (one of its terms), none of `exclude`."""

    include: tuple[AnyOf, ...] = ()
    exclude: tuple[Term, ...] = ()
    sections: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: timedelta | datetime | None = None
    notes: tuple[Note, ...] = ()

    @property
    def has_filters(self) -> bool:
        return bool(self.sections or self.sources or self.since is not None)

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every included term, of every group."""
        return tuple(term for group in self.include for term in group)

    def since_time(self, now: datetime) -> datetime | None:
        if isinstance(self.since, timedelta):
            return now - self.since
        return self.since

    def needles(self) -> frozenset[str]:
        """What to mark in titles and snippets: each included term and each of its units."""
        marks: set[str] = set()
        for term in self.terms:
            marks.update(term.units)
            marks.add(term.needle().strip().replace(" ", ""))
            marks.add(normalize(term.text).strip())
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
        # since:0001-01-01 means "everything": bounded to a floor no article is older than (the
        # year 1 in UTC+8 is before datetime's minimum in UTC: OverflowError otherwise)
        return max(local, EARLIEST_SINCE).astimezone(UTC)
    raise InvalidQuery("search.bad_since", value=value[:40])


def term_units(text: str, phrase: bool) -> tuple[str, ...]:
    """The units of one term; in a phrase, spaces between Chinese characters are dropped
    (Chinese text has none: "高质量 发展" means 高质量发展)."""
    normalized = normalize(text)
    if phrase:
        normalized = _HAN_GAP.sub("", normalized)
    return tuple(units(normalized))


@dataclass
class _Builder:
    include: list[list[Term]] = field(default_factory=list)
    exclude: list[Term] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    since: timedelta | datetime | None = None
    notes: list[Note] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unit_count: int = 0
    term_count: int = 0
    pending_or: bool = False  # the previous chunk was OR / 或 / | (or ended with |)

    def add_filter(self, name: str, value: str) -> None:
        name = _FILTER_NAMES.get(name, name.lower())
        self.pending_or = False
        if name == "since":
            self.since = _parse_since(value)
        elif name == "section":
            self.sections.append(value)
        else:
            self.sources.append(value)

    def add_chunk(self, text: str, phrase: bool, negated: bool) -> None:
        if not phrase and not negated and text in OR_WORDS:
            self.pending_or = True
            return
        starts_or = not phrase and text[:1] in "|｜"
        ends_or = not phrase and text[-1:] in "|｜"
        pieces = [text] if phrase else [p for p in _BARS.split(text) if p]
        terms = [term for piece in pieces if (term := self._term(piece, phrase))]
        joined = (self.pending_or or starts_or) and bool(self.include) and not negated
        self.pending_or = ends_or
        if not terms:
            return
        if negated:
            self.exclude.extend(t for t in terms if t not in self.exclude)
        elif joined:
            self.include[-1].extend(t for t in terms if t not in self.include[-1])
        elif [terms] != self.include[-1:]:
            self.include.append(list(dict.fromkeys(terms)))

    def _term(self, text: str, phrase: bool) -> Term | None:
        found = term_units(text, phrase)
        if not found:
            self.ignored.append(text)
            return None
        if self.term_count >= MAX_TERMS or self.unit_count + len(found) > MAX_TOKENS:
            if not any(note.key == "search.too_many_terms" for note in self.notes):
                self.notes.append(Note("search.too_many_terms", {"limit": MAX_TERMS}))
            return None
        self.term_count += 1
        self.unit_count += len(found)
        return Term(text, found, phrase)


_BARS = re.compile(r"[|｜]")
_HAN_GAP = re.compile(rf"(?<=[{HAN}])\s+(?=[{HAN}])")


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
            builder.add_chunk(chunk, phrase, negated)
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
        tuple(tuple(group) for group in builder.include),
        tuple(builder.exclude),
        tuple(dict.fromkeys(builder.sections)),
        tuple(dict.fromkeys(builder.sources)),
        builder.since,
        tuple(builder.notes),
    )


def check_keyword(text: str) -> Query:
    """The query of an alert keyword; InvalidQuery when it could never match an article
    (nothing searchable, or only exclusions: filters do not count, alerts ignore them)."""
    query = parse(text)
    if not query.include:
        raise InvalidQuery("search.only_exclusions" if query.exclude else "search.empty")
    return query


@lru_cache(maxsize=512)
def _cached_parse(text: str) -> Query:
    return parse(text)


@lru_cache(maxsize=128)
def _fields(title: str, text: str) -> tuple[str, ...]:
    return (compact(title), compact(text))


def term_matches(term: Term, fields: tuple[str, ...]) -> bool:
    """The term stands in one of the fields (each in query_text.compact() form)."""
    needle = term.needle()
    return any(needle in field for field in fields)


def query_matches(query: Query, fields: tuple[str, ...]) -> bool:
    """The meaning of a search, without filters, over compact() fields."""
    if not query.include:
        return False
    if not all(any(term_matches(t, fields) for t in group) for group in query.include):
        return False
    return not any(term_matches(term, fields) for term in query.exclude)


def matches(keyword_or_query: str, title: str, text: str) -> bool:
    """True when the article would be found by this search (filters are ignored: alerts choose
    sections themselves). Queries that cannot be run match nothing."""
    try:
        query = _cached_parse(keyword_or_query)
    except QueryError:
        return False
    return query_matches(query, _fields(title, text))


def whole_word_hit(query: Query, compact_text: str) -> bool:
    """Some included term stands as whole words in the text (compact form)."""
    return any(term.whole_word_in(compact_text) for term in query.terms)


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
