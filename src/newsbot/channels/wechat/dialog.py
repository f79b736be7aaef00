"""A WeChat message or event -> the conversation (through the channel context) -> the messages
to send back, the first of which becomes the passive reply.

Text goes to the same conversation as Telegram (Chinese command words included); a bare
number, or 下一页, presses one of the numbered choices offered last (kept in the database).
Events: subscribe (welcome, with what to type; a QR scene is a deep link), unsubscribe
(subscriber inactive, data kept), CLICK of a menu item (a command), SCAN (a deep link).
Every reader action opens the customer-service window (with the inbound record, one commit);
messages held while it was closed come first, as the passive reply ("你有 1 份未读日报…").
The subscriber is read once per turn, by the conversation; its Response says the language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from newsbot.channels.wechat.profile import NAME, TEXT_LIMIT_BYTES
from newsbot.channels.weixin.choices import chosen, number_buttons
from newsbot.channels.weixin.menu import MENU_COMMANDS, MENU_HINTS
from newsbot.conversation.words import NEXT_PAGE_WORDS, PREV_PAGE_WORDS
from newsbot.core.channels import Kind, Outbound
from newsbot.core.i18n import t
from newsbot.core.incoming import Incoming, Response
from newsbot.core.models import OutboxRow
from newsbot.core.render import render_plain
from newsbot.ports import ChannelContext, Clock, Offered, WindowGrant

# The platform's customer-service allowance per reader action (docs/wechat.md).
MESSAGE_WINDOW = (5, timedelta(hours=48))
EVENT_WINDOW = (3, timedelta(minutes=1))


@dataclass(frozen=True, slots=True)
class Answer:
    """The messages for the reader, in order (the first becomes the passive reply), and the
    numbered choices they show (saved with the answer, so the reader's "1" finds them)."""

    messages: list[Outbound] = field(default_factory=list)
    offered: Offered | None = None


class WeChatDialog:
    def __init__(self, context: ChannelContext, clock: Clock) -> None:
        self.context = context
        self.stores = context.stores()
        self.clock = clock

    def grant(self, message: Any, now: datetime) -> WindowGrant | None:
        """The reply window this reader action opens (none for unfollowing)."""
        kind = str(message.type)
        if kind == "event" and _event(message) == "unsubscribe":
            return None
        quota, length = MESSAGE_WINDOW if kind != "event" else EVENT_WINDOW
        return WindowGrant(str(message.source), quota, now + length)

    def held(self, rows: Sequence[OutboxRow]) -> list[Outbound]:
        """The reader's held messages, taken with the inbound record (InboundLedger.begin)."""
        return self.context.held_messages(rows) if rows else []

    async def respond(self, message: Any, held: Sequence[Outbound] = ()) -> Answer:
        """What to send this reader: what was held for them first, then the answer."""
        openid = str(message.source)
        kind = str(message.type)
        event = _event(message)
        if kind == "event" and event == "unsubscribe":
            await self.context.chat_gone(NAME, openid)
            return Answer()
        language = Language(self.context, openid)
        answer = await self._answer(openid, kind, event, message, language)
        if not held:
            return answer
        first = await self._held(openid, list(held), language)
        return Answer([*first, *answer.messages], answer.offered)

    async def _held(self, openid: str, held: list[Outbound], language: Language) -> list[Outbound]:
        notice = t(await language.get(), "wechat.held", count=len(held))
        first, *rest = held
        if first.card is not None:
            card = replace(first.card, title=f"{notice}{first.card.title}")
            return [replace(first, card=card), *rest]
        text = f"{notice}\n\n{first.text}"
        if len(text.encode("utf-8")) > TEXT_LIMIT_BYTES:  # the notice does not fit: its own
            return [Outbound.of(openid, notice, Kind.REPLY), *held]
        return [replace(first, text=text), *rest]

    async def _answer(
        self, openid: str, kind: str, event: str, message: Any, language: Language
    ) -> Answer:
        if kind == "text":
            return await self._text(openid, str(message.content), language)
        if kind == "event":
            return await self._event(openid, event, message, language)
        hint = t(await language.get(), "wechat.hint")  # images, voice ...: say what works
        return Answer([_text(openid, hint)])

    async def _text(self, openid: str, text: str, language: Language) -> Answer:
        payload = None
        if may_choose(text):  # only a number or 下一页 can press a button: skip the read else
            choices = await asyncio.to_thread(self.stores.choices.get, NAME, openid)
            words = not text.strip().rstrip("。.").strip().isdigit()  # 下一页: in which language
            lang = await language.get() if choices and words else "zh"
            payload = chosen(text, choices, lang) if choices else None
        incoming = (
            Incoming(NAME, openid, callback_data=payload, command_words=True)
            if payload is not None
            else Incoming(NAME, openid, text, command_words=True)
        )
        return await self._converse(incoming, language)

    async def _event(self, openid: str, event: str, message: Any, language: Language) -> Answer:
        if event in ("subscribe", "subscribe_scan", "scan"):
            scene = str(getattr(message, "scene_id", "") or "").strip()
            start = f"/start {scene}" if scene else "/start"
            # the welcome says what to type: one passive reply, no customer-service message
            return await self._converse(Incoming(NAME, openid, start, command_words=True), language)
        if event == "click":
            key = str(getattr(message, "key", "") or "").upper()
            if key in MENU_HINTS:
                return Answer([_text(openid, t(await language.get(), MENU_HINTS[key]))])
            if key in MENU_COMMANDS:
                return await self._converse(
                    Incoming(NAME, openid, MENU_COMMANDS[key], command_words=True), language
                )
        return Answer()  # other events (VIEW, LOCATION ...) need no answer

    async def _converse(self, incoming: Incoming, language: Language) -> Answer:
        response = await self.context.handle(incoming)
        language.learn(response.language)  # the conversation read the subscriber already
        return await self.outgoing(incoming.chat_id, response, language)

    async def outgoing(self, openid: str, response: Response, language: Language) -> Answer:
        """A Response as WeChat texts: buttons become numbered choices (offered to this reader;
        the last ones offered stay valid until new ones replace them), each message split within
        2048 bytes (never truncated)."""
        has_buttons = any(message.buttons for message in response.messages)
        lang = await language.get() if has_buttons else "zh"
        messages, choices = number_buttons(response.messages, lang)
        texts = [
            chunk
            for message in messages
            for chunk in render_plain(message, limit=TEXT_LIMIT_BYTES, measure="bytes")
        ]
        if not texts and response.notice:
            texts = [response.notice]
        offered = Offered(openid, choices) if choices else None
        return Answer([_text(openid, text) for text in texts if text.strip()], offered)


class Language:
    """The reader's language: as the conversation last told it, else read from the database
    only when some text needs it."""

    def __init__(self, context: ChannelContext, openid: str) -> None:
        self.context, self.openid = context, openid
        self._value: str | None = None

    def learn(self, language: str) -> None:
        if language:
            self._value = language

    async def get(self) -> str:
        if self._value is None:
            self._value = await asyncio.to_thread(self.context.language, NAME, self.openid)
        return self._value


def may_choose(text: str) -> bool:
    typed = text.strip().rstrip("。.").strip()
    return typed.isdigit() or typed.casefold() in (*NEXT_PAGE_WORDS, *PREV_PAGE_WORDS)


def _event(message: Any) -> str:
    return str(getattr(message, "event", "") or "").lower()


def _text(openid: str, text: str) -> Outbound:
    return Outbound.of(openid, text, Kind.REPLY)
