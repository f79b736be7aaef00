"""Search over the archive on SQLite and PostgreSQL: words, AND, phrases, exclusions, filters,
traditional/simplified, English and numbers, pagination, sync and reindexing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, text, update
from tests.search_support import NOW, add_article, article, ids

from newsbot.core.query import InvalidQuery
from newsbot.core.query_text import INDEX_VERSION
from newsbot.storage.schema import articles
from newsbot.storage.search import VERSION_KEY, SearchIndex


@pytest.fixture
def index(engine: Engine) -> SearchIndex:
    return SearchIndex(engine)


@pytest.fixture
def corpus(engine: Engine, index: SearchIndex) -> dict[str, int]:
    add = lambda *a, **k: add_article(engine, index, *a, **k)  # noqa: E731
    return {
        "party": add(
            "党建赋能 激活高质量发展“红色引擎”",
            "阳泉高新区聚焦基层党建，推动高质量发展。",
            age_days=2,
        ),
        "debt": add(
            "高新区化解政府债务", "需化解债务3029.56万元，高新区财政局牵头。", section="经济"
        ),
        "jobs": add(
            "稳就业促增收",
            "全市城镇新增就业1.2万人，COVID-19 疫情防控常态化。",
            source="taiyuan",
            section="民生",
        ),
        "hire": add("高新区招聘公告", "高新区管委会招聘工作人员，涉及党建岗位。", age_days=40),
        "dupe": add("党建赋能 激活高质量发展（转载）", "阳泉高新区聚焦基层党建。", age_days=2),
    }


def search(index: SearchIndex, query: str, **kwargs: object) -> set[int]:
    return ids(index.search(query, now=NOW, page_size=50, **kwargs))  # type: ignore[arg-type]


def test_two_character_words(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert corpus["party"] in search(index, "党建")
    assert search(index, "债务") == {corpus["debt"]}
    assert search(index, "就业") == {corpus["jobs"]}


def test_all_words_must_match(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert search(index, "高新区 债务") == {corpus["debt"]}
    assert search(index, "高新区 党建") == {corpus["party"], corpus["hire"], corpus["dupe"]}
    assert search(index, "党建 债务") == set()


def test_phrases(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert search(index, '"高质量发展"') == {corpus["party"], corpus["dupe"]}
    assert search(index, '"发展高质量"') == set()
    assert search(index, "“化解债务”") == {corpus["debt"]}


def test_exclusions(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert search(index, "高新区 -招聘") == {corpus["party"], corpus["debt"], corpus["dupe"]}
    assert search(index, '党建 -"高质量发展"') == {corpus["hire"]}


def test_filters(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert search(index, "高新区 section:经济") == {corpus["debt"]}
    assert search(index, "source:taiyuan") == {corpus["jobs"]}
    assert search(index, "党建 since:7d") == {corpus["party"], corpus["dupe"]}
    assert search(index, "党建 since:2026-02-01") == {corpus["party"], corpus["dupe"]}
    assert search(index, "党建 since:2026-01-01") == {
        corpus["party"],
        corpus["hire"],
        corpus["dupe"],
    }
    assert search(index, "since:36h -债务") == {corpus["jobs"]}
    assert search(index, "since:12h") == set()
    assert search(index, "since:3d -党建") == {corpus["debt"], corpus["jobs"]}


def test_near_duplicates_are_hidden(
    engine: Engine, index: SearchIndex, corpus: dict[str, int]
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(articles)
            .where(articles.c.id == corpus["dupe"])
            .values(duplicate_of=corpus["party"])
        )
    assert search(index, '"高质量发展"') == {corpus["party"]}


def test_traditional_finds_simplified(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert search(index, "黨建 債務") == set()
    assert corpus["party"] in search(index, "黨建")
    assert search(index, "債務") == {corpus["debt"]}
    assert search(index, "高新區 -招聘") == {corpus["party"], corpus["debt"], corpus["dupe"]}


def test_simplified_finds_traditional(engine: Engine, index: SearchIndex) -> None:
    trad = add_article(engine, index, "陽泉黨建工作會議", "會議強調基層黨建。")
    assert search(index, "党建 会议") == {trad}


def test_english_and_numbers(index: SearchIndex, corpus: dict[str, int]) -> None:
    assert search(index, "covid") == {corpus["jobs"]}
    assert search(index, "COVID-19") == {corpus["jobs"]}
    assert search(index, "3029.56") == {corpus["debt"]}
    assert search(index, "１.２万人") == {corpus["jobs"]}


def test_results_carry_snippet_and_marks(index: SearchIndex, corpus: dict[str, int]) -> None:
    results = index.search("债务", now=NOW)
    hit = results.hits[0]
    assert (
        hit.article_id == corpus["debt"] and hit.section == "经济" and hit.source_key == "yangquan"
    )
    marked = [piece for piece, is_match in hit.snippet.parts() if is_match]
    assert marked == ["债务"]
    assert [hit.title[s:e] for s, e in hit.title_spans] == ["债务"]
    assert results.total == 1 and not results.has_more


def test_recent_articles_rank_first(engine: Engine, index: SearchIndex) -> None:
    old = add_article(engine, index, "党建工作", "党建", age_days=300)
    new = add_article(engine, index, "党建工作", "党建", age_days=1)
    assert [h.article_id for h in index.search("党建", now=NOW).hits] == [new, old]


def test_pagination(engine: Engine, index: SearchIndex) -> None:
    made = [add_article(engine, index, f"就业第{i}期", "就业服务", age_days=i) for i in range(12)]
    pages = [index.search("就业", page=p, page_size=5, now=NOW) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [5, 5, 2, 0]
    assert [p.has_more for p in pages] == [True, True, False, False]
    assert all(p.total == 12 for p in pages)
    assert [h.article_id for p in pages for h in p.hits] == made


def test_window_caps_the_total(engine: Engine) -> None:
    small = SearchIndex(engine, window=3)
    for i in range(5):
        add_article(engine, small, f"就业{i}", "就业")
    results = small.search("就业", now=NOW)
    assert results.total == 3 and results.total_capped


def test_sync_on_update_and_delete(engine: Engine, index: SearchIndex) -> None:
    article_id = add_article(engine, index, "债务化解", "化解债务")
    with engine.begin() as connection:
        index.index(connection, article(article_id, "就业服务", "稳就业"))
    assert search(index, "债务") == set()
    assert search(index, "就业") == {article_id}
    with engine.begin() as connection:
        index.remove(connection, article_id)
    assert search(index, "就业") == set()


def test_deleting_an_article_removes_its_entry(engine: Engine, index: SearchIndex) -> None:
    article_id = add_article(engine, index, "债务化解", "化解债务")
    with engine.begin() as connection:
        connection.execute(delete(articles).where(articles.c.id == article_id))
    assert search(index, "债务") == set()
    with engine.connect() as connection:
        table = "article_search"
        key = "article_id" if engine.dialect.name == "postgresql" else "rowid"
        assert (
            connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE {key} = {article_id}")
            ).scalar()
            == 0
        )


def test_reindex_after_version_change(engine: Engine, index: SearchIndex) -> None:
    article_id = add_article(engine, None, "疫情防控", "疫情防控常态化")  # written without indexing
    assert index.status().current
    with engine.begin() as connection:
        connection.execute(text("UPDATE meta SET value = 'old' WHERE key = :k"), {"k": VERSION_KEY})
    assert not index.status().current
    assert search(index, "疫情") == set()
    assert index.rebuild(batch_size=2) == 1
    assert index.status().stored_version == INDEX_VERSION
    assert search(index, "疫情 防控") == {article_id}


def test_key_points_are_indexed(engine: Engine, index: SearchIndex) -> None:
    article_id = add_article(engine, index, "会议", "正文", key_points=("推进乡村振兴",))
    assert search(index, "乡村振兴") == {article_id}
    index.rebuild()
    assert search(index, "乡村振兴") == {article_id}


def test_title_outranks_body(engine: Engine, index: SearchIndex) -> None:
    in_body = add_article(engine, index, "会议纪要", "会上提到就业工作和其他很多事情", age_days=1)
    in_title = add_article(engine, index, "就业工作会议", "会上提到很多事情", age_days=1)
    assert [h.article_id for h in index.search("就业", now=NOW).hits] == [in_title, in_body]


def test_bad_queries_raise_query_errors(index: SearchIndex, corpus: dict[str, int]) -> None:
    for bad in ("", "   ", "😀", "-党建", "since:yesterday 党建"):
        with pytest.raises(InvalidQuery):
            index.search(bad, now=NOW)


def test_bounded_ranking_when_matches_exceed_the_window(engine: Engine) -> None:
    """More matches than the window: the newest window ranked, title matches first."""
    small = SearchIndex(engine, window=3)
    oldest = add_article(engine, small, "就业工作", "就业", age_days=5)
    in_title = add_article(engine, small, "就业服务月", "服务", age_days=3)
    in_body = [add_article(engine, small, "会议纪要", "稳就业", age_days=2 - i) for i in range(2)]
    results = small.search("就业", now=NOW, page_size=10)
    assert [h.article_id for h in results.hits] == [in_title, in_body[1], in_body[0]]
    assert oldest not in ids(results) and results.total_capped
    assert small.search("就业 -服务", now=NOW).total == 3


def test_whole_word_ranking_follows_a_reindexed_text(engine: Engine, index: SearchIndex) -> None:
    """The whole-word verdicts are remembered between searches, but per stored text: an
    article re-indexed with other words is judged again."""
    inside = add_article(engine, index, "推动高质量发展", "推动高质量发展。")
    whole = add_article(engine, index, "质量发展", "质量发展。")

    def order() -> list[int]:
        found = index.search("质量发展", now=NOW, page_size=10).hits
        return [hit.article_id for hit in found]

    assert order()[0] == whole
    with engine.begin() as connection:
        index.index(connection, article(inside, "质量发展", "质量发展。"))
        index.index(connection, article(whole, "推动高质量发展", "推动高质量发展。"))
    assert order()[0] == inside
