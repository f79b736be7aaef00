"""End to end on the live demo, as subscribers would use it: `newsbot run` with config/demo.toml
and Telegram pointed at a loopback Bot API enforcing 30 msg/s and 1 msg/s per chat.

N chats /start at once and set /time two minutes ahead; each gets exactly one non-empty digest,
no 429s, no duplicate messages. One chat adds a keyword of the next sample article the demo
portal publishes; the alert arrives within five minutes of the article appearing. The service's
clock runs SPEED times faster than real time (the pacer keeps real time: the Bot API's limits
are real), so two minutes of demo time take 60 s.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fakes.bot_api import FakeBotAPI, RateLimits
from newsbot.cli.run_cmd import run_service
from newsbot.config import load_settings
from newsbot.demo.timeline import sample_articles
from newsbot.sample_portal import root as portal_root

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, away from the 08:00 default
SPEED = 2.0  # the 600 /start replies take 21 s real (42 s of demo time) at 30 msg/s
CHATS = int(os.environ.get("NEWSBOT_DEMO_E2E_CHATS", "600"))
FIRST_CHAT = 7_000_000
SHANGHAI = ZoneInfo("Asia/Shanghai")


class FastClock:
    """ports.Clock running SPEED times faster than real time from START."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def now(self) -> datetime:
        return START + timedelta(seconds=(time.monotonic() - self.origin) * SPEED)


def demo_settings(tmp_path: Path, api: FakeBotAPI) -> object:
    environ = {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "NEWSBOT_TELEGRAM_TOKEN": api.token,
        "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
        "NEWSBOT_DELIVERY_RATE_PER_SECOND": "30",
        "NEWSBOT_HTTP_PORT": "0",
        "NEWSBOT_SCHEDULER_POLL_TICK_SECONDS": "2",  # real seconds: 4 s of demo time
        "NEWSBOT_SCHEDULER_DELIVERY_TICK_SECONDS": "2",
    }
    return load_settings(ROOT / "config" / "demo.toml", environ)


def state(tmp_path: Path) -> str:
    """What the database says, for a failure message."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        sources = conn.execute(text("select key, last_status, last_error from sources")).all()
        articles = conn.execute(text("select count(*) from articles")).scalar()
        kinds = conn.execute(text("select kind, state, count(*) from outbox group by 1, 2")).all()
    engine.dispose()
    return f"sources {sources}; {articles} articles; outbox {kinds}"


def digests_of(messages: list[dict[str, object]]) -> list[dict[str, object]]:
    return [m for m in messages if str(m["plain"]).startswith("📰 每日摘要")]


async def test_600_subscribers_get_their_digest_and_an_alert_arrives(tmp_path: Path) -> None:
    articles = sample_articles(portal_root())
    demo = load_settings(ROOT / "config" / "demo.toml", environ={}).demo
    initial, every = demo.initial_articles, timedelta(seconds=demo.release_every_seconds)
    keyword = "平定县"  # in the title of the first article published after the start
    assert keyword.encode() in (portal_root() / articles[initial].path).read_bytes()
    limits = RateLimits(global_per_second=30, per_chat_per_second=1)
    with FakeBotAPI(rate_limits=limits) as api:
        clock = FastClock()
        stop = asyncio.Event()
        service = asyncio.create_task(
            run_service(demo_settings(tmp_path, api), console=False, clock=clock, stop=stop)  # type: ignore[arg-type]
        )
        try:
            await api.async_wait_for(lambda: api.stats.by_method.get("getUpdates", 0) > 0, 60)
            local = clock.now().astimezone(SHANGHAI) + timedelta(minutes=2, seconds=59)
            at = f"{local:%H:%M}"  # the minute after two minutes from now
            chats = [FIRST_CHAT + i for i in range(CHATS)]
            for chat in chats:
                api.inject_message(chat, "/start")
            for chat in chats:
                api.inject_message(chat, f"/time {at}")
            api.inject_message(chats[0], f"/keywords add {keyword}")

            def all_digested() -> bool:
                return all(digests_of(api.messages(c)) for c in chats)

            try:
                await api.async_wait_for(all_digested, timeout=300)
            except AssertionError:
                counts = Counter(len(api.messages(c)) for c in chats)
                digested = sum(1 for c in chats if digests_of(api.messages(c)))
                raise AssertionError(
                    f"{digested} of {len(chats)} digested; messages per chat {counts}; "
                    f"429s {api.stats.too_many}; at {clock.now()} (digest time {at})"
                ) from None
            appeared = START + every  # the first article published after the start
            try:
                await api.async_wait_for(
                    lambda: any(
                        str(m["plain"]).startswith("🔔 关键词") for m in api.messages(chats[0])
                    ),
                    120,
                )
            except AssertionError:
                raise AssertionError(f"no alert by {clock.now()}: {state(tmp_path)}") from None
            alerted = clock.now()
            await asyncio.sleep(2)  # anything extra (a second digest) would show up now
        finally:
            stop.set()
            await asyncio.wait_for(service, 60)
        for chat in chats:
            messages = api.messages(chat)
            (digest,) = digests_of(messages)  # exactly one
            assert "共" in str(digest["plain"])  # not empty: "共 8 篇" and the items
            assert '<a href="http://127.0.0.1:' in str(digest["text"])  # the live portal's links
            texts = Counter(str(m["plain"]) for m in messages)
            assert max(texts.values()) == 1, texts  # no duplicates
        assert api.stats.too_many == 0
        alert = next(m for m in api.messages(chats[0]) if str(m["plain"]).startswith("🔔 关键词"))
        assert keyword in str(alert["plain"])
        assert alerted - appeared <= timedelta(minutes=5)
