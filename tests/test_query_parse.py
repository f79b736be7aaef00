"""The query language (pure): parsing, hostile input, and the alert matcher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.core.query import InvalidQuery, Query, matches, parse
from newsbot.core.query_text import Snippet, normalize, snippet
from newsbot.errors import QueryError


def test_words_phrases_exclusions_and_filters() -> None:
    query = parse('高新区 债务 "高质量发展" -招聘 section:阳泉 source:yq since:7d')
    assert [t.units for t in query.terms] == [("高新区",), ("债务",), ("高质量发展",)]
    assert [len(group) for group in query.include] == [1, 1, 1]
    assert query.terms[2].phrase
    assert [t.units for t in query.exclude] == [("招聘",)]
    assert query.sections == ("阳泉",) and query.sources == ("yq",)
    assert query.since == timedelta(days=7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("since:24h", timedelta(hours=24)),
        ("since:2w", timedelta(weeks=2)),
        ("时间：3天", timedelta(days=3)),
    ],
)
def test_relative_since(text: str, expected: timedelta) -> None:
    assert parse(text).since == expected


def test_since_date_is_china_midnight() -> None:
    assert parse("since:2026-01-01").since == datetime(2025, 12, 31, 16, tzinfo=UTC)


def test_since_resolves_against_now() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert parse("党建 since:7d").since_time(now) == now - timedelta(days=7)


def test_traditional_english_and_full_width_are_normalised() -> None:
    assert parse("黨建").terms[0].units == ("党建",)
    assert parse("COVID-19").terms[0].units == ("covid", "19")
    assert parse("ＧＤＰ").terms[0].units == ("gdp",)
    assert normalize("高新區") == "高新区"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "search.empty"),
        ("  ", "search.empty"),
        ("😀 ***", "search.empty"),
        ("-党建", "search.only_exclusions"),
        ("党建 since:tomorrow", "search.bad_since"),
        ("since:2026-02-30", "search.bad_since"),
    ],
)
def test_errors_have_keys_and_both_languages(text: str, key: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse(text)
    assert caught.value.key == key
    assert caught.value.message("en") and str(caught.value) == caught.value.message("zh")
    assert isinstance(caught.value, QueryError)


def test_long_query_is_truncated_with_a_note() -> None:
    query = parse("党建" * 5000, max_chars=200)
    assert query.notes[0].key == "search.truncated"
    assert "200" in query.notes[0].message("en")


def test_fts_syntax_is_just_text() -> None:
    query = parse('NEAR(党建 AND 债务) OR * ^ : "unbalanced')
    assert all(unit.isalnum() for term in query.terms for unit in term.units)
    assert query.terms[-1].text == "unbalanced"
    assert any(note.key == "search.ignored" for note in query.notes)


def test_matcher_has_search_semantics() -> None:
    title, text = "阳泉高新区党建工作", "推动高质量发展，化解债务3029.56万元。"
    assert matches("党建", title, text)
    assert matches("黨建 債務", title, text)
    assert matches("高新区 -招聘", title, text)
    assert not matches("党建 -债务", title, text)
    assert matches('"高质量发展"', title, text)
    assert not matches('"发展高质量"', title, text)
    assert matches("新区", title, text)  # a dictionary part of 高新区
    assert matches("质量发展", title, text) and matches("区党", title, text)  # any substring
    assert not matches("发展化解", title, text)  # not across punctuation
    assert matches("3029.56", title, text)
    assert not matches("", title, text) and not matches("就业", title, text)


def test_snippet_marks_matches_around_the_first_one() -> None:
    text = "开头" * 100 + "需化解债务3029.56万元" + "结尾" * 100
    piece = snippet(text, frozenset({"债务"}), width=40)
    assert piece.text.startswith("…") and piece.text.endswith("…")
    assert [p for p, hit in piece.parts() if hit] == ["债务"]
    assert snippet("没有匹配", frozenset({"债务"})) == Snippet("没有匹配")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_parses_or_raises_a_query_error(text: str) -> None:
    try:
        query = parse(text)
    except QueryError as exc:
        assert str(exc)
        return
    assert isinstance(query, Query)
    assert query.include or query.has_filters


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=200))
def test_matcher_never_raises(query: str, title: str, text: str) -> None:
    assert matches(query, title, text) in (True, False)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300), st.sets(st.text(min_size=1, max_size=5), max_size=4))
def test_snippet_spans_lie_inside_the_text(text: str, needles: set[str]) -> None:
    piece = snippet(text, frozenset(needles))
    assert all(0 <= s < e <= len(piece.text) for s, e in piece.spans)


def test_snippet_shows_the_readers_own_text_where_normalisation_changes_length() -> None:
    # Ⅲ -> iii and full-width commas -> ASCII in the index; the reader still reads Ⅲ and ，
    text = "记者从太原市生态环境局了解到，汾河太原段水质稳定保持在Ⅲ类及以上，流域生态持续改善。"
    piece = snippet(text, frozenset({"太原"}))
    assert piece.text == text
    assert [p for p, hit in piece.parts() if hit] == ["太原", "太原"]
    inside = snippet(text, frozenset({"iii类"}))
    assert [p for p, hit in inside.parts() if hit] == ["Ⅲ类"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sets(st.text(min_size=1, max_size=4), max_size=4))
def test_snippet_text_is_always_a_piece_of_the_original(text: str, needles: set[str]) -> None:
    piece = snippet(text, frozenset(needles), width=60)
    body = piece.text.removeprefix("…").removesuffix("…")
    assert body in text.replace("\n", " ")
    spans = list(piece.spans)
    assert all(0 <= s < e <= len(piece.text) for s, e in spans)
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
