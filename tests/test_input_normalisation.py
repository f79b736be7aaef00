"""Hostile chat input through every channel's path: NUL, control characters and lone surrogates
in text, keywords, deep links, button data and names, and extreme date filters, get a clear
answer (never the internal-error apology), on SQLite and PostgreSQL (which refuses NUL in text).
The cleaning is core.text.clean_text at the conversation edge (router.clean_incoming); the pure
function and the date bounds have their own tests (test_hostile_input.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.bot_api import FakeBotAPI
from fakes.chat_world import build_world, running_telegram
from newsbot.app import engine_of
from newsbot.conversation import Conversation, Incoming
from newsbot.storage.subscribers import SubscriberStore

pytestmark = pytest.mark.timeout(120)
APOLOGY = "处理时出错"


def _replies(conversation: Conversation, incoming: Incoming) -> str:
    response = asyncio.run(conversation.handle(incoming))
    return "\n".join(m.plain_text() for m in response.messages) + response.notice


@pytest.mark.parametrize(
    "text",
    [
        "/start\x00",
        "/start deep\x00link\ud800",  # a deep link
        "/keywords add 债\x00务 党\ud83d建",
        "党建\x00",
        "\ud800",
        "党建 since:0001-01-01",
        "/search 党建 since:0001-01-01",
        "\x00\x01\x02",
    ],
)
def test_hostile_text_gets_a_clear_answer_on_both_databases(database_url: str, text: str) -> None:
    room = build_world(database_url, articles=3)
    try:
        conversation = Conversation.for_newsroom(room)
        incoming = Incoming("telegram", "77", text, user_name="读\x00者\udc80")
        answer = _replies(conversation, incoming)
        assert answer and APOLOGY not in answer
        subscriber = SubscriberStore(engine_of(room)).get("telegram", "77")
        assert subscriber is not None and subscriber.extra.get("display_name") == "读者"
        if "since:0001" in text:
            assert "阳泉市党建工作推进会" in answer  # since the year 1: everything
        if text.startswith("/keywords"):
            assert set(subscriber.keywords) == {"债务", "党建"}
    finally:
        room.close()


def test_hostile_button_data_is_refused_clearly(sqlite_url: str) -> None:
    room = build_world(sqlite_url, articles=3)
    try:
        conversation = Conversation.for_newsroom(room)
        incoming = Incoming("telegram", "77", callback_data="s:page\x00|\ud800bad")
        answer = _replies(conversation, incoming)
        assert answer and APOLOGY not in answer
    finally:
        room.close()


async def test_telegram_hostile_text_and_name(database_url: str) -> None:
    """The real PTB stack: JSON with NUL and a lone surrogate (as Telegram may send) in the
    text, the deep link and the user's name."""
    api = FakeBotAPI().start()
    room = build_world(database_url, telegram={"base_url": api.base_url, "token": api.token})
    try:
        async with running_telegram(room):
            for n, text in enumerate(
                ["/start ref\x00\ud800", "党建\x00\ud800", "党建 since:0001-01-01"]
            ):
                api.inject_message(500 + n, text, first_name="名\x00字\udfff")
            for n in range(3):
                chat = 500 + n
                await api.async_wait_for(lambda chat=chat: len(api.messages(chat)) >= 1, 20)
        for n in range(3):
            answer = api.messages(500 + n)[0]["plain"]
            assert APOLOGY not in answer
            subscriber = SubscriberStore(engine_of(room)).get("telegram", str(500 + n))
            assert subscriber is not None and subscriber.extra.get("display_name") == "名字"
        assert "欢迎" in api.messages(500)[0]["plain"]
        assert "阳泉市党建工作推进会" in api.messages(502)[0]["plain"]
    finally:
        api.stop()
        room.close()


def test_console_hostile_bytes(tmp_path: Path, database_url: str) -> None:
    """`newsbot chat` with NUL and bytes that are not UTF-8 on stdin (a lone surrogate once
    decoded): each line gets an answer, the chat goes on."""
    build_world(database_url).close()
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[storage]\ndatabase_url = "{database_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env["PYTHONIOENCODING"] = "utf-8"
    lines = [
        b"/start",
        "/keywords add 债\x00务".encode(),
        b"\xff\xfe\xed\xa0\x80",
        "党建 since:0001-01-01".encode(),
        b"/keywords",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "newsbot", "--config", str(config), "chat", "--no-poll"],
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        env=env,
        timeout=100,
        check=False,
    )
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode()
    assert "欢迎" in out
    assert "已添加关键词：债务" in out
    assert "查摆出问题" in out or "党建" in out
    assert APOLOGY not in out
    assert "Traceback" not in result.stderr.decode()
