"""Ranking looks at exactly the newest `window` matches, whatever plan finds them: on
PostgreSQL a sparse query is first run over the newest id buckets only and widened when they
hold too few matches, so an archive with sparse ids (many buckets) exercises every round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert
from tests.search_support import NOW, source_id

from newsbot.core.query_text import normalize
from newsbot.storage.schema import articles
from newsbot.storage.search import SearchIndex, prepare_fields

WINDOW = 8
COUNT = 320
STEP = 97  # ids 97 apart: 320 articles over ~15 id buckets


def text_of(k: int) -> tuple[str, str, str]:
    words = ["会议召开"]
    if k % 2 == 0:
        words.append("党建引领")  # half: the walk
    if k % 7 == 0:
        words.append("化解政府债务")  # ~14 %: bounded GIN rounds
    if k % 3 == 0:
        words.append("招聘公告")
    if k % 40 == 0:
        words.append("乡村振兴")  # rare: no bound
    section = "经济" if k % 4 < 2 else "阳泉"
    return f"第{k}期简报", "，".join(words) + "。", section


@pytest.fixture
def sparse(engine: Engine) -> tuple[SearchIndex, dict[int, tuple[str, str, str]]]:
    index = SearchIndex(engine, window=WINDOW)
    made = {STEP * k + 5: text_of(k) for k in range(COUNT)}
    with engine.begin() as connection:
        sid = source_id(connection, "yangquan", "阳泉")
        connection.execute(
            insert(articles),
            [
                {
                    "id": article_id,
                    "source_id": sid,
                    "dedupe_key": f"k{article_id}",
                    "url": f"http://127.0.0.1/a/{article_id}.html",
                    "section": section,
                    "title": title,
                    "text": body,
                    # 10 days apart: scores differ enough that a short range has rows that
                    # cannot reach a page (counted, not carried)
                    "published_at": NOW - timedelta(days=10 * (COUNT - k)),
                    "fetched_at": NOW,
                    "content_hash": "x",
                    "update_count": 0,
                }
                for k, (article_id, (title, body, section)) in enumerate(made.items())
            ],
        )
        index.index_many(
            connection, [prepare_fields(i, t, "", b) for i, (t, b, _s) in made.items()]
        )
    return index, made


def every_hit(index: SearchIndex, query: str) -> tuple[list[int], int, bool]:
    found: list[int] = []
    page = 1
    while True:
        results = index.search(query, page=page, page_size=3, now=NOW)
        found += [hit.article_id for hit in results.hits]
        if not results.has_more:
            return found, results.total, results.total_capped
        page += 1


@pytest.mark.parametrize(
    ("query", "needles", "excluded", "section"),
    [
        ("党建", ("党建",), (), None),
        ("债务", ("债务",), (), None),
        ("政府债务 -招聘", ("政府债务",), ("招聘",), None),
        ("债务 section:经济", ("债务",), (), "经济"),
        ("债务|振兴", ("债务", "振兴"), (), None),
        ("乡村振兴", ("乡村振兴",), (), None),
        ("债务 招聘", ("债务",), (), None),
    ],
)
def test_ranking_sees_exactly_the_newest_window_of_matches(
    sparse: tuple[SearchIndex, dict[int, tuple[str, str, str]]],
    query: str,
    needles: tuple[str, ...],
    excluded: tuple[str, ...],
    section: str | None,
) -> None:
    index, made = sparse
    required = ("招聘",) if query == "债务 招聘" else ()
    matching = sorted(
        i
        for i, (title, body, sec) in made.items()
        if any(n in normalize(title + body) for n in needles)
        and all(n in body for n in required)
        and not any(n in body for n in excluded)
        and (section is None or sec == section)
    )
    found, total, capped = every_hit(index, query)
    assert sorted(found) == matching[-WINDOW:]
    assert total == min(len(matching), WINDOW)
    assert capped == (len(matching) > WINDOW)
