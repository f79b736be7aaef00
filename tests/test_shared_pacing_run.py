"""Partitioned sending end to end on PostgreSQL: three senders (each a DeliveryService of its own,
with its own claim token, pacer and Bot client, as three `newsbot run` processes have) fan out
300 messages to the fake Bot API, which enforces Telegram's 30 a second and 1 a second per chat.

What the 'users' received is counted at the fake: no 429, every message once, each chat's chunks
in order; and when one sender dies mid fan-out, the others take its chats after its leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from delivery_support import channels_with
from fakes.bot_api import FakeBotAPI, RateLimits
from newsbot.app import build_delivery
from newsbot.channels.telegram import TelegramSender
from newsbot.config import Settings
from newsbot.core.models import NewMessage
from newsbot.ports import SystemClock
from newsbot.service.delivery import DeliveryService
from newsbot.storage.articles import ArticleStore
from newsbot.storage.outbox import SENDING, OutboxStore
from newsbot.storage.schema import outbox
from newsbot.storage.senders import SenderTable

pytestmark = pytest.mark.postgres
CHATS, CHUNKS = 100, 3  # 300 messages


def enqueue_fanout(engine: Engine) -> list[str]:
    chats = [str(20_000 + i) for i in range(CHATS)]
    messages = [
        NewMessage(f"d:{chat}:{i}", None, "telegram", chat, "digest", {"text": f"第{i}段"})
        for chat in chats
        for i in range(CHUNKS)
    ]
    with engine.begin() as conn:
        OutboxStore(engine).enqueue(conn, messages, SystemClock().now())
    return chats


@contextlib.asynccontextmanager
async def senders(
    engine: Engine, api: FakeBotAPI, count: int
) -> AsyncIterator[list[DeliveryService]]:
    """`count` delivery services, as `count` processes would build them, registered and settled."""
    settings = Settings()
    services: list[DeliveryService] = []
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(count):
            telegram = TelegramSender.create(api.token, api.base_url)
            await stack.enter_async_context(telegram.bot)
            service = build_delivery(
                settings,
                engine,
                SystemClock(),
                ArticleStore(engine),
                channels_with(settings, telegram),
            )
            assert service.shares is not None  # PostgreSQL: partitioned sending is on
            service.shares.beat_seconds = 0.5
            service.shares.expiry = timedelta(seconds=3)
            service.outbox.lease = timedelta(seconds=4)  # type: ignore[attr-defined]
            services.append(service)
        for _ in range(2):  # register, then slow down for each other (processes already running)
            for service in services:
                await service.shares.beat()  # type: ignore[union-attr]
        try:
            yield services
        finally:
            for service in services:
                service.close()


async def keep_sending(service: DeliveryService, done: asyncio.Event) -> int:
    """The outbox tick of one process (recover expired leases, send what is due), until done."""
    sent = 0
    while not done.is_set():
        sent += (await service.send_outbox()).sent
        await asyncio.sleep(0.1)
    return sent


async def until_delivered(engine: Engine, done: asyncio.Event, timeout: float) -> None:
    outbox = OutboxStore(engine)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = await asyncio.to_thread(outbox.counts)
        if not counts.get("pending") and not counts.get(SENDING):
            break
        await asyncio.sleep(0.2)
    done.set()


def in_sending(engine: Engine, token: str) -> int:
    """The rows a sender had in 'sending' (its request possibly out) when it died."""
    query = select(func.count()).where(outbox.c.state == SENDING, outbox.c.claim_token == token)
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def check_received(api: FakeBotAPI, chats: list[str]) -> int:
    """Every chunk of every chat arrived, first arrivals in order; returns duplicates."""
    messages = api.all_messages()
    duplicates = 0
    for chat in chats:
        texts = [m["text"] for m in messages.get(chat, [])]
        first_arrivals = list(dict.fromkeys(texts))
        assert first_arrivals == [f"第{i}段" for i in range(CHUNKS)], (chat, texts)
        duplicates += len(texts) - len(first_arrivals)
    return duplicates


async def test_three_senders_share_telegrams_limits(pg: Engine) -> None:
    chats = enqueue_fanout(pg)
    with FakeBotAPI(rate_limits=RateLimits(global_per_second=30, per_chat_per_second=1)) as api:
        async with senders(pg, api, 3) as services:
            assert [s.shares.pace for s in services] == [3, 3, 3]  # type: ignore[union-attr]
            done = asyncio.Event()
            started = time.monotonic()
            watcher = asyncio.create_task(until_delivered(pg, done, 120))
            sent = await asyncio.gather(*(keep_sending(s, done) for s in services))
            await watcher
            elapsed = time.monotonic() - started
        duplicates = check_received(api, chats)
        too_many = api.stats.too_many
    rate = CHATS * CHUNKS / elapsed
    print(f"\nthree senders: sent {sent} in {elapsed:.1f} s = {rate:.1f} msg/s; 429s {too_many}")
    assert too_many == 0
    assert duplicates == 0 and sum(sent) == CHATS * CHUNKS
    assert min(sent) > 0  # each sent its share
    assert rate <= 30  # the deployment stayed within Telegram's global limit
    assert SenderTable(pg).listed() == []  # each left on close


async def test_a_dead_senders_chats_are_taken_after_its_leases(pg: Engine) -> None:
    chats = enqueue_fanout(pg)
    with FakeBotAPI(rate_limits=RateLimits(global_per_second=30, per_chat_per_second=1)) as api:
        async with senders(pg, api, 3) as services:
            doomed, *survivors = services
            done = asyncio.Event()
            watcher = asyncio.create_task(until_delivered(pg, done, 120))
            tasks = [asyncio.create_task(keep_sending(s, done)) for s in services]
            await api.async_wait_for(lambda: api.stats.sent >= 80, timeout=60)
            # kill -9, in process: its tick and its heartbeat stop, it never leaves the table
            tasks[0].cancel()
            assert doomed.shares is not None and doomed.shares._task is not None
            doomed.shares._task.cancel()
            doomed.shares.members = []  # so that close() below does not leave either
            killed_at = time.monotonic()
            with contextlib.suppress(asyncio.CancelledError):
                await tasks[0]
            in_flight = in_sending(pg, doomed.outbox.token)
            sent = await asyncio.gather(*tasks[1:])
            await watcher
            recovered = time.monotonic() - killed_at
            paces = [s.shares.pace for s in survivors]  # type: ignore[union-attr]
            listed = [token for token, *_ in SenderTable(pg).listed()]
        duplicates = check_received(api, chats)
        too_many = api.stats.too_many
    print(
        f"\none of three senders killed mid fan-out: the two others then sent {sent}, done "
        f"{recovered:.1f} s after the kill; 429s {too_many}, duplicates {duplicates} "
        f"(in flight at the kill {in_flight})"
    )
    assert too_many == 0
    assert duplicates <= in_flight
    assert paces == [2, 2]  # the survivors took up its share of the rate
    assert doomed.outbox.token not in listed  # dropped as expired
