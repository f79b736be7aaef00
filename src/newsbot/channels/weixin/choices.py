"""Buttons as numbered choices, for chats that have no buttons (WeChat, WeCom).

A reply's buttons become lines "回复 1：下一页 ›" under its text; the (label, payload) pairs are
saved per chat in the database (any process may get the reader's next message), and a reply of
just that number, or the button's own words (下一页), presses the button.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from newsbot.conversation.words import NEXT_PAGE_WORDS, PREV_PAGE_WORDS
from newsbot.core.i18n import t
from newsbot.core.replies import Message, text_block

Choice = tuple[str, str]  # (label, signed payload)


def number_buttons(
    messages: Sequence[Message], language: str
) -> tuple[list[Message], list[Choice]]:
    """Messages without buttons (choices appended to the last one) and the choices offered."""
    choices: list[Choice] = []
    links: list[str] = []
    for message in messages:
        for row in message.buttons:
            for button in row:
                if button.data:
                    choices.append((button.label, button.data))
                elif button.url:
                    links.append(f"{button.label}：{button.url}")
    plain = [replace(m, buttons=()) for m in messages]
    lines = [
        t(language, "choices.line", number=n, label=label)
        for n, (label, _) in enumerate(choices, start=1)
    ] + links
    if lines and plain:
        plain[-1] = replace(plain[-1], blocks=(*plain[-1].blocks, text_block("\n".join(lines))))
    return plain, choices


def chosen(text: str, choices: Sequence[Choice], language: str) -> str | None:
    """The payload the reader picked by number or by the button's words, else None."""
    typed = text.strip().rstrip("。.").strip()
    if typed.isdigit() and 1 <= int(typed) <= len(choices):
        return choices[int(typed) - 1][1]
    for words, key in ((NEXT_PAGE_WORDS, "search.next"), (PREV_PAGE_WORDS, "search.prev")):
        if typed.casefold() in words:
            label = t(language, key)
            return next((payload for name, payload in choices if name == label), None)
    return None
