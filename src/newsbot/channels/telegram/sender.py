"""Putting one chunk on Telegram through python-telegram-bot, with its errors classified.

Only this package knows telegram.error.*; everyone else sees errors.SendError whose `outcome`
comes from the profile's rules (channels/telegram/profile.py), looked up by the exception's
class and then its bases, so a TimedOut is a TimedOut before it is a NetworkError.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, RetryAfter, TelegramError

from newsbot.channels.telegram.profile import ERROR_RULES
from newsbot.channels.telegram.request import AiohttpRequest
from newsbot.core.channels import Kind, Outbound, classify
from newsbot.core.replies import Button
from newsbot.errors import SendError

SENDER_POOL = 8


class TelegramSender:
    """`send` one Outbound (a new message or an edit); returns Telegram's message id."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def create(cls, token: str, base_url: str, *, pool_size: int = SENDER_POOL) -> TelegramSender:
        """A sender with its own Bot on aiohttp's client (channels/telegram/request.py) and a
        small connection pool: PTB's default httpx request cost ~3 ms of CPU per message here,
        most of it httpcore polling every pooled connection (docs/delivery.md). Call
        `await sender.bot.initialize()` / `shutdown()` around use."""
        return cls(Bot(token, base_url=base_url, request=AiohttpRequest(pool_size)))

    async def send(self, message: Outbound) -> str:
        try:
            if message.kind is Kind.EDIT and message.edit_of:
                return await self._edit(message)
            sent = await self.bot.send_message(
                chat_id=_chat(message.recipient),
                text=message.text,
                parse_mode=None if message.plain else ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=not message.link_preview),
                reply_markup=keyboard(message.buttons),
            )
        except TelegramError as exc:
            raise translate(message.recipient, exc) from exc
        return str(sent.message_id)

    async def _edit(self, message: Outbound) -> str:
        assert message.edit_of is not None
        try:
            await self.bot.edit_message_text(
                message.text,
                chat_id=_chat(message.recipient),
                message_id=int(message.edit_of),
                parse_mode=None if message.plain else ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=not message.link_preview),
                reply_markup=keyboard(message.buttons),
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
        return message.edit_of


def translate(chat_id: str, exc: TelegramError) -> SendError:
    """A SendError whose outcome the outbox and the reply path act on."""
    codes = [cls.__name__ for cls in type(exc).__mro__]
    outcome = classify(ERROR_RULES, codes, str(exc))
    return SendError(
        chat_id,
        str(exc),
        outcome,
        retry_after=_seconds(exc) if isinstance(exc, RetryAfter) else None,
        moved_to=str(exc.new_chat_id) if isinstance(exc, ChatMigrated) else None,
    )


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about the int -> timedelta migration here
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    markup = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url
            else InlineKeyboardButton(b.label, callback_data=b.data or "noop")
            for b in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(markup) if markup else None
