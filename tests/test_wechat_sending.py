"""Sending to WeChat readers: the window and its quota, held messages delivered as the passive
reply, the access token shared and refreshed, unfollowed readers, and the 5-second rule."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from newsbot.channels.wechat.outgoing import Outgoing
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.errors import SendError
from newsbot.storage.subscribers import SubscriberStore
from newsbot.storage.weixin import TokenCache
from wechat_support import WeChatWorld, wechat_world

pytestmark = pytest.mark.timeout(90)
READER = "oReader0000000000000000000002"
CARD = {
    "title": "每日摘要 · 2026-03-02",
    "description": "共 7 篇：阳泉市党建工作推进会…",
    "url": "https://news.example.cn/d/abcdefghijklmnopqrstuvwxyz012345",
    "picurl": "",
}


@pytest.fixture
async def wx(sqlite_url: str) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(sqlite_url) as world:
        yield world


async def test_inside_the_window_and_its_quota(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")  # opens 48 h and 5 messages
    sender = wx.channel.sender
    results = [await sender.deliver(READER, Outgoing(text=f"第{n}条")) for n in range(6)]
    assert [r.startswith("held:") for r in results] == [False] * 5 + [True]
    assert len(wx.api.messages(READER)) == 5 and not wx.api.refused  # we never hit 45047


async def test_window_closed_digest_is_held_then_the_passive_reply(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")
    wx.newsroom.clock.current += timedelta(hours=49)  # our record of the window has closed
    wx.api.advance(49 * 3600)
    held = await wx.channel.sender.deliver(READER, Outgoing(card=CARD, kind="digest"))
    assert held.startswith("held:") and not wx.api.refused  # no API call outside the window
    reply = await wx.server.send(READER, "党建")
    assert reply.kind == "news"
    (article,) = reply.articles
    assert article["Title"].startswith("你有 1 份未读日报") and article["Url"] == CARD["url"]
    await wx.api.async_wait_for(lambda: len(wx.api.messages(READER)) == 1)
    assert "党建" in wx.api.messages(READER)[0]["text"]["content"]  # the answer, right after
    again = await wx.server.send(READER, "党建")
    assert again.kind == "text"  # delivered once


async def test_the_platform_closing_the_window_holds_too(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")
    wx.api.advance(49 * 3600)  # our record says open, the platform says 45015
    held = await wx.channel.sender.deliver(READER, Outgoing(text="日报", kind="digest"))
    assert held.startswith("held:") and wx.api.refused == [(READER, 45015)]
    reply = await wx.server.send(READER, "帮助")
    assert reply.content.startswith("你有 1 份未读日报") and "日报" in reply.content


async def test_unfollowed_reader_is_permanent(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "订阅")
    wx.api.unfollow(READER)
    with pytest.raises(SendError) as caught:
        await wx.channel.sender.deliver(READER, Outgoing(text="提醒"))
    assert caught.value.permanent and "43004" in caught.value.reason


async def test_token_refreshed_at_once_when_refused(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")
    await wx.channel.sender.deliver(READER, Outgoing(text="一"))
    assert wx.api.token_requests == 1
    wx.api.revoke_tokens()  # 40014 for the cached token
    await wx.channel.sender.deliver(READER, Outgoing(text="二"))
    assert wx.api.token_requests == 2 and len(wx.api.messages(READER)) == 2
    wx.api.advance(7200)  # expired at the platform: 42001
    await wx.channel.sender.deliver(READER, Outgoing(text="三"))
    assert wx.api.token_requests == 3 and len(wx.api.messages(READER)) == 3


async def test_one_token_for_every_process(wx: WeChatWorld) -> None:
    api = wx.channel.api
    tokens = [
        SharedToken("wechat:shared", TokenCache(wx.newsroom.engine), api.fetch_token, wx.clock)
        for _ in range(3)
    ]
    values = await asyncio.gather(*(t.get() for t in tokens))
    assert len(set(values)) == 1  # one process fetched, the others waited for it
    later = [await t.get() for t in tokens]
    assert len(set(later)) == 1 and wx.api.token_requests == 1
    wx.newsroom.clock.current += timedelta(seconds=7200 - 299)  # within 5 min of expiry
    fresh = await tokens[0].get()
    assert fresh != later[0]  # refreshed before it expires


async def test_a_slow_answer_is_success_then_a_customer_service_message(sqlite_url: str) -> None:
    async with wechat_world(sqlite_url, passive_budget_seconds=0.001) as wx:
        wx.api.stall = 6.0  # and the API itself is slow
        started = time.monotonic()
        reply = await wx.server.send(READER, "党建")
        assert reply.kind == "success" and time.monotonic() - started < 1.0
        xml, _ = wx.server.message_xml(READER, content="党建", msg_id=99)
        retry = wx.server.read(await wx.server.post(*wx.server.request(xml)), encrypted=True)
        assert retry.kind in ("success", "text")
        await wx.api.async_wait_for(lambda: len(wx.api.messages(READER)) >= 1, timeout=30)
        assert "党建" in wx.api.messages(READER)[0]["text"]["content"]


async def test_unsubscribe_keeps_the_data(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "关键词 债务")
    await wx.server.send(READER, event="unsubscribe")
    subscriber = SubscriberStore(wx.newsroom.engine).get("wechat", READER)
    assert subscriber is not None and not subscriber.active and subscriber.keywords == ("债务",)
