"""The real PTB Application against the fake Bot API on loopback: conversations and bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest

from fakes.bot_api import FakeBotAPI
from fakes.chat_world import RunningTelegram, build_world, running_telegram
from newsbot.app import engine_of
from newsbot.channels.telegram import send_messages
from newsbot.core.replies import Message
from newsbot.service import Newsroom
from newsbot.storage.subscribers import SubscriberStore

pytestmark = pytest.mark.timeout(60)


@dataclass
class Bot:
    api: FakeBotAPI
    telegram: RunningTelegram
    newsroom: Newsroom

    async def ask(
        self, chat: int, text: str, *, replies: int = 1, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Send `text` from `chat`; wait for `replies` new messages to that chat and return them."""
        before = len(self.api.messages(chat))
        self.api.inject_message(chat, text, **kwargs)
        await self.api.async_wait_for(lambda: len(self.api.messages(chat)) >= before + replies)
        return self.api.messages(chat)[before:]

    def subscriber(self, chat: int) -> Any:
        return SubscriberStore(engine_of(self.newsroom)).get("telegram", str(chat))


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Bot]:
    api = FakeBotAPI().start()
    newsroom = build_world(
        sqlite_url, telegram={"base_url": api.base_url, "token": api.token, "admins": ["1001"]}
    )
    try:
        async with running_telegram(newsroom) as telegram:
            yield Bot(api, telegram, newsroom)
    finally:
        api.stop()
        newsroom.close()


async def test_menu_is_set_in_chinese_and_english(bot: Bot) -> None:
    zh = {c["command"]: c["description"] for c in bot.api.commands[("default", "")]}
    en = {c["command"]: c["description"] for c in bot.api.commands[("default", "en")]}
    assert zh["time"].startswith("设置摘要时间") and en["time"].startswith("Set the digest time")
    assert "stats" not in zh  # admin commands are not advertised


async def test_subscriber_conversation(bot: Bot) -> None:
    (welcome,) = await bot.ask(42, "/start")
    assert "欢迎" in welcome["plain"] and welcome["parse_mode"] == "HTML"
    assert welcome["link_preview_options"] == {"is_disabled": True}
    (timed,) = await bot.ask(42, "/time 7:30")
    assert "07:30" in timed["plain"]
    (kw,) = await bot.ask(42, "/keywords add 党建")
    assert "已添加关键词：党建" in kw["plain"]

    (results,) = await bot.ask(42, "/search 党建")
    assert "第 1/4 页" in results["plain"]
    assert "&lt;b&gt;&amp;" in results["text"]  # the feed's title is escaped, not markup
    (next_button,) = results["reply_markup"]["inline_keyboard"][0]
    bot.api.inject_callback_query(
        42, next_button["callback_data"], message_id=results["message_id"]
    )
    await bot.api.async_wait_for(
        lambda: len(bot.api.edits) == 1 and len(bot.api.callback_answers) == 1
    )
    edited = bot.api.messages(42)[-1]
    assert edited["message_id"] == results["message_id"] and "第 2/4 页" in edited["plain"]

    digest = await bot.ask(42, "/digest")
    assert "每日摘要" in digest[0]["plain"] and "高新区化解债务3029.56万元" in digest[0]["plain"]
    (bye,) = await bot.ask(42, "/unsubscribe")
    assert "已退订" in bye["plain"]
    subscriber = bot.subscriber(42)
    assert subscriber.digest_time == time(7, 30) and subscriber.keywords == ("党建",)
    assert not subscriber.digest_enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/time 25:99", "无法识别时间“25:99”"),
        ("/tz Mars/Base", "无法识别时区“Mars/Base”"),
        ("/keywords add " + " ".join(f"k{n}" for n in range(500)), "每人最多 50 个关键词"),
        ("长" * 5000, "消息太长（5000 字），最多 4096 字"),
        ("/frobnicate", "未知命令 /frobnicate"),
        ("/stats", "仅限管理员"),
    ],
)
async def test_bad_input_gets_a_clear_reply(bot: Bot, text: str, expected: str) -> None:
    (reply,) = await bot.ask(7, text)
    assert expected in reply["plain"]


async def test_admin_stats(bot: Bot) -> None:
    (reply,) = await bot.ask(1001, "/stats")
    assert "订阅者" in reply["plain"] and "文章 8 篇" in reply["plain"]


async def test_edited_messages_are_not_rerun(bot: Bot) -> None:
    (reply,) = await bot.ask(8, "/keywords add 党建", edited=True)
    assert "编辑过的消息不会被处理" in reply["plain"]
    assert bot.subscriber(8) is None or bot.subscriber(8).keywords == ()


async def test_groups_and_channels(bot: Bot) -> None:
    group = -1001234
    bot.api.set_chat_admins(group, [5])
    bot.api.inject_message(group, "随便聊聊", chat_type="supergroup", user_id=5)
    bot.api.inject_message(group, "/help@some_other_bot", chat_type="supergroup", user_id=5)
    bot.api.inject_edited_message(group, "/start", chat_type="supergroup", user_id=5)
    bot.api.inject_channel_post(-100777, "/start")
    (reply,) = await bot.ask(group, f"/time@{bot.api.username}", chat_type="supergroup", user_id=5)
    assert "08:00" in reply["plain"]
    await asyncio.sleep(0.3)
    assert len(bot.api.messages(group)) == 1 and bot.api.messages(-100777) == []


async def test_tampered_callback_is_refused(bot: Bot) -> None:
    (settings,) = await bot.ask(9, "/settings")
    data = settings["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    bot.api.inject_callback_query(
        9, data[:-1] + ("A" if data[-1] != "A" else "B"), message_id=settings["message_id"]
    )
    await bot.api.async_wait_for(lambda: len(bot.api.callback_answers) == 1)
    assert bot.api.callback_answers[0]["text"] == "按钮已失效或数据无效，请重新发送命令。"
    assert bot.api.edits == [] and bot.subscriber(9).digest_enabled


