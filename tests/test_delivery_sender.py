"""The outbox sender through real PTB against the fake Bot API: 429, 403, 400-parse, 5xx, migration."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from delivery_support import (
    FakeClock,
    add_subscriber,
    channels_with,
    fake_pacer,
    telegram_sender,
)
from fakes.bot_api import FakeBotAPI
from newsbot.service.sending import OutboxSender, html_to_plain
from newsbot.storage.outbox import FAILED, SENT, NewMessage, OutboxStore
from newsbot.storage.subscribers import SubscriberStore


@pytest.fixture
def api() -> FakeBotAPI:
    with FakeBotAPI() as server:
        yield server  # type: ignore[misc]


def enqueue(
    store: OutboxStore, clock: FakeClock, sid: int, chat: str, texts: list[str], key: str = "d"
) -> None:
    for i, text in enumerate(texts):
        store.enqueue_one(
            NewMessage(f"{key}:{chat}:{i}", sid, "telegram", chat, "digest", {"text": text}),
            clock.now(),
        )


async def run(
    engine: Engine, api: FakeBotAPI, clock: FakeClock, **kw: object
) -> tuple[OutboxSender, object]:
    pacer, _timer = fake_pacer(**kw)  # type: ignore[arg-type]
    store = OutboxStore(engine)
    async with telegram_sender(api.base_url, api.token) as tg:
        sender = OutboxSender(
            store,
            SubscriberStore(engine),
            channels_with(telegram=tg, pacer=pacer),
            clock,
            max_attempts=3,
        )
        report = await sender.send_due()
        sender.close()
    return sender, report


async def test_chunks_arrive_in_order_with_html(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    for chat in ("1", "2", "3"):
        sid = add_subscriber(engine, chat)
        enqueue(store, clock, sid, chat, [f"<b>第{i}段</b> &lt;原文&gt;" for i in range(3)])
    _sender, report = await run(engine, api, clock)
    assert report.sent == 9  # type: ignore[attr-defined]
    for chat in ("1", "2", "3"):
        messages = api.messages(chat)
        assert [m["plain"] for m in messages] == [f"第{i}段 <原文>" for i in range(3)]
        assert all(m["parse_mode"] == "HTML" for m in messages)
    assert store.counts() == {SENT: 9}


async def test_429_pauses_only_that_chat(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    for chat in ("11", "12"):
        enqueue(store, clock, add_subscriber(engine, chat), chat, ["a", "b"])
    api.fail_chat("11", 429, "Too Many Requests: retry after 3", retry_after=3, count=1)
    _sender, report = await run(engine, api, clock)
    assert report.rate_limited == 1  # type: ignore[attr-defined]
    assert len(api.messages("12")) == 2 and api.messages("11") == []
    clock.advance(2)
    await run(engine, api, clock)
    assert api.messages("11") == []  # retry_after not over yet, and "b" waits behind "a"
    clock.advance(1.5)
    await run(engine, api, clock)
    assert [m["plain"] for m in api.messages("11")] == ["a", "b"]
    rows = [store.get(i) for i in range(1, 5)]
    assert all(r is not None and r["state"] == SENT for r in rows)
    assert max(r["attempts"] for r in rows if r) == 1  # a 429 does not use up an attempt


async def test_403_marks_subscriber_inactive(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    blocked = add_subscriber(engine, "21")
    enqueue(store, clock, blocked, "21", ["a", "b"])
    enqueue(store, clock, add_subscriber(engine, "22"), "22", ["a"])
    api.fail_chat("21", 403, "Forbidden: bot was blocked by the user")
    _sender, report = await run(engine, api, clock)
    assert report.deactivated == 1  # type: ignore[attr-defined]
    assert [s.chat_id for s in SubscriberStore(engine).active()] == ["22"]
    assert store.counts() == {FAILED: 2, SENT: 1}


@pytest.mark.parametrize(
    "description",
    ["Forbidden: user is deactivated", "Forbidden: bot can't initiate conversation with a user"],
)
async def test_other_403s(engine: Engine, api: FakeBotAPI, description: str) -> None:
    clock = FakeClock()
    enqueue(OutboxStore(engine), clock, add_subscriber(engine, "23"), "23", ["a"])
    api.fail_chat("23", 403, description)
    await run(engine, api, clock)
    assert SubscriberStore(engine).active() == []


async def test_bad_markup_resent_once_as_plain_text(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    enqueue(
        store, clock, add_subscriber(engine, "31"), "31", ["<b>债务</b> 3029.56万元 &amp; 更多"]
    )
    api.fail_next(
        "sendMessage", 400, "Bad Request: can't parse entities: unsupported start tag", count=1
    )
    _sender, report = await run(engine, api, clock)
    assert report.plain_fallbacks == 1  # type: ignore[attr-defined]
    await run(engine, api, clock)
    (message,) = api.messages("31")
    assert message["parse_mode"] is None
    assert message["text"] == "债务 3029.56万元 & 更多"


async def test_plain_text_refused_again_fails_without_loop(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    enqueue(store, clock, add_subscriber(engine, "32"), "32", ["<b>x</b>"])
    api.fail_chat("32", 400, "Bad Request: Can't Parse Entities: whatever", count=2)  # any case
    await run(engine, api, clock)
    await run(engine, api, clock)
    assert store.counts() == {FAILED: 1}


async def test_5xx_retried_with_backoff(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    enqueue(store, clock, add_subscriber(engine, "41"), "41", ["a"])
    api.fail_chat("41", 502, "Bad Gateway", count=2)
    _sender, report = await run(engine, api, clock)
    assert report.retried == 1  # type: ignore[attr-defined]
    clock.advance(1)
    await run(engine, api, clock)
    assert api.messages("41") == []  # backoff (2 s) not over
    for _ in range(2):
        clock.advance(10)
        await run(engine, api, clock)
    assert len(api.messages("41")) == 1
    row = store.get(1)
    assert row is not None and row["state"] == SENT and row["attempts"] == 3


async def test_5xx_gives_up_after_max_attempts(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    enqueue(store, clock, add_subscriber(engine, "42"), "42", ["a"])
    api.fail_chat("42", 500, "Internal Server Error")
    for _ in range(4):
        await run(engine, api, clock)
        clock.advance(60)
    row = store.get(1)
    assert row is not None and row["state"] == FAILED and row["attempts"] == 3
    assert "gave up after 3 attempts" in row["last_error"]


async def test_chat_migration_updates_chat_and_resends(engine: Engine, api: FakeBotAPI) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    enqueue(store, clock, add_subscriber(engine, "-100"), "-100", ["a", "b"])
    api.fail_chat(
        "-100",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to=-100777,
        count=1,
    )
    _sender, report = await run(engine, api, clock)
    assert report.migrated == 1  # type: ignore[attr-defined]
    await run(engine, api, clock)
    assert [m["plain"] for m in api.messages("-100777")] == ["a", "b"]
    assert [s.chat_id for s in SubscriberStore(engine).active()] == ["-100777"]


async def test_other_bad_request_fails_row_without_deactivating(
    engine: Engine, api: FakeBotAPI
) -> None:
    clock = FakeClock()
    store = OutboxStore(engine)
    enqueue(store, clock, add_subscriber(engine, "51"), "51", ["a"])
    api.fail_chat("51", 400, "Bad Request: message is too long", count=1)
    await run(engine, api, clock)
    assert store.counts() == {FAILED: 1}
    assert len(SubscriberStore(engine).active()) == 1


def test_html_to_plain() -> None:
    assert html_to_plain('<a href="http://x/?a=1&amp;b=2">标题&lt;1&gt;</a>') == "标题<1>"
