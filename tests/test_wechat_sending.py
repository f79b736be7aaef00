"""Sending to WeChat readers: the window and its quota, a scheduled digest as one message,
held digests delivered as the passive reply, the access token shared and refreshed, unfollowed
readers, and the 5-second rule."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from newsbot.app import channel_stores, engine_of
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.core.channels import Kind, Outbound, SendOutcome
from newsbot.errors import SendError
from newsbot.storage.outbox import OutboxStore
from newsbot.storage.subscribers import SubscriberStore
from wechat_support import WeChatWorld, wechat_world

pytestmark = pytest.mark.timeout(90)
READER = "oReader0000000000000000000002"
PUBLIC = "https://news.example.invalid"


@pytest.fixture
async def wx(sqlite_url: str) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(sqlite_url, http={"public_url": PUBLIC}) as world:
        yield world


def text(n: int) -> Outbound:
    return Outbound.of(READER, f"第{n}条", Kind.REPLY)


async def subscribe_at(wx: WeChatWorld, minutes_ahead: int) -> str:
    """订阅, then 时间 HH:MM a few minutes ahead (the reader's local time, Asia/Shanghai)."""
    await wx.server.send(READER, "订阅")
    local = wx.clock.now() + timedelta(hours=8, minutes=minutes_ahead)
    answer = await wx.server.send(READER, f"时间 {local:%H:%M}")
    assert f"{local:%H:%M}" in answer.content
    return f"{local:%H:%M}"


async def scheduled_digest(wx: WeChatWorld, minutes_ahead: int) -> None:
    wx.clock.current += timedelta(minutes=minutes_ahead, seconds=30)
    report = await wx.newsroom.deliver_due()
    assert report.queued == 1
    await wx.newsroom.send_outbox()


async def test_inside_the_window_and_its_quota(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")  # opens 48 h and 5 messages
    for n in range(5):
        await wx.channel.sender.send(text(n))
    with pytest.raises(SendError) as caught:
        await wx.channel.sender.send(text(5))
    assert caught.value.outcome is SendOutcome.HOLD_UNTIL_CONTACT
    assert len(wx.api.messages(READER)) == 5 and not wx.api.refused  # we never hit 45047


async def test_scheduled_digest_is_one_news_card_to_its_page(wx: WeChatWorld) -> None:
    await subscribe_at(wx, 3)
    await scheduled_digest(wx, 3)
    (sent,) = wx.api.messages(READER)
    (article,) = sent["news"]["articles"]
    assert article["title"].startswith("📰 每日摘要") and article["url"].startswith(f"{PUBLIC}/d/")
    path = article["url"][len(PUBLIC) :]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{wx.front.port}") as client:
        page = await client.get(path)
    assert page.status_code == 200 and "查摆出问题" in page.text and "4806条" in page.text


async def test_without_a_public_url_the_digest_is_one_text(sqlite_url: str) -> None:
    async with wechat_world(sqlite_url) as wx:
        await subscribe_at(wx, 2)
        await scheduled_digest(wx, 2)
        (sent,) = wx.api.messages(READER)
        content = sent["text"]["content"]
        assert content.startswith("📰 每日摘要") and len(content.encode("utf-8")) <= 2048
        assert "阳泉市党建工作推进会" in content


async def test_window_closed_digest_is_held_then_the_passive_reply(wx: WeChatWorld) -> None:
    await subscribe_at(wx, 5)
    wx.api.advance(3 * 24 * 3600)  # the platform's window closed (45015)
    await scheduled_digest(wx, 5)
    assert not wx.api.messages(READER) and wx.api.refused == [(READER, 45015)]
    assert OutboxStore(engine_of(wx.newsroom)).counts().get("held") == 1
    reply = await wx.server.send(READER, "党建")
    assert reply.kind == "news"
    (article,) = reply.articles
    assert article["Title"].startswith("你有 1 份未读日报") and article["Url"].startswith(PUBLIC)
    await wx.api.async_wait_for(lambda: len(wx.api.messages(READER)) == 1)
    assert "党建" in wx.api.messages(READER)[0]["text"]["content"]  # the answer, right after
    assert OutboxStore(engine_of(wx.newsroom)).counts().get("held") is None
    again = await wx.server.send(READER, "党建")
    assert again.kind == "text"  # delivered once


async def test_the_platform_closing_the_window_holds_too(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")
    wx.api.advance(49 * 3600)  # our record says open, the platform says 45015
    with pytest.raises(SendError) as caught:
        await wx.channel.sender.send(Outbound.of(READER, "日报", Kind.DIGEST))
    assert caught.value.outcome is SendOutcome.HOLD_UNTIL_CONTACT
    assert wx.api.refused == [(READER, 45015)]
    with pytest.raises(SendError):  # our record is closed now: no second API call
        await wx.channel.sender.send(text(1))
    assert wx.api.refused == [(READER, 45015)]


async def test_unfollowed_reader_is_gone(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "订阅")
    wx.api.unfollow(READER)
    with pytest.raises(SendError) as caught:
        await wx.channel.sender.send(text(1))
    assert caught.value.outcome is SendOutcome.RECIPIENT_GONE and "43004" in caught.value.reason


async def test_token_refreshed_at_once_when_refused(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "你好")
    await wx.channel.sender.send(text(1))
    assert wx.api.token_requests == 1
    wx.api.revoke_tokens()  # 40014 for the cached token
    await wx.channel.sender.send(text(2))
    assert wx.api.token_requests == 2 and len(wx.api.messages(READER)) == 2
    wx.api.advance(7200)  # expired at the platform: 42001
    await wx.channel.sender.send(text(3))
    assert wx.api.token_requests == 3 and len(wx.api.messages(READER)) == 3


async def test_one_token_for_every_process(wx: WeChatWorld) -> None:
    api = wx.channel.api
    tokens = [
        SharedToken(
            "wechat:shared",
            channel_stores(engine_of(wx.newsroom)).tokens,
            api.fetch_token,
            wx.clock,
        )
        for _ in range(3)
    ]
    values = await asyncio.gather(*(t.get() for t in tokens))
    assert len(set(values)) == 1  # one process fetched, the others waited for it
    assert wx.api.token_requests == 1
    wx.clock.current += timedelta(seconds=7200 - 299)  # within 5 min of expiry
    fresh = await tokens[0].get()
    assert fresh != values[0] and wx.api.token_requests == 2  # refreshed before it expires


async def test_a_slow_answer_is_success_then_a_customer_service_message(sqlite_url: str) -> None:
    async with wechat_world(sqlite_url, passive_budget_seconds=0.001) as wx:
        wx.api.stall = 6.0  # and the API itself is slow
        started = time.monotonic()
        reply = await wx.server.send(READER, "党建")
        assert reply.kind == "success" and time.monotonic() - started < 1.0
        await wx.api.async_wait_for(lambda: len(wx.api.messages(READER)) >= 1, timeout=30)
        assert "党建" in wx.api.messages(READER)[0]["text"]["content"]


async def test_unsubscribe_keeps_the_data(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "关键词 债务")
    await wx.server.send(READER, event="unsubscribe")
    subscriber = SubscriberStore(engine_of(wx.newsroom)).get("wechat", READER)
    assert subscriber is not None and not subscriber.active and subscriber.keywords == ("债务",)
