"""A small world for chat tests: a migrated Newsroom over SQLite or PostgreSQL with a few
sample articles, built through newsbot.app like production (no mocks of newsbot code)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from newsbot.app import ChannelHost, build_newsroom, channel_host, engine_of, indexed_articles
from newsbot.config import Settings
from newsbot.core.models import Figure, Summary
from newsbot.service import Newsroom
from newsbot.storage.articles import ArticleDraft
from newsbot.storage.sources import SourceStore

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai

SOURCES = [
    {
        "key": "yaowen",
        "name": "要闻",
        "kind": "feed",
        "url": "http://127.0.0.1:9/yaowen.xml",
        "section": "要闻",
    },
    {
        "key": "yangquan",
        "name": "阳泉",
        "kind": "feed",
        "url": "http://127.0.0.1:9/yq.xml",
        "section": "阳泉",
    },
]


@dataclass
class SettableClock:
    current: datetime = NOW

    def now(self) -> datetime:
        return self.current


def world_settings(database_url: str, **overrides: object) -> Settings:
    raw: dict[str, object] = {
        "storage": {"database_url": database_url},
        "sources": SOURCES,
        "telegram": {"admins": ["1001"]},
        "search": {"page_size": 2},
        **overrides,
    }
    return Settings.model_validate(raw)


def build_world(database_url: str, *, articles: int = 7, **overrides: object) -> Newsroom:
    newsroom = build_newsroom(world_settings(database_url, **overrides), clock=SettableClock())
    seed_articles(newsroom, articles)
    return newsroom


@dataclass
class RunningTelegram:
    host: ChannelHost
    app: Any  # the PTB Application

    async def deliver(self, message: Any) -> str:
        return await self.host.deliver("telegram", message)


@asynccontextmanager
async def running_telegram(newsroom: Newsroom) -> AsyncIterator[RunningTelegram]:
    """The Telegram channel started through the registry, as `newsbot run` starts it."""
    host = channel_host(newsroom)
    await newsroom.start_channels(host, ["telegram"])
    channel: Any = newsroom.channel("telegram")
    try:
        yield RunningTelegram(host, channel.application)
    finally:
        await newsroom.stop_channels()


def seed_articles(newsroom: Newsroom, count: int, now: datetime = NOW) -> None:
    """`count` articles about 党建 (alternating sections), newest last, plus one about 债务,
    published in the hours before `now`."""
    store = indexed_articles(newsroom)
    ids = {s.key: s.id for s in SourceStore(engine_of(newsroom)).all()}
    for n in range(count):
        key = "yaowen" if n % 2 == 0 else "yangquan"
        section = "要闻" if key == "yaowen" else "阳泉"
        title = f"阳泉市党建工作推进会第{n + 1}次召开 <b>&"
        text = f"会议强调，要抓好党建工作。查摆出问题{4800 + n}条。\n全市党建引领基层治理。"
        summary = Summary(
            key_points=(f"查摆出问题{4800 + n}条。",),
            headline_figures=(Figure(f"{4800 + n}条", 4800.0 + n, "条", "查摆出问题"),),
        )
        draft = ArticleDraft(
            source_id=ids[key],
            section=section,
            dedupe_key=f"https://www.shanxidayuan.com/a/{n}.html",
            url=f"https://www.shanxidayuan.com/a/{n}.html",
            title=title,
            text=text,
            published_at=now - timedelta(hours=count - n),
            summary=summary,
        )
        store.save(draft, now - timedelta(hours=count - n))
    debt = ArticleDraft(
        source_id=ids["yaowen"],
        section="要闻",
        dedupe_key="https://www.shanxidayuan.com/debt.html",
        url="https://www.shanxidayuan.com/debt.html",
        title="高新区化解债务3029.56万元",
        text="高新区需化解债务3029.56万元。",
        published_at=now - timedelta(minutes=30),
    )
    store.save(debt, now - timedelta(minutes=30))
