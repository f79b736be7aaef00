"""The channel port: a new channel is its own package plus one registry line, and the outbox,
the pacer and the renderer act on its profile (limits, pacing, error outcomes) as data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fakes.chat_world import NOW, SettableClock, seed_articles, world_settings
from newsbot.app import (
    CHANNELS,
    ChannelHost,
    build_channels,
    build_newsroom,
    channel_factories,
    channel_host,
    engine_of,
)
from newsbot.core.channels import Kind, SendOutcome, classify
from newsbot.core.incoming import Incoming
from newsbot.service import Newsroom
from newsbot.service.channels import ChannelRegistry
from newsbot.storage.outbox import HELD, SENT
from newsbot.storage.schema import outbox

ROOM = "room-1"


@pytest.fixture
async def world(sqlite_url: str) -> AsyncIterator[tuple[Newsroom, ChannelHost, Any]]:
    settings = world_settings(sqlite_url)
    registry = build_channels(settings, channel_factories((*CHANNELS, "fakes.fake_channel")))
    clock = SettableClock()
    newsroom = build_newsroom(settings, clock=clock, channel_registry=registry)
    seed_articles(newsroom, 7)
    host = channel_host(newsroom)
    await registry.start(host, ["fake"])
    try:
        yield newsroom, host, registry.get("fake")
    finally:
        await registry.stop()
        newsroom.close()


def states(newsroom: Newsroom) -> list[str]:
    with engine_of(newsroom).connect() as conn:
        return [r[0] for r in conn.execute(select(outbox.c.state).order_by(outbox.c.id))]


async def say(host: ChannelHost, text: str) -> Any:
    return await host.handle(Incoming("fake", ROOM, text, chat_type="group"))


async def test_a_new_channel_gets_its_digest_in_its_dialect_and_limits(world: Any) -> None:
    newsroom, host, fake = world
    assert (await say(host, "/start")).messages
    assert "09:05" in (await say(host, "/time 9:05")).messages[0].plain_text()
    newsroom.clock.current = NOW + timedelta(minutes=6)  # 09:06 in Shanghai
    report = await newsroom.deliver_due()
    assert report.queued == 1
    sent = await newsroom.send_outbox()
    assert sent.sent == len(fake.sender.sent) >= 2  # split: the profile allows 600 bytes
    for message in fake.sender.sent:
        assert message.kind is Kind.DIGEST and message.is_group and message.recipient == ROOM
        assert len(message.text.encode("utf-8")) <= 600
    text = "".join(m.text for m in fake.sender.sent)
    assert "](https://www.shanxidayuan.com/" in text  # markdown links, not Telegram HTML
    assert "<b>" not in text
    assert set(states(newsroom)) == {SENT}


async def test_pacer_comes_from_the_profile(world: Any) -> None:
    newsroom, _host, fake = world
    telegram_channel = newsroom.channel("telegram")
    assert telegram_channel is not None
    registry = ChannelRegistry([fake, telegram_channel])  # pacers are built from the profiles
    window = registry.pacer("fake").chat_window
    assert window is not None and (window.limit, window.span) == (20, pytest.approx(61.0))
    telegram = registry.pacer("telegram").chat_window
    assert telegram is not None and (telegram.limit, telegram.span) == (1, pytest.approx(1.02))


async def test_hold_until_the_recipient_writes_then_deliver(world: Any) -> None:
    newsroom, host, fake = world
    await say(host, "/start")
    fake.sender.fail_with[ROOM] = "45015"
    assert newsroom.broadcast("明天停电检修") == 1
    report = await newsroom.send_outbox()
    assert report.held == 1 and fake.sender.sent == []
    assert states(newsroom) == [HELD]
    del fake.sender.fail_with[ROOM]
    await newsroom.send_outbox()
    assert fake.sender.sent == []  # held rows are not retried on their own
    await say(host, "/help")  # they wrote: the window is open again
    await newsroom.send_outbox()
    assert [m.text for m in fake.sender.sent] == ["明天停电检修"]


async def test_a_block_without_retry_after_waits_the_profiles_block_time(world: Any) -> None:
    newsroom, host, fake = world
    await say(host, "/start")
    fake.sender.fail_with[ROOM] = "130101"
    newsroom.broadcast("第一条")
    report = await newsroom.send_outbox()
    assert report.rate_limited == 1
    with engine_of(newsroom).connect() as conn:
        not_before = conn.execute(select(outbox.c.not_before)).scalar_one()
    assert not_before - newsroom.clock.now() == timedelta(seconds=600)


async def test_a_recipient_gone_is_deactivated(world: Any) -> None:
    newsroom, host, fake = world
    await say(host, "/start")
    fake.sender.fail_with[ROOM] = "310000"
    newsroom.broadcast("第一条")
    report = await newsroom.send_outbox()
    assert report.deactivated == 1
    assert newsroom.subscriber("fake", ROOM).active is False


def test_classification_is_data() -> None:
    from newsbot.channels.telegram.profile import ERROR_RULES

    assert classify(ERROR_RULES, ["BadRequest"], "Can't Parse Entities: x") is (
        SendOutcome.BAD_MARKUP
    )
    assert classify(ERROR_RULES, ["BadRequest"], "Bad Request: chat not found") is (
        SendOutcome.RECIPIENT_GONE
    )
    assert classify(ERROR_RULES, ["BadRequest"], "message is too long") is SendOutcome.FATAL
    assert classify(ERROR_RULES, ["TimedOut", "NetworkError"]) is SendOutcome.BACKOFF
    assert classify(ERROR_RULES, ["InvalidToken"]) is SendOutcome.FATAL
