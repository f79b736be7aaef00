"""/wechat with wechatpy as the WeChat platform: modes, commands, retries, hostile requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import time

import pytest

from newsbot.app import engine_of
from newsbot.storage.subscribers import SubscriberStore
from wechat_support import WeChatWorld, wechat_world

pytestmark = pytest.mark.timeout(60)
READER = "oReader0000000000000000000001"


@pytest.fixture
async def wx(database_url: str) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url) as world:
        yield world


async def test_url_verification(wx: WeChatWorld) -> None:
    answer = await wx.server.verify_url("echo-987")
    assert (answer.status_code, answer.text) == (200, "echo-987")
    forged = await wx.server.verify_url("echo-987", signature="0" * 40)
    assert forged.status_code == 403 and "echo-987" not in forged.text
    stale = wx.server.signed_query(timestamp=str(int(wx.clock.now().timestamp()) - 301))
    refused = await wx.server.client.get(wx.server.url, params={**stale, "echostr": "x"})
    assert refused.status_code == 403


@pytest.mark.parametrize("mode", ["safe", "compatible", "plain"])
async def test_search_in_each_mode(wx: WeChatWorld, mode: str) -> None:
    reply = await wx.server.send(READER, "党建", mode=mode)
    assert reply.kind == "text"
    assert "党建" in reply.content and "第 1/4 页" in reply.content
    assert "回复 1：下一页 ›" in reply.content
    encrypted = "<Encrypt>" in reply.wire and "党建" not in reply.wire
    assert encrypted == (mode != "plain")  # safe and compatible replies are encrypted


async def test_numbered_choices_are_remembered(wx: WeChatWorld) -> None:
    await wx.server.send(READER, "党建")
    second = await wx.server.send(READER, "1")
    assert "第 2/4 页" in second.content and "回复 1：‹ 上一页" in second.content
    third = await wx.server.send(READER, "下一页")
    assert "第 3/4 页" in third.content
    back = await wx.server.send(READER, "1")
    assert "第 2/4 页" in back.content


async def test_chinese_command_words(wx: WeChatWorld) -> None:
    assert "已订阅" in (await wx.server.send(READER, "订阅")).content
    assert "07:30" in (await wx.server.send(READER, "时间 7:30")).content
    assert "债务" in (await wx.server.send(READER, "关键词 债务")).content
    help_text = (await wx.server.send(READER, "帮助")).content
    assert "时间 — 设置摘要时间，如 时间 07:30" in help_text and "/time" not in help_text
    subscriber = SubscriberStore(engine_of(wx.newsroom)).get("wechat", READER)
    assert subscriber is not None and subscriber.digest_time == time(7, 30)
    assert subscriber.keywords == ("债务",)
    assert "07:30" in (await wx.server.send(READER, "/time")).content  # slash forms work too


async def test_follow_unfollow_click_and_scan(wx: WeChatWorld) -> None:
    welcome = await wx.server.send(READER, event="subscribe")
    # one passive reply that says what a WeChat reader types; no customer-service message
    assert "欢迎" in welcome.content and "时间 7:30" in welcome.content
    assert "/help" not in welcome.content and wx.api.messages(READER) == []
    settings = await wx.server.send(READER, event="CLICK", key="SETTINGS")
    assert "07:" in settings.content or "08:00" in settings.content
    await wx.server.send(READER, event="unsubscribe")
    store = SubscriberStore(engine_of(wx.newsroom))
    gone = store.get("wechat", READER)
    assert gone is not None and not gone.active
    scanned = await wx.server.send(READER, event="SCAN", key="kw_债务")
    assert "债务" in scanned.content
    back = store.get("wechat", READER)
    assert back is not None and back.active and "债务" in back.keywords


async def test_retries_are_answered_once_with_the_same_reply(wx: WeChatWorld) -> None:
    xml, _ = wx.server.message_xml(READER, content="关键词 债务", msg_id=424242)
    requests = [wx.server.request(xml, "safe") for _ in range(3)]
    answers = await asyncio.gather(*(wx.server.post(q, b) for q, b in requests))
    replies = [wx.server.read(a, encrypted=True) for a in answers]
    assert len({r.content for r in replies}) == 1
    assert "已添加关键词" in replies[0].content
    subscriber = SubscriberStore(engine_of(wx.newsroom)).get("wechat", READER)
    assert subscriber is not None and subscriber.keywords == ("债务",)


async def test_hostile_requests_are_refused_and_change_nothing(wx: WeChatWorld) -> None:
    server = wx.server
    xml, _ = server.message_xml(READER, content="订阅")
    query, body = server.request(xml, "safe")
    forged = await server.post({**query, "signature": "f" * 40}, body)
    wrong_envelope = await server.post({**query, "msg_signature": "f" * 40}, body)
    stale_q, stale_b = server.request(
        xml, "safe", timestamp=str(int(wx.clock.now().timestamp()) - 400)
    )
    stale = await server.post(stale_q, stale_b)
    assert (forged.status_code, wrong_envelope.status_code, stale.status_code) == (403, 403, 403)
    plain_q, _ = server.request(xml, "plain")
    huge = await server.post(plain_q, b"<xml>" + b"A" * (64 * 1024) + b"</xml>")
    malformed = await server.post(plain_q, b"<xml><Content>oops</xml>")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>'
    )
    entity = await server.post(plain_q, bomb)
    external = await server.post(
        plain_q,
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
    )
    not_utf8 = await server.post(plain_q, "<xml><Content>党建</Content></xml>".encode("gb18030"))
    garbage = await server.post(
        query, b"<xml><Encrypt><![CDATA[bm90IGNpcGhlcg==]]></Encrypt></xml>"
    )
    codes = [r.status_code for r in (huge, malformed, entity, external, not_utf8, garbage)]
    assert codes == [413, 400, 400, 400, 400, 403]
    assert "root:" not in external.text
    assert SubscriberStore(engine_of(wx.newsroom)).get("wechat", READER) is None  # nothing changed
    still_up = await server.send(READER, "党建")
    assert "党建" in still_up.content
