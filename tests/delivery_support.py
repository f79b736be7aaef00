"""Helpers for the delivery tests: a settable clock, a pacer on fake time, subscribers, articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from newsbot.app import build_channels
from newsbot.channels.telegram import TelegramSender
from newsbot.config import Settings
from newsbot.core.channels import RateWindow
from newsbot.core.models import Summary
from newsbot.ports import ChannelSender
from newsbot.service.channels import ChannelRegistry
from newsbot.service.pacer import Pacer
from newsbot.storage.schema import articles, keywords, sources, subscribers

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


class FakeClock:
    """ports.Clock for tests: time moves only when told."""

    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeMonotonic:
    """The pacer's timer on fake time: sleeping advances it instantly."""

    def __init__(self) -> None:
        self.value = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.value

    async def sleep(self, seconds: float) -> None:
        self.value += seconds
        self.slept += seconds


def fake_pacer(rate: float = 1000.0, per_chat: float = 1.0) -> tuple[Pacer, FakeMonotonic]:
    """A pacer on fake time: `rate` per second, `per_chat` per second per chat, 20 a minute per
    group (Telegram's rules, scaled)."""
    timer = FakeMonotonic()
    chat = RateWindow(1, 1.0 / per_chat)
    pacer = Pacer(rate, chat, RateWindow(20, 60.0), monotonic=timer, sleep=timer.sleep)
    return pacer, timer


def add_subscriber(engine: Engine, chat_id: str, **kw: Any) -> int:
    words = kw.pop("keywords", ())
    values: dict[str, Any] = {
        "channel": "telegram",
        "chat_id": chat_id,
        "chat_type": "group" if chat_id.startswith("-") else "private",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "digest_time": "08:00",
        "digest_enabled": True,
        "sections": "",
        "alert_mode": "push",
        "active": True,
        "created_at": NOW - timedelta(days=10),
    }
    values.update(kw)
    with engine.begin() as conn:
        sid = int(conn.execute(insert(subscribers).values(**values)).inserted_primary_key[0])
        for word in words:
            conn.execute(insert(keywords).values(subscriber_id=sid, keyword=word, created_at=NOW))
    return sid


def add_subscribers(engine: Engine, count: int, first_chat: int = 10_000, **kw: Any) -> list[int]:
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "channel": "telegram",
            "chat_id": str(first_chat + i),
            "chat_type": "private",
            "language": "zh",
            "timezone": "Asia/Shanghai",
            "digest_time": "08:00",
            "digest_enabled": True,
            "sections": "",
            "alert_mode": "push",
            "active": True,
            "created_at": NOW - timedelta(days=10),
        }
        row.update(kw)
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(insert(subscribers), rows)
        return [
            int(r[0])
            for r in conn.execute(subscribers.select().with_only_columns(subscribers.c.id))
        ]


def add_articles(
    engine: Engine, count: int, *, now: datetime = NOW, section: str = "要闻"
) -> list[int]:
    """Articles fetched in the last hours, with summaries and figures like the portal's."""
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(sources).values(
                key="portal", name="portal", kind="feed", url="u", section=section, failures=0
            )
        ).inserted_primary_key[0]
        ids = []
        for i in range(count):
            summary = Summary(
                (f"第{i}条要点：查摆出问题4804条。", "需化解债务3029.56万元。"),
            ).as_dict()
            when = now - timedelta(hours=1 + i * 0.5)
            result = conn.execute(
                insert(articles).values(
                    source_id=source_id,
                    dedupe_key=f"a{i}",
                    url=f"http://www.shanxidayuan.com/c/2026-05-04/{1000 + i}.shtml",
                    section=section,
                    title=f"山西省党建工作第{i}次推进会召开 <重要>",
                    text="会议指出，查摆出问题4804条。\n需化解债务3029.56万元。",
                    published_at=when,
                    fetched_at=when,
                    content_hash=f"h{i}",
                    update_count=0,
                    summary_json=json.dumps(summary, ensure_ascii=False),
                )
            )
            ids.append(int(result.inserted_primary_key[0]))
    return ids


@asynccontextmanager
async def telegram_sender(base_url: str, token: str, pool: int = 32) -> Iterator[TelegramSender]:  # type: ignore[misc]
    sender = TelegramSender.create(token, base_url, pool_size=pool)  # what `newsbot run` uses
    async with sender.bot:
        yield sender


def channels_with(
    settings: Settings | None = None,
    telegram: ChannelSender | None = None,
    pacer: Pacer | None = None,
) -> ChannelRegistry:
    """The app's channel registry with the outbox sending on Telegram through `telegram`."""
    registry = build_channels(settings or Settings())
    if telegram is not None:
        registry.attach("telegram", telegram)
    if pacer is not None:
        registry.use_pacer("telegram", pacer)
    return registry
