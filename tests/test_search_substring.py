"""Substring semantics on SQLite and PostgreSQL: any piece of 2+ Chinese characters finds every
article holding it, whatever the word segmentation; numbers with shorter units; OR; ranking."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.search_support import NOW, add_article, ids

from newsbot.core.query import InvalidQuery, matches
from newsbot.core.query_text import normalize
from newsbot.storage.search import SearchIndex

# A small archive like the portal's: words jieba cuts in different ways, figures, traditional
# characters, punctuation between Chinese runs.
ARCHIVE = [
    ("党建赋能 激活高质量发展“红色引擎”", "阳泉高新区聚焦基层党建，推动高质量发展。"),
    ("高新区化解政府债务", "需化解债务3029.56万元，高新区财政局牵头。"),
    ("稳就业促增收", "全市城镇新增就业1.2万人，COVID-19 疫情防控常态化。"),
    ("高新区招聘公告", "高新区管委会招聘工作人员，涉及党建岗位。"),
    ("规上工业增加值增长", "1-9月，全市规上工业增加值同比增长6.1%，高于全省平均水平。"),
    ("专项整治回头看", "共查摆出问题4804条，已整改到位4650条，整改率96.8%。"),
    ("派出所以案释法", "城区派出所以案释法，开展反诈宣传进社区活动。"),
    ("质量发展论坛举行", "论坛围绕质量发展、品牌建设展开讨论，专家发言。"),
    ("民生实事", "投入资金1.2万元，为困难群众送去米面油。发展壮大村集体经济。"),
    ("陽泉市黨建工作會議", "會議強調，要以高質量黨建引領高質量發展。"),
    ("乡村振兴", "乡村振兴战略稳步推进，农村人居环境持续改善，农民收入增长。"),
    ("营商环境再优化", "优化营商环境，招商引资签约项目48个，总投资1200亿元。"),
    ("主题党日活动", "开展主题党日活动，落实三会一课制度，加强基层党组织建设。"),
    ("债务风险防控", "防范化解地方政府债务风险，严控新增隐性债务。"),
    ("就业帮扶", "开发公益性岗位，帮扶就业困难人员就业。"),
]
HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
TEXTS = [normalize(f"{title}\n{body}") for title, body in ARCHIVE]
RUNS = [run for text in TEXTS for run in HAN_RUN.findall(text)]


@pytest.fixture
def archive(engine: Engine) -> SearchIndex:
    index = SearchIndex(engine)
    for age, (title, body) in enumerate(ARCHIVE):
        add_article(engine, index, title, body, age_days=1 + age)
    return index


def truth(*groups: tuple[str, ...], exclude: tuple[str, ...] = ()) -> set[int]:
    """Brute force: article ids whose text holds a needle of every group and no excluded one."""
    return {
        i + 1
        for i, text in enumerate(TEXTS)
        if all(any(n in text for n in group) for group in groups)
        and not any(n in text for n in exclude)
    }


@st.composite
def pieces(draw: st.DrawFn) -> str:
    """2 to 6 consecutive Chinese characters drawn from the archive."""
    run = draw(st.sampled_from([r for r in RUNS if len(r) >= 2]))
    size = draw(st.integers(2, min(6, len(run))))
    start = draw(st.integers(0, len(run) - size))
    return run[start : start + size]


QUERIES = st.one_of(
    pieces().map(lambda p: (p, ((p,),))),
    pieces().map(lambda p: (f'"{p}"', ((p,),))),
    st.tuples(pieces(), pieces()).map(lambda ab: (f"{ab[0]} {ab[1]}", ((ab[0],), (ab[1],)))),
    st.tuples(pieces(), pieces(), st.sampled_from([" OR ", " 或 ", "|"])).map(
        lambda abo: (f"{abo[0]}{abo[2]}{abo[1]}", ((abo[0], abo[1]),))
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(QUERIES)
def test_recall_equals_a_substring_scan(
    archive: SearchIndex, query: tuple[str, tuple[tuple[str, ...], ...]]
) -> None:
    text, groups = query
    expected = truth(*groups)
    assert archive.matching_ids(text) == expected
    results = archive.search(text, now=NOW, page_size=50)
    assert results.total == len(expected) and ids(results) == expected
    assert {
        i + 1 for i, (title, body) in enumerate(ARCHIVE) if matches(text, title, body)
    } == expected


def search(index: SearchIndex, query: str) -> set[int]:
    return ids(index.search(query, now=NOW, page_size=50))


def test_pieces_across_word_cuts(archive: SearchIndex) -> None:
    assert search(archive, "质量发展") == truth(("质量发展",))
    assert {1, 8, 10} <= search(archive, "质量发展")
    assert search(archive, "规上工业") == {5}
    assert search(archive, "派出所") == {7}
    assert search(archive, "所以") == {7}  # 派出所以: both readings
    assert search(archive, "业增加") == {5}


def test_numbers_find_longer_units(archive: SearchIndex) -> None:
    assert search(archive, "1.2万") == {3, 9}  # 1.2万人 and 1.2万元
    assert search(archive, "1.2万人") == {3}
    assert search(archive, "4804") == {6}  # 4804条
    assert search(archive, "480") == set()  # whole numbers only
    assert search(archive, "问题4804") == {6}
    assert search(archive, "3029.56万") == {2}


def test_or_in_every_spelling(archive: SearchIndex) -> None:
    either = truth(("债务", "就业"))
    for query in ("债务 OR 就业", "债务 或 就业", "债务|就业", "债务 | 就业", "债务｜就业"):
        assert search(archive, query) == either, query


def test_or_with_and_phrases_exclusions_and_filters(archive: SearchIndex) -> None:
    assert search(archive, "高新区 债务|招聘") == {2, 4}
    assert search(archive, "债务|就业 -招聘") == truth(("债务", "就业"), exclude=("招聘",))
    assert search(archive, '"高质量发展" OR 规上工业') == {1, 5, 10}
    assert search(archive, "债务|就业 since:3d") == {2, 3}
    assert search(archive, "债务 or 就业") == set()  # lower-case or is a word


def test_unknown_section_names_the_existing_ones(archive: SearchIndex) -> None:
    with pytest.raises(InvalidQuery) as caught:
        archive.search("党建 section:体育", now=NOW)
    assert caught.value.key == "search.unknown_section"
    assert "体育" in str(caught.value) and "阳泉" in str(caught.value)
    assert "Sections: 阳泉" in caught.value.message("en")
    assert search(archive, "党建 section:阳泉")


def test_title_whole_word_and_recency_rank_first(engine: Engine) -> None:
    index = SearchIndex(engine)
    body = add_article(engine, index, "论坛", "会议讨论质量发展问题。", age_days=1)
    partial = add_article(engine, index, "论坛", "会议推动高质量发展。", age_days=1)
    title = add_article(engine, index, "质量发展大会", "会议召开。", age_days=3)
    old = add_article(engine, index, "论坛", "会议讨论质量发展问题。", age_days=200)
    ranked = [hit.article_id for hit in index.search("质量发展", now=NOW).hits]
    assert ranked == [title, body, partial, old]


def test_whole_word_hits_beyond_the_first_read_still_rank_first(engine: Engine) -> None:
    """Contenders are checked for whole words best base first, a few at a time (index.ahead):
    whole-word hits older than the first few partial ones must still take the first places,
    and a partial hit newer than an old whole-word one still comes before it."""
    index = SearchIndex(engine)
    partial = [
        add_article(engine, index, "论坛", "会议推动高质量发展。", age_days=age)
        for age in range(1, 11)
    ]
    whole = [
        add_article(engine, index, "论坛", "会议讨论质量发展问题。", age_days=age)
        for age in (20, 25, 60)
    ]

    def page(n: int) -> list[int]:
        return [
            hit.article_id for hit in index.search("质量发展", page=n, page_size=2, now=NOW).hits
        ]

    assert page(1) == whole[:2]
    assert [i for n in range(2, 8) for i in page(n)] == [*partial, whole[2]]


def test_migration_rebuilds_an_existing_archive_in_place(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsbot.storage import db

    engine = db.create_db_engine(database_url)
    try:
        db.upgrade(engine, "0006")  # the archive as it was, under the jieba-word index
        for title, body in ARCHIVE[:4]:
            add_article(engine, None, title, body)
        db.upgrade(engine)
        assert "search index: 4/4 articles (100%)" in capsys.readouterr().err
        index = SearchIndex(engine)
        assert index.status().current
        assert search(index, "质量发展") == {1} and search(index, "债务|就业") == {2, 3}
    finally:
        engine.dispose()


def test_bucket_migration_rebuilds_the_previous_format_in_place(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """0010 (PostgreSQL): rows written by the first bigram index (pair keys only) gain their id
    bucket's key, so the bounded plans find them; SQLite's index is left as it is."""
    from sqlalchemy import text

    from newsbot.storage import db
    from newsbot.storage.search.documents import BUCKETS_END, bucket_key

    engine = db.create_db_engine(database_url)
    try:
        db.upgrade(engine, "0009")
        index = SearchIndex(engine)
        for title, body in ARCHIVE[:5]:
            add_article(engine, index, title, body)
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:  # the 0007 format: no bucket keys
                connection.execute(
                    text(
                        "UPDATE article_search SET grams = "
                        "ARRAY(SELECT k FROM unnest(grams) AS k WHERE k >= :end)"
                    ),
                    {"end": BUCKETS_END},
                )
        capsys.readouterr()
        db.upgrade(engine)
        err = capsys.readouterr().err
        if engine.dialect.name == "postgresql":
            assert "search index (id buckets): 5/5 articles (100%)" in err
            assert "GIN index built" in err
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT article_id, grams FROM article_search"))
                assert all(bucket_key(row.article_id) in row.grams for row in rows)
        else:
            assert "id buckets" not in err
        assert index.status().current
        assert search(index, "质量发展") == {1} and search(index, "债务|就业") == {2, 3}
    finally:
        engine.dispose()
