"""Chinese command words: what WeChat and WeCom readers type instead of slash commands.

订阅, 退订, 搜索 党建, 时间 7:30, 时区 Asia/Shanghai, 关键词 债务, 日报, 设置, 帮助 ... map to the
same commands as /subscribe, /unsubscribe, /search 党建, /time 7:30 and so on, so every channel
shares one command table. A word counts only at the start of the message, alone or followed by
a space (or directly by a digit: 时间7:30); anything else is plain text, which is a search.
下一页 / 上一页 are not commands: they name the page buttons, which channels without buttons
offer as numbered choices (see NEXT_PAGE_WORDS).
"""

from __future__ import annotations

import re

from newsbot.conversation.parsing import Command

WORDS: dict[str, str] = {
    "开始": "start",
    "订阅": "subscribe",
    "退订": "unsubscribe",
    "取消订阅": "unsubscribe",
    "搜索": "search",
    "时间": "time",
    "时区": "tz",
    "关键词": "keywords",
    "日报": "digest",
    "摘要": "digest",
    "最新": "latest",
    "设置": "settings",
    "帮助": "help",
    "语言": "lang",
}
# command -> the word shown for it in 帮助 (the first of its words above)
WORD_OF: dict[str, str] = {}
for _word, _name in WORDS.items():
    WORD_OF.setdefault(_name, _word)
NEXT_PAGE_WORDS = ("下一页", "下页", "next")
PREV_PAGE_WORDS = ("上一页", "上页", "prev", "previous")
_KEYWORD_VERBS = {"add", "+", "添加", "增加", "remove", "rm", "del", "delete", "-", "删除"}
_KEYWORD_VERBS |= {"list", "ls", "列表", "查看"}
_PATTERN = re.compile(
    r"^("
    + "|".join(sorted(map(re.escape, WORDS), key=len, reverse=True))
    + r")(?:\s+(.*)|(\d.*))?$",
    re.DOTALL,
)


def is_page_word(text: str) -> bool:
    """下一页 / 上一页 (or next / prev) and nothing else: a page turn, never a search."""
    typed = text.strip().rstrip("。.").strip().casefold()
    return typed in NEXT_PAGE_WORDS or typed in PREV_PAGE_WORDS


def command_from_words(text: str) -> Command | None:
    """'时间 7:30' -> Command('time', '7:30'); '关键词 债务' -> keywords 'add 债务'; None otherwise."""
    match = _PATTERN.match(text.strip())
    if match is None:
        return None
    name = WORDS[match.group(1)]
    args = (match.group(2) or match.group(3) or "").strip()
    if name == "keywords" and args and args.split()[0].casefold() not in _KEYWORD_VERBS:
        args = f"add {args}"  # 关键词 债务: adding is what a reader means
    return Command(name, args)
