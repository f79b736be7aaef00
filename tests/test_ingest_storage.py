"""Article and source stores on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine

from newsbot.config import SourceSettings
from newsbot.core.models import Article, Figure, Summary
from newsbot.storage.articles import ArticleDraft, ArticleStore, NearDuplicateIndex
from newsbot.storage.sources import SourceStore

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
LEAD = "今年以来,阳泉高新区立足全方位推动高质量发展总目标,聚焦创建国家级高新区总航向。共计查摆出问题4804条。"


class RecordingIndexer:
    """A fake at our own seam (the indexer protocol): remembers what it was given."""

    def __init__(self, fail: bool = False) -> None:
        self.indexed: list[int] = []
        self.fail = fail

    def index(self, connection: Connection, article: Article) -> None:
        if self.fail:
            raise RuntimeError("index is down")
        self.indexed.append(article.id)

    def remove(self, connection: Connection, article_id: int) -> None:
        self.indexed.remove(article_id)


def sources(engine: Engine) -> SourceStore:
    store = SourceStore(engine)
    store.sync(
        [
            SourceSettings(
                key="yq", name="阳泉", kind="feed", url="http://127.0.0.1/yq.xml", section="阳泉"
            ),
            SourceSettings(
                key="dj", name="党建", kind="feed", url="http://127.0.0.1/dj.xml", section="党建"
            ),
        ]
    )
    return store


def draft(
    source_id: int, key: str, title: str = "党建赋能 激活高质量发展", text: str = LEAD, **kw: object
) -> ArticleDraft:
    return ArticleDraft(
        source_id=source_id,
        section="阳泉",
        dedupe_key=key,
        url=f"http://127.0.0.1/{key}",
        title=title,
        text=text,
        **kw,
    )  # type: ignore[arg-type]


def test_insert_is_idempotent_and_updates_are_bounded(engine: Engine) -> None:
    src = sources(engine).get("yq")
    assert src is not None
    indexer = RecordingIndexer()
    store = ArticleStore(engine, indexer, max_updates=1)
    summary = Summary(("查摆出问题4804条",), (Figure("4804条", 4804, "条", "问题"),))
    assert store.save(draft(src.id, "a", summary=summary, published_at=NOW), NOW)[0] == "new"
    assert store.save(draft(src.id, "a"), NOW)[0] == "unchanged"
    assert store.save(draft(src.id, "a", text=LEAD + "更新"), NOW)[0] == "updated"
    assert store.save(draft(src.id, "a", text=LEAD + "再更新"), NOW)[0] == "unchanged"  # capped
    assert store.count() == 1 and len(indexer.indexed) == 2
    (article,) = store.latest(5)
    assert article.text.endswith("更新") and article.source_key == "yq"
    assert store.known(["a", "b"])["a"].update_count == 1


def test_summary_round_trips(engine: Engine) -> None:
    src = sources(engine).get("yq")
    assert src is not None
    store = ArticleStore(engine)
    summary = Summary(("查摆出问题4804条",), (Figure("4804条", 4804.0, "条", "问题"),))
    _, article_id = store.save(draft(src.id, "s", summary=summary), NOW)
    stored = store.get(article_id)
    assert stored is not None and stored.summary == summary
    assert store.get(article_id + 100) is None


def test_index_failure_rolls_the_article_back(engine: Engine) -> None:
    src = sources(engine).get("yq")
    assert src is not None
    with pytest.raises(RuntimeError):
        ArticleStore(engine, RecordingIndexer(fail=True)).save(draft(src.id, "x"), NOW)
    assert ArticleStore(engine).count() == 0


def test_near_duplicates_are_marked_and_hidden_from_readers(engine: Engine) -> None:
    store_sources = sources(engine)
    yq, dj = store_sources.get("yq"), store_sources.get("dj")
    assert yq is not None and dj is not None
    store = ArticleStore(engine)
    _, first = store.save(draft(yq.id, "one"), NOW)
    _, second = store.save(
        draft(dj.id, "two", text=LEAD + "(来源:阳泉日报)"), NOW + timedelta(minutes=1)
    )
    _, third = store.save(
        draft(dj.id, "three", title="太原市优化营商环境", text="全年新增市场主体3.2万户。"), NOW
    )
    assert store.get(second).duplicate_of == first  # type: ignore[union-attr]
    assert {a.id for a in store.recent(NOW - timedelta(hours=1), 10)} == {first, third}
    assert [a.id for a in store.recent(NOW - timedelta(hours=1), 10, sections=["阳泉"])] == [
        third,
        first,
    ]
    # A fresh store (a restarted process) still knows the recent hashes from the database.
    fresh = ArticleStore(engine)
    _, fourth = fresh.save(draft(dj.id, "four", text=LEAD + "。"), NOW + timedelta(minutes=2))
    assert fresh.get(fourth).duplicate_of == first  # type: ignore[union-attr]
    assert store.counts_by_source() == {"yq": 1, "dj": 3}


def test_source_sync_status_and_due(engine: Engine) -> None:
    store = sources(engine)
    assert {s.key for s in store.due(NOW, ["yq", "dj"])} == {"yq", "dj"}
    store.record_success(
        "yq",
        status="ok",
        polled_at=NOW,
        next_poll_at=NOW + timedelta(minutes=15),
        etag='"e"',
        last_modified=None,
    )
    store.record_failure(
        "dj",
        status="http-500",
        error="boom",
        polled_at=NOW,
        next_poll_at=NOW + timedelta(minutes=1),
        failures=3,
    )
    assert [s.key for s in store.due(NOW + timedelta(minutes=5), ["yq", "dj"])] == ["dj"]
    assert store.next_due_at(["yq", "dj"]) == NOW + timedelta(minutes=1)
    dj = store.get("dj")
    assert dj is not None and (dj.failures, dj.last_status, dj.last_error) == (
        3,
        "http-500",
        "boom",
    )
    store.sync([SourceSettings(key="yq", name="阳泉", kind="feed", url="http://127.0.0.1/new.xml")])
    yq = store.get("yq")
    assert yq is not None and yq.etag is None and yq.url.endswith("new.xml")  # new URL, no old ETag


def test_near_duplicate_index_forgets_old_articles() -> None:
    index = NearDuplicateIndex(3, timedelta(days=7))
    index.PRUNE_EVERY = 10
    for i in range(25):
        index.add(i, i * 7919, NOW + timedelta(days=i))
    assert len(index) < 25  # pruned on the way: only the last 7 days (plus one batch) remain
    assert index.find(24 * 7919, NOW + timedelta(days=18)) == 24
    assert index.find(0, NOW) is None
