"""The same query within one 10-second slot is answered from memory (a burst of readers sending
the same word), and never after this process changed the index or the slot passed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from fakes.chat_world import NOW, build_world
from newsbot.app import engine_of, indexed_articles
from newsbot.core.models import ArticleDraft
from newsbot.service import Newsroom
from newsbot.storage.sources import SourceStore


@contextmanager
def statements(newsroom: Newsroom) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    event.listen(engine_of(newsroom), "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine_of(newsroom), "before_cursor_execute", record)


def add_debt_story(newsroom: Newsroom, title: str) -> None:
    source = SourceStore(engine_of(newsroom)).all()[0]
    draft = ArticleDraft(
        source_id=source.id,
        section="要闻",
        dedupe_key=f"https://www.shanxidayuan.com/{title}.html",
        url=f"https://www.shanxidayuan.com/{title}.html",
        title=title,
        text=f"{title}。",
        published_at=newsroom.clock.now() - timedelta(minutes=1),
    )
    indexed_articles(newsroom).save(draft, newsroom.clock.now())


def test_a_repeated_query_is_answered_from_memory(sqlite_url: str) -> None:
    newsroom = build_world(sqlite_url)
    first = newsroom.search("债务")
    with statements(newsroom) as again:
        second = newsroom.search("债务")
    assert second == first and again == []  # no database work at all
    with statements(newsroom) as other_page:
        newsroom.search("债务", page=2)
    assert other_page  # another page is another query
    newsroom.close()


def test_a_change_of_the_index_or_the_slot_is_searched_afresh(sqlite_url: str) -> None:
    newsroom = build_world(sqlite_url)
    assert newsroom.search("债务").total == 1
    add_debt_story(newsroom, "平定县化解债务")  # indexed by this process: remembered results go
    assert newsroom.search("债务").total == 2
    newsroom.clock.current = NOW + timedelta(seconds=10)  # the next slot
    with statements(newsroom) as later:
        assert newsroom.search("债务").total == 2
    assert later
    newsroom.close()
