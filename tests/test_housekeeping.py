"""The housekeeping job: expired digest pages, the inbound ledger, numbered choices, closed
reply windows and old API tokens are deleted in bounded batches, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from fakes.chat_world import NOW, build_world
from newsbot.app import channel_stores, engine_of, housekeeping
from newsbot.front import HttpFront
from newsbot.front.digest_pages import DigestPages
from newsbot.ports import WindowGrant
from newsbot.scheduler import build_scheduler
from newsbot.service import Newsroom
from newsbot.service.housekeeping import Housekeeping
from newsbot.storage.pages import DigestPageStore
from newsbot.storage.schema import api_tokens, chat_choices, inbound_messages, reply_windows

pytestmark = pytest.mark.timeout(60)


def count(newsroom: Newsroom, table: object) -> int:
    with engine_of(newsroom).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


async def test_an_expired_page_says_so_then_reads_as_unknown(database_url: str) -> None:
    newsroom = build_world(database_url)
    store = DigestPageStore(engine_of(newsroom))
    token = store.create(
        subscriber_id=None,
        local_date="2026-03-02",
        title="每日摘要",
        description="",
        html="<p>4804</p>",
        now=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    kept = store.create(
        subscriber_id=None,
        local_date="2026-03-09",
        title="每日摘要",
        description="",
        html="<p>later</p>",
        now=NOW,
        expires_at=NOW + timedelta(days=60),
    )
    front = HttpFront("127.0.0.1", 0)
    front.add(DigestPages(store, newsroom.clock, ttl_days=7).routes())
    await front.start()
    job = housekeeping(newsroom)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{front.port}") as client:
            assert (await client.get(f"/d/{token}")).status_code == 200
            newsroom.clock.current = NOW + timedelta(days=8)  # expired, within 30 days
            assert (await job.tick())["digest pages"] == 0
            expired = await client.get(f"/d/{token}")
            assert expired.status_code == 410 and "摘要已过期" in expired.text
            newsroom.clock.current = NOW + timedelta(days=7 + 30, seconds=1)
            assert (await job.tick())["digest pages"] == 1
            gone = await client.get(f"/d/{token}")
            assert gone.status_code == 404 and "摘要已过期或不存在" in gone.text
            assert "4804" not in gone.text
            assert (await client.get(f"/d/{kept}")).status_code == 200
    finally:
        await front.stop()
        newsroom.close()


async def test_expired_rows_go_in_bounded_batches(database_url: str) -> None:
    newsroom = build_world(database_url)
    stores = channel_stores(engine_of(newsroom))
    for n in range(25):  # a day and more ago: WeChat stopped retrying these long since
        stores.inbound.begin("wechat", f"old-{n}", NOW - timedelta(days=2))
    stores.inbound.begin("wechat", "fresh", NOW - timedelta(minutes=5))
    stores.choices.save("wechat", "o-old", [("下一页 ›", "p")], NOW - timedelta(days=8))
    stores.choices.save("wechat", "o-new", [("下一页 ›", "p")], NOW - timedelta(hours=1))
    closed = WindowGrant("o-old", 5, NOW - timedelta(hours=1))
    stores.inbound.begin("wechat", "w1", NOW - timedelta(days=3), window=closed)
    stores.windows.open("wechat", "o-new", 5, NOW + timedelta(hours=47), NOW)
    stores.tokens.put("wechat:old", "T0", NOW - timedelta(days=2), NOW - timedelta(days=3))
    stores.tokens.put("wechat:app", "T1", NOW + timedelta(hours=2), NOW)
    kinds = housekeeping(newsroom).kinds
    job = Housekeeping(kinds, newsroom.clock, batch=10, max_batches=2)

    first = await job.tick()
    assert first["inbound ledger"] == 20  # two batches of ten, the rest next time
    assert (first["numbered choices"], first["reply windows"], first["api tokens"]) == (1, 1, 1)
    second = await job.tick()
    assert second["inbound ledger"] == 6  # the five left and the window's own record
    assert not any((await job.tick()).values())

    assert count(newsroom, inbound_messages) == 1  # the fresh one
    assert stores.choices.get("wechat", "o-new") and not stores.choices.get("wechat", "o-old")
    assert count(newsroom, chat_choices) == 1 and count(newsroom, reply_windows) == 1
    assert stores.tokens.get("wechat:app", NOW) == "T1" and count(newsroom, api_tokens) == 1
    newsroom.close()


def test_the_scheduler_runs_it_hourly(sqlite_url: str) -> None:
    newsroom = build_world(sqlite_url)
    scheduler = build_scheduler(newsroom, housekeeping(newsroom))
    job = scheduler.get_job("housekeeping")
    assert job is not None and job.trigger.interval == timedelta(hours=1)
    newsroom.close()
