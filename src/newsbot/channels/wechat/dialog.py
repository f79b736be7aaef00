"""A WeChat message or event -> the conversation layer -> the messages to send back.

Text goes to the same Conversation as Telegram (Chinese command words included); a bare
number, or 下一页, presses one of the numbered choices offered last (kept in the database).
Events: subscribe (welcome, with what to type; a QR scene is a deep link), unsubscribe
(subscriber inactive, data kept), CLICK of a menu item (a command), SCAN (a deep link).
Every reader action opens the customer-service window; messages held while it was closed come
first, as the passive reply ("你有 1 份未读日报…").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from newsbot.channels.wechat.outgoing import TEXT_LIMIT_BYTES, Outgoing
from newsbot.channels.weixin.choices import chosen, number_buttons
from newsbot.channels.weixin.menu import MENU_COMMANDS, MENU_HINTS
from newsbot.channels.weixin.stores import ChoiceStorePort, HeldMessagesPort, ReplyWindowsPort
from newsbot.conversation import Conversation, Incoming, Response
from newsbot.core.i18n import t
from newsbot.core.render import render_plain
from newsbot.ports import Clock

CHANNEL = "wechat"
# The platform's customer-service allowance per reader action (docs/wechat.md).
MESSAGE_WINDOW = (5, timedelta(hours=48))
EVENT_WINDOW = (3, timedelta(minutes=1))


class WeChatDialog:
    def __init__(
        self,
        conversation: Conversation,
        choices: ChoiceStorePort,
        windows: ReplyWindowsPort,
        held: HeldMessagesPort,
        clock: Clock,
        *,
        language_of: Callable[[str], str] = lambda _openid: "zh",
    ) -> None:
        self.conversation = conversation
        self.choices = choices
        self.windows = windows
        self.held = held
        self.clock = clock
        self.language_of = language_of

    async def respond(self, message: Any) -> list[Outgoing]:
        """The messages for this reader, in order; the first becomes the passive reply."""
        openid = str(message.source)
        kind = str(message.type)
        event = str(getattr(message, "event", "") or "").lower()
        if kind == "event" and event == "unsubscribe":
            await self.conversation.chat_gone(CHANNEL, openid)
            return []
        await self._open_window(openid, MESSAGE_WINDOW if kind != "event" else EVENT_WINDOW)
        held = await self._held(openid)
        answer = await self._answer(openid, kind, event, message)
        return held + answer

    async def _open_window(self, openid: str, grant: tuple[int, timedelta]) -> None:
        now = self.clock.now()
        quota, length = grant
        await asyncio.to_thread(self.windows.open, CHANNEL, openid, quota, now + length, now)

    async def _held(self, openid: str) -> list[Outgoing]:
        held = await asyncio.to_thread(self.held.take_all, CHANNEL, openid)
        if not held:
            return []
        language = await asyncio.to_thread(self.language_of, openid)
        notice = t(language, "wechat.held", count=len(held))
        first, *rest = [Outgoing.from_payload(payload, kind) for kind, payload in held]
        if first.card:
            card = {**first.card, "title": f"{notice}{first.card.get('title', '')}"}
            first = Outgoing(card=card, kind=first.kind)
        else:
            first = Outgoing(text=f"{notice}\n\n{first.text}", kind=first.kind)
            if len(first.text.encode("utf-8")) > TEXT_LIMIT_BYTES:  # the notice did not fit
                return [Outgoing(text=notice), Outgoing.from_payload(held[0][1]), *rest]
        return [first, *rest]

    async def _answer(self, openid: str, kind: str, event: str, message: Any) -> list[Outgoing]:
        language = await asyncio.to_thread(self.language_of, openid)
        if kind == "text":
            return await self._text(openid, str(message.content), language)
        if kind == "event":
            return await self._event(openid, event, message, language)
        return [Outgoing(text=t(language, "wechat.hint"))]  # images, voice ...: say what works

    async def _text(self, openid: str, text: str, language: str) -> list[Outgoing]:
        choices = await asyncio.to_thread(self.choices.get, CHANNEL, openid)
        payload = chosen(text, choices, language) if choices else None
        incoming = (
            Incoming(CHANNEL, openid, callback_data=payload)
            if payload is not None
            else Incoming(CHANNEL, openid, text)
        )
        return await self._converse(incoming, language)

    async def _event(self, openid: str, event: str, message: Any, language: str) -> list[Outgoing]:
        if event in ("subscribe", "subscribe_scan", "scan"):
            scene = str(getattr(message, "scene_id", "") or "").strip()
            start = f"/start {scene}" if scene else "/start"
            answer = await self._converse(Incoming(CHANNEL, openid, start), language)
            hint = Outgoing(text=t(language, "wechat.hint"))
            return [*answer, hint] if event != "scan" else answer
        if event == "click":
            key = str(getattr(message, "key", "") or "").upper()
            if key in MENU_HINTS:
                return [Outgoing(text=t(language, MENU_HINTS[key]))]
            if key in MENU_COMMANDS:
                return await self._converse(Incoming(CHANNEL, openid, MENU_COMMANDS[key]), language)
        return []  # other events (VIEW, LOCATION ...) need no answer

    async def _converse(self, incoming: Incoming, language: str) -> list[Outgoing]:
        response = await self.conversation.handle(incoming)
        return await self.outgoing(incoming.chat_id, response, language)

    async def outgoing(self, openid: str, response: Response, language: str) -> list[Outgoing]:
        """A Response as WeChat texts: buttons become numbered choices (saved for this reader),
        each message split within 2048 bytes (never truncated)."""
        messages, choices = number_buttons(response.messages, language)
        await asyncio.to_thread(self.choices.save, CHANNEL, openid, choices, self.clock.now())
        texts = [
            chunk
            for message in messages
            for chunk in render_plain(message, limit=TEXT_LIMIT_BYTES, measure="bytes")
        ]
        if not texts and response.notice:
            texts = [response.notice]
        return [Outgoing(text=text) for text in texts if text.strip()]
