"""Any query string against a real index on both databases: results or a QueryError, never an
SQL error or any other exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.search_support import NOW, add_article

from newsbot.errors import QueryError
from newsbot.storage.search import SearchIndex

HOSTILE = [
    '"',
    '"""',
    '党建"',
    "* ^ : ( ) NEAR AND OR NOT",
    "NEAR(党建 债务, 2)",
    "党建 OR 债务",
    "title:党建",
    "article_search:*",
    "'; DROP TABLE articles; --",
    "党建' OR '1'='1",
    "!! & | <-> :* \\",
    "😀🎉 党建 🇨🇳",
    "\x00党建\x1f",
    "\ud800党建",
    "section:'; DROP",
    'source:" OR 1=1',
    "-",
    "--党建",
    '-""',
    "党建" * 5000,
    "a" * 10240,
]
FRAGMENTS = st.sampled_from(
    [
        '"',
        "-",
        "*",
        "^",
        ":",
        "(",
        ")",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "党建",
        "债务",
        "section:",
        "since:",
        "'",
        "\\",
        "😀",
        " ",
        "!!",
        "<->",
        "&",
        "|",
    ]
)


@pytest.fixture
def index(engine: Engine) -> SearchIndex:
    index = SearchIndex(engine)
    add_article(engine, index, "党建赋能高新区", "化解债务3029.56万元，稳就业。")
    add_article(engine, index, "就业 OR 债务 NEAR", "标题里有 FTS 的关键字 AND * ^")
    return index


def run(index: SearchIndex, query: str) -> None:
    try:
        results = index.search(query, now=NOW)
    except QueryError as exc:
        assert str(exc)
        return
    assert results.total >= len(results.hits)


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries(index: SearchIndex, query: str) -> None:
    run(index, query)


def test_sql_text_in_a_query_is_only_searched(index: SearchIndex) -> None:
    assert index.search("党建' AND '1'='1", now=NOW).total == 0
    # OR is our operator now: the quotes and = around it stay text (no article holds 1 1 1).
    assert index.search("债务' OR '1'='1", now=NOW).total == 2
    assert index.search("'1'='1", now=NOW).total == 0
    assert index.search("NEAR AND", now=NOW).total == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=80), st.lists(FRAGMENTS, max_size=12).map("".join)))
def test_arbitrary_queries(index: SearchIndex, query: str) -> None:
    run(index, query)
