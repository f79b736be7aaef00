"""`newsbot run` as a subprocess with WeChat on: wechatpy plays the WeChat platform, a fake
api.weixin.qq.com enforces the window on loopback. URL verification, a safe-mode search, hostile
requests refused with the service still up, retries answered once, and 订阅 -> 时间 HH:MM -> the
scheduled digest as one customer-service message."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fakes.chat_world import SettableClock, world_settings
from fakes.wechat_api import APP_ID, APP_SECRET, FakeWeChatAPI
from fakes.wechat_server import AES_KEY, TOKEN, WeChatServer
from newsbot.app import build_newsroom, engine_of, indexed_articles
from newsbot.core.models import Figure, Summary
from newsbot.storage.articles import ArticleDraft
from newsbot.storage.sources import SourceStore
from test_console_run import Running, start_run

pytestmark = pytest.mark.timeout(240)
READER = "oRunReader000000000000000001"


def seed_fresh_articles(database_url: str) -> None:
    """Three articles published in the last hours (the digest window is the last 24 h)."""
    now = datetime.now(UTC)
    newsroom = build_newsroom(world_settings(database_url), clock=SettableClock(now))
    ids = {s.key: s.id for s in SourceStore(engine_of(newsroom)).all()}
    for n in range(3):
        figure = Figure(f"{4800 + n}条", 4800.0 + n, "条", "查摆出问题")
        draft = ArticleDraft(
            source_id=ids["yangquan"],
            section="阳泉",
            dedupe_key=f"https://www.shanxidayuan.com/run/{n}.html",
            url=f"https://www.shanxidayuan.com/run/{n}.html",
            title=f"阳泉市党建工作推进会第{n + 1}次召开",
            text=f"会议强调，要抓好党建工作。查摆出问题{4800 + n}条。",
            published_at=now - timedelta(hours=3 - n),
            summary=Summary(key_points=(f"查摆出问题{4800 + n}条。",), headline_figures=(figure,)),
        )
        indexed_articles(newsroom).save(draft, now - timedelta(hours=3 - n))
    newsroom.close()


@pytest.fixture
def running(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Running, FakeWeChatAPI]]:
    seed_fresh_articles(sqlite_url)
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[storage]\ndatabase_url = "{sqlite_url}"\n', encoding="utf-8")
    with FakeWeChatAPI() as api:
        env = {
            "NEWSBOT_WECHAT_ENABLED": "true",
            "NEWSBOT_WECHAT_TOKEN": TOKEN,
            "NEWSBOT_WECHAT_APP_ID": APP_ID,
            "NEWSBOT_WECHAT_APP_SECRET": APP_SECRET,
            "NEWSBOT_WECHAT_ENCODING_AES_KEY": AES_KEY,
            "NEWSBOT_WECHAT_API_BASE_URL": api.base_url,
            "NEWSBOT_HTTP_PUBLIC_URL": "https://news.example.invalid",
            "NEWSBOT_SCHEDULER_DELIVERY_TICK_SECONDS": "2",
        }
        process = Running(start_run(config, env))
        try:
            process.wait_for_line("newsbot running")
            yield process, api
        finally:
            code, err = process.stop()
            assert code == 0, err
            assert AES_KEY not in err and APP_SECRET not in err  # secrets never logged


async def test_wechat_against_newsbot_run(running: tuple[Running, FakeWeChatAPI]) -> None:
    process, api = running
    server = WeChatServer(f"{process.http_base()}/wechat", APP_ID, api=api)
    try:
        verified = await server.verify_url("hello-wechat")
        assert (verified.status_code, verified.text) == (200, "hello-wechat")

        results = await server.send(READER, "党建")  # safe mode, encrypted both ways
        assert results.kind == "text" and "党建" in results.content and "<Encrypt>" in results.wire

        xml, _ = server.message_xml(READER, content="关键词 债务", msg_id=777)
        answers = await asyncio.gather(*(server.post(*server.request(xml)) for _ in range(3)))
        replies = {server.read(a, encrypted=True).content for a in answers}
        assert len(replies) == 1 and "已添加关键词" in replies.pop()  # retries answered once

        query, body = server.request(xml)
        forged = await server.post({**query, "signature": "0" * 40}, body)
        stale_q, stale_b = server.request(xml, timestamp="1000000000")
        stale = await server.post(stale_q, stale_b)
        huge = await server.post(query, b"<xml>" + b"x" * 70_000 + b"</xml>")
        plain_q, _ = server.request(xml, "plain")
        malformed = await server.post(plain_q, b"<xml><Content>")
        codes = [r.status_code for r in (forged, stale, huge, malformed)]
        assert codes == [403, 403, 413, 400]
        assert (await server.send(READER, "帮助")).kind == "text"  # still up

        await server.send(READER, "订阅")
        local = datetime.now(UTC) + timedelta(hours=8, minutes=1)  # Asia/Shanghai, next minute
        timed = await server.send(READER, f"时间 {local:%H:%M}")
        assert f"{local:%H:%M}" in timed.content
        await api.async_wait_for(lambda: _digests(api), timeout=150)
        (digest,) = _digests(api)
        (card,) = digest["news"]["articles"]
        assert card["title"].startswith("📰 每日摘要")
        assert card["url"].startswith("https://news.example.invalid/d/")
    finally:
        await server.client.aclose()


def _digests(api: FakeWeChatAPI) -> list[dict[str, object]]:
    return [m for m in api.messages(READER) if m.get("msgtype") == "news"]
