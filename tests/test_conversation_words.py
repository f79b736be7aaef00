"""Chinese command words map to the same commands as the slash forms."""

from __future__ import annotations

import pytest

from newsbot.conversation.parsing import Command
from newsbot.conversation.words import command_from_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订阅", Command("subscribe", "")),
        ("订阅 阳泉", Command("subscribe", "阳泉")),
        ("退订", Command("unsubscribe", "")),
        ("搜索 党建", Command("search", "党建")),
        ("时间 7:30", Command("time", "7:30")),
        ("时间7:30", Command("time", "7:30")),
        ("时间", Command("time", "")),
        ("时区 Asia/Shanghai", Command("tz", "Asia/Shanghai")),
        ("关键词 债务", Command("keywords", "add 债务")),
        ("关键词 删除 债务", Command("keywords", "删除 债务")),
        ("关键词", Command("keywords", "")),
        ("日报", Command("digest", "")),
        ("设置", Command("settings", "")),
        ("帮助", Command("help", "")),
        ("  帮助  ", Command("help", "")),
    ],
)
def test_words(text: str, expected: Command) -> None:
    assert command_from_words(text) == expected


@pytest.mark.parametrize("text", ["党建", "时间管理", "订阅号推荐", "我要订阅", "", "下一页"])
def test_other_text_is_not_a_command(text: str) -> None:
    assert command_from_words(text) is None