async def test_send_errors_do_not_stop_the_bot(bot: Bot) -> None:
    bot.api.fail_chat(77, 403, "Forbidden: bot was blocked by the user")
    bot.api.inject_message(77, "/start")
    bot.api.fail_chat(78, 429, "Too Many Requests: retry after 1", retry_after=1, count=1)
    (after_429,) = await bot.ask(78, "/help")
    assert "可用命令" in after_429["plain"]
    bot.api.fail_next(
        "sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag"
    )
    (plain,) = await bot.ask(79, "/help")
    assert plain["parse_mode"] is None and "可用命令" in plain["plain"]
    bot.api.fail_chat(80, 400, "Bad Request: chat not found", count=1)
    bot.api.inject_message(80, "/help")
    (fine,) = await bot.ask(81, "/help")
    assert "可用命令" in fine["plain"] and bot.api.messages(77) == []


async def test_long_replies_are_split_not_truncated(bot: Bot) -> None:
    text = "山西大院资讯网报道。" * 1000  # 10,000 characters
    await send_messages(bot.telegram.deliver, "55", [Message.plain(text)])
    sent = bot.api.messages(55)
    assert len(sent) == 3 and all(len(m["plain"]) <= 4096 for m in sent)
    assert "".join(m["plain"] for m in sent) == text


async def test_one_chat_is_answered_in_order(bot: Bot) -> None:
    texts = ["/start", "/time 7:30", "/keywords add 党建", "/keywords list", "/time 9:15", "/time"]
    for text in texts:
        bot.api.inject_message(60, text)
    bot.api.inject_message(61, "/start")  # another chat meanwhile
    # replies to one chat are paced at Telegram's 1 message/s per chat: about 6 s for six
    await bot.api.async_wait_for(lambda: len(bot.api.messages(60)) == len(texts), timeout=20)
    replies = [m["plain"] for m in bot.api.messages(60)]
    assert "欢迎" in replies[0] and "07:30" in replies[1] and "（1/50）：党建" in replies[3]
    assert "09:15" in replies[4] and "当前摘要时间：每天 09:15" in replies[5]


async def test_webhook_mode_on_the_http_front(sqlite_url: str) -> None:
    import httpx

    from newsbot.app import channel_host
    from newsbot.front import HttpFront

    telegram = {"token": "123456:TEST-token", "mode": "webhook"}
    http = {"public_url": "https://bot.example.invalid/"}
    with FakeBotAPI() as api:
        newsroom = build_world(
            sqlite_url,
            telegram={**telegram, "base_url": api.base_url, "webhook_secret": "s3cret-token"},
            http=http,
        )
        host = channel_host(newsroom)
        front = HttpFront("127.0.0.1", 0)
        front.add(newsroom.channel_routes(host, ["telegram"]))  # as `newsbot run` does
        await newsroom.start_channels(host, ["telegram"])
        await front.start()
        try:
            assert api.webhook_url == "https://bot.example.invalid/telegram"
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 5,
                    "date": 1700000000,
                    "chat": {"id": 42, "type": "private", "first_name": "Tester"},
                    "from": {"id": 42, "is_bot": False, "first_name": "Tester"},
                    "text": "/time 7:30",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
            url = f"http://127.0.0.1:{front.port}/telegram"
            async with httpx.AsyncClient() as client:
                refused = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                )
                missing = await client.post(url, json=update)
                garbage = await client.post(
                    url,
                    content=b"{not json",
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
                )
                accepted = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
                )
            assert (refused.status_code, missing.status_code) == (403, 403)
            assert garbage.status_code == 400 and accepted.status_code == 200
            await api.async_wait_for(lambda: len(api.messages(42)) == 1)
            assert "07:30" in api.messages(42)[0]["plain"]
        finally:
            await front.stop()
            await newsroom.stop_channels()
            newsroom.close()


async def test_only_group_admins_change_group_settings(bot: Bot) -> None:
    group = -1005555
    bot.api.set_chat_admins(group, [5])
    (refused,) = await bot.ask(group, "/unsubscribe", chat_type="supergroup", user_id=6)
    assert "只有群管理员可以修改设置" in refused["plain"]
    (shown,) = await bot.ask(group, "/time", chat_type="supergroup", user_id=6)
    assert "当前摘要时间" in shown["plain"]
    (done,) = await bot.ask(group, "/time 6:45", chat_type="supergroup", user_id=5)
    assert "06:45" in done["plain"]
    subscriber = bot.subscriber(group)
    assert subscriber.digest_time == time(6, 45) and subscriber.digest_enabled


async def test_blocking_the_bot_marks_the_subscriber_inactive_until_start(bot: Bot) -> None:
    await bot.ask(70, "/start")
    bot.api.inject_my_chat_member(70, "kicked")
    await bot.api.async_wait_for(lambda: not bot.subscriber(70).active)
    (welcome,) = await bot.ask(70, "/start")
    assert "欢迎" in welcome["plain"] and bot.subscriber(70).active


async def test_a_page_button_on_a_lost_message_sends_a_new_one(bot: Bot) -> None:
    (results,) = await bot.ask(43, "/search 党建")
    (next_button,) = results["reply_markup"]["inline_keyboard"][0]
    bot.api.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    bot.api.inject_callback_query(
        43, next_button["callback_data"], message_id=results["message_id"]
    )
    await bot.api.async_wait_for(lambda: len(bot.api.messages(43)) == 2)
    assert "第 2/4 页" in bot.api.messages(43)[1]["plain"]
