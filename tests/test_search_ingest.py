"""The real ArticleStore keeps the index in step: save (insert and update) indexes in the same
transaction, on both databases."""

from __future__ import annotations

from sqlalchemy import Engine
from tests.search_support import NOW, source_id

from newsbot.core.models import Summary
from newsbot.storage.articles import ArticleDraft, ArticleStore
from newsbot.storage.search import SearchIndex


def test_article_store_indexes_inserts_and_updates(engine: Engine) -> None:
    index = SearchIndex(engine)
    store = ArticleStore(engine, index)
    with engine.begin() as connection:
        sid = source_id(connection, "yangquan", "阳泉")
    draft = ArticleDraft(
        source_id=sid,
        section="阳泉",
        dedupe_key="yangquan:5849",
        url="http://127.0.0.1/gsyl/yangquan/5849.html",
        title="党建赋能 激活高质量发展“红色引擎”",
        text="阳泉高新区聚焦基层党建。",
        published_at=NOW,
        summary=Summary(("推进乡村振兴",)),
    )
    _, article_id = store.save(draft, NOW)
    found = index.search("党建 乡村振兴", now=NOW)
    assert [hit.article_id for hit in found.hits] == [article_id]
    store.save(
        ArticleDraft(**{**_fields(draft), "text": "化解债务3029.56万元。", "summary": None}), NOW
    )
    assert index.search("债务", now=NOW).total == 1
    assert index.matching_ids("乡村振兴") == set()


def _fields(draft: ArticleDraft) -> dict[str, object]:
    return {name: getattr(draft, name) for name in draft.__dataclass_fields__}
