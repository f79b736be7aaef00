"""/wecom with wechatpy's WeCom crypto as the WeCom platform: URL check, commands, menu clicks,
retries, hostile requests. Answers arrive as app messages at the fake WeCom API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest

from fakes.wecom_app_api import TEXT_BYTES
from fakes.wecom_server import WeComServer, xml_of
from newsbot.app import engine_of
from newsbot.storage.subscribers import SubscriberStore
from wecom_support import MEMBER, WeComWorld, wecom_world

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def wc(database_url: str) -> AsyncIterator[WeComWorld]:
    async with wecom_world(database_url) as world:
        yield world


async def test_url_verification(wc: WeComWorld) -> None:
    answer = await wc.server.verify_url("echo-4711")
    assert (answer.status_code, answer.text) == (200, "echo-4711")
    forged = await wc.server.verify_url("echo-4711", signature="0" * 40)
    assert forged.status_code == 403 and "echo" not in forged.text
    stale = str(int(wc.clock.now().timestamp()) - 301)
    assert (await wc.server.verify_url("echo-4711", timestamp=stale)).status_code == 403
    other_corp = WeComServer(wc.server.url, corp_id="wwSomeOtherCorp0000", clock=wc.server.clock)
    try:
        assert (await other_corp.verify_url("echo-4711")).status_code == 400
    finally:
        await other_corp.client.aclose()


async def test_a_member_types_党建_and_gets_results(wc: WeComWorld) -> None:
    posted = await wc.server.say(MEMBER, "党建")
    assert (posted.status_code, posted.text) == (200, "")  # no passive reply: app messages
    await wc.settle()
    texts = wc.api.texts(MEMBER)
    assert texts and "党建" in texts[0] and "第 1/4 页" in texts[0]
    assert "回复 1：下一页 ›" in texts[-1]
    assert all(m["msgtype"] == "text" and m["agentid"] == 1000002 for m in wc.api.messages(MEMBER))
    await wc.server.say(MEMBER, "1")
    await wc.settle()
    assert "第 2/4 页" in wc.api.texts(MEMBER)[-1]


async def test_time_word_sets_the_digest_time_and_the_digest_comes_then(wc: WeComWorld) -> None:
    await wc.server.say(MEMBER, "订阅")
    await wc.server.say(MEMBER, "时间 9:30")  # the clock says 09:00 in Shanghai
    await wc.settle()
    assert any("09:30" in text for text in wc.api.texts(MEMBER))
    subscriber = SubscriberStore(engine_of(wc.newsroom)).get("wecom", MEMBER)
    assert subscriber is not None and subscriber.digest_time == time(9, 30)
    before = len(wc.api.messages(MEMBER))
    wc.clock.current += timedelta(minutes=20)  # 09:20: not yet
    assert wc.newsroom.deliver_due_at(wc.clock.now()).queued == 0
    wc.clock.current += timedelta(minutes=11)  # 09:31
    assert wc.newsroom.deliver_due_at(wc.clock.now()).queued == 1
    await wc.newsroom.send_outbox()
    digest = wc.api.messages(MEMBER)[before:]
    assert digest and all(m["enable_duplicate_check"] == 1 for m in digest)
    text = "\n".join(m["text"]["content"] for m in digest)
    assert "党建工作推进会" in text and "债务" in text
    assert all(len(m["text"]["content"].encode()) <= TEXT_BYTES for m in digest)


async def test_menu_clicks_are_commands(wc: WeComWorld) -> None:
    await wc.server.click(MEMBER, "SETTINGS")
    await wc.server.click(MEMBER, "SEARCH")
    await wc.settle()
    texts = wc.api.texts(MEMBER)
    assert any("08:00" in text for text in texts)  # the settings, at the default time
    assert any("时间 7:30" in text for text in texts)  # the hint of what to type


async def test_follow_and_unfollow(wc: WeComWorld) -> None:
    await wc.server.post(wc.server.message(MEMBER, Event="subscribe"))
    await wc.settle()
    assert "欢迎" in wc.api.texts(MEMBER)[0]
    await wc.server.post(wc.server.message(MEMBER, Event="unsubscribe"))
    await wc.settle()
    gone = SubscriberStore(engine_of(wc.newsroom)).get("wecom", MEMBER)
    assert gone is not None and not gone.active


async def test_a_retried_message_is_answered_once(wc: WeComWorld) -> None:
    message = wc.server.message(MEMBER, "帮助")
    for _ in range(3):  # WeCom retries a message it got no answer to, three times in all
        assert (await wc.server.post(message)).status_code == 200
    await wc.settle()
    assert sum("时间 — " in text for text in wc.api.texts(MEMBER)) == 1


async def test_hostile_requests_are_refused_and_the_service_keeps_serving(
    wc: WeComWorld,
) -> None:
    message = wc.server.message(MEMBER, "党建")
    assert (await wc.server.post(message, signature="f" * 40)).status_code == 403
    stale = str(int(wc.clock.now().timestamp()) - 600)
    assert (await wc.server.post(message, timestamp=stale)).status_code == 403
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><A>&a;</A></xml>'
    sealed = wc.server.envelope(bomb)
    query = {k: sealed[k] for k in ("msg_signature", "timestamp", "nonce")}
    body = xml_of({"ToUserName": wc.server.corp_id, "Encrypt": sealed["Encrypt"]})
    xxe = await wc.server.client.post(wc.server.url, params=query, content=body.encode())
    assert xxe.status_code == 400
    huge = await wc.server.client.post(wc.server.url, params=query, content=b"x" * 70_000)
    assert huge.status_code == 413
    other_app = wc.server.message(MEMBER, "党建", AgentID=1000099)
    assert (await wc.server.post(other_app)).status_code == 403
    await wc.settle()
    assert wc.api.messages(MEMBER) == []  # nothing refused reached the conversation
    await wc.server.say(MEMBER, "党建")
    await wc.settle()
    assert "党建" in wc.api.texts(MEMBER)[0]


async def test_with_a_public_url_the_digest_is_one_textcard_to_its_page(database_url: str) -> None:
    async with wecom_world(database_url, public_url="https://news.example.cn") as wc:
        await wc.server.say(MEMBER, "订阅")
        await wc.server.say(MEMBER, "时间 9:30")
        await wc.settle()
        wc.clock.current += timedelta(minutes=31)
        assert wc.newsroom.deliver_due_at(wc.clock.now()).queued == 1
        await wc.newsroom.send_outbox()
        cards = [m for m in wc.api.messages(MEMBER) if m["msgtype"] == "textcard"]
        assert len(cards) == 1, wc.api.messages(MEMBER)
        card = cards[0]["textcard"]
        assert card["url"].startswith("https://news.example.cn/d/")
        assert len(card["title"].encode()) <= 128 and len(card["description"].encode()) <= 512
        path = card["url"].removeprefix("https://news.example.cn")
        page = await wc.server.client.get(f"http://127.0.0.1:{wc.front.port}{path}")
        assert page.status_code == 200 and "党建工作推进会" in page.text
