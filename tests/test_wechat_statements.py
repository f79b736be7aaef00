"""The SQL a WeChat reply costs, counted per request (not timed): a regression in the number of
statements per passive reply fails here (docs/wechat.md, "Measured")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from newsbot.app import engine_of
from wechat_support import WeChatWorld, wechat_world

pytestmark = pytest.mark.timeout(60)
READER = "oStatements00000000000000001"

# A search turn beside the search's own statements: the inbound record with the reader's
# window and its held messages (one commit), the subscriber and its keywords (a new reader: the
# read and the insert, one commit), the answer with the choices it offers (one commit). It was
# 16 (new readers 20) with the search's four before the turn's work was cut, then 8 with the
# last query saved on every search and the held messages in their own commit (docs/wechat.md).
TURN_BOUND = 7
# The commits of a search turn (the search's read commits nothing): record, subscriber, answer.
# It was 5 (a new reader's 6: the subscriber's read and insert apart) before the same change.
COMMITS = 3
# The search of a word found in the newest articles: the plan's probe (on PostgreSQL with the
# transaction's settings), the ranking, the page's articles with their texts. It was 4 on SQLite
# and 6 on PostgreSQL before the page's reads were joined (docs/search.md).
SEARCH_BOUND = 3


@pytest.fixture
async def wx(database_url: str) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url) as world:
        await world.server.send("oSomeoneElse", "你好")  # the process's first request is past
        yield world


@contextmanager
def counted(world: WeChatWorld, commits: list[str] | None = None) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(" ".join(statement.split())[:120])

    def commit(_conn: object) -> None:
        (statements if commits is None else commits).append("COMMIT")

    engine = engine_of(world.newsroom)
    event.listen(engine, "before_cursor_execute", record)
    if commits is not None:
        event.listen(engine, "commit", commit)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        if commits is not None:
            event.remove(engine, "commit", commit)


async def test_a_search_reply_stays_within_its_statements(wx: WeChatWorld) -> None:
    with counted(wx) as search:  # the search alone (its backend's business, not the turn's)
        await wx.newsroom.search_async("党建", page_size=wx.newsroom.settings.search.page_size)
    assert len(search) <= SEARCH_BOUND, "\n".join(search)
    bound = len(search) + TURN_BOUND
    commits: list[str] = []
    with counted(wx, commits) as first:  # a new reader
        reply = await wx.server.send(READER, "党建")
    assert reply.kind == "text" and "党建" in reply.content
    assert len(first) <= bound, "\n".join(first)
    assert len(commits) <= COMMITS, "\n".join(first)
    commits.clear()
    with counted(wx, commits) as again:  # the same query again: its results are remembered (10 s)
        await wx.server.send(READER, "党建")
    assert len(again) <= TURN_BOUND, "\n".join(again)
    assert len(commits) <= COMMITS, "\n".join(again)
    with counted(wx) as page:
        second = await wx.server.send(READER, "1")
    assert "第 2/4 页" in second.content
    assert len(page) <= bound + 1, "\n".join(page)  # and the choices that make "1" a button
    subscriber_reads = [s for s in again + page if s.startswith("SELECT subscribers.")]
    assert len(subscriber_reads) == 2  # once per turn


async def test_a_retry_costs_two_statements(wx: WeChatWorld) -> None:
    xml, _ = wx.server.message_xml(READER, content="党建", msg_id=42)
    first = wx.server.read(await wx.server.post(*wx.server.request(xml)), encrypted=True)
    with counted(wx) as retry:
        again = wx.server.read(await wx.server.post(*wx.server.request(xml)), encrypted=True)
    assert again.raw == first.raw
    assert len(retry) <= 2, "\n".join(retry)  # the refused insert, the stored answer


async def test_a_command_reply_stays_within_its_statements(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "党建")
    with counted(wx) as statements:
        reply = await wx.server.send(READER, "时间 7:30")
    assert "07:30" in reply.content
    assert len(statements) <= 8, "\n".join(statements)
