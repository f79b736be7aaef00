"""Sending one outbox chunk through python-telegram-bot, with Telegram's errors translated.

Only this module knows telegram.error.*; the sender loop (service/sending.py) sees SendError:

    RetryAfter (429)                      -> SendError(retry_after=seconds)
    ChatMigrated                          -> SendError(migrate_to=new chat id)
    Forbidden (403: blocked, deactivated,
      can't initiate conversation, kicked) -> SendError(permanent=True)
    BadRequest "can't parse entities"     -> SendError(bad_markup=True)
    BadRequest "chat not found" etc.      -> SendError(permanent=True)
    other BadRequest                      -> SendError(reason="bad request: ...") (not retried)
    NetworkError, TimedOut, 5xx           -> SendError() (transient: retried with backoff)

PTB rewrites and capitalises parts of error messages, so every match is case-insensitive.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from newsbot.errors import SendError

BAD_REQUEST = "bad request: "
SENDER_POOL = 8
_UNREACHABLE = (
    "chat not found",
    "user is deactivated",
    "bot was blocked",
    "bot was kicked",
    "bot can't initiate",
    "peer_id_invalid",
    "have no rights to send",
    "not enough rights",
)


class TelegramSender:
    """`send` one chunk to one chat; returns Telegram's message id."""

    channel = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def create(cls, token: str, base_url: str, *, pool_size: int = SENDER_POOL) -> TelegramSender:
        """A sender with its own Bot and a small connection pool.

        httpcore scans every pooled connection on each request, so PTB's Application pool (256)
        costs CPU per message; measured on 2 cores, 4-16 connections send fastest (see
        docs/delivery.md). Call `await sender.bot.initialize()` / `shutdown()` around use.
        """
        request = HTTPXRequest(connection_pool_size=pool_size, read_timeout=30, pool_timeout=30)
        return cls(Bot(token, base_url=base_url, request=request))

    async def send(
        self,
        chat_id: str,
        html_chunk: str,
        *,
        buttons: Sequence[Sequence[dict[str, Any]]] = (),
        link_preview: bool = False,
        plain: bool = False,
    ) -> str:
        try:
            message = await self.bot.send_message(
                chat_id=_chat(chat_id),
                text=html_chunk,
                parse_mode=None if plain else ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=not link_preview),
                reply_markup=_keyboard(buttons),
            )
        except TelegramError as exc:
            raise translate(chat_id, exc) from exc
        return str(message.message_id)


def translate(chat_id: str, exc: TelegramError) -> SendError:
    """A SendError carrying what the sender loop needs to decide."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, RetryAfter):
        return SendError(chat_id, text, retry_after=_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return SendError(chat_id, text, migrate_to=str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return SendError(chat_id, text, permanent=True)
    if isinstance(exc, BadRequest):
        if "can't parse entities" in lowered or "can not parse entities" in lowered:
            return SendError(chat_id, text, bad_markup=True)
        if any(marker in lowered for marker in _UNREACHABLE):
            return SendError(chat_id, text, permanent=True)
        return SendError(chat_id, BAD_REQUEST + text)
    if isinstance(exc, NetworkError):
        return SendError(chat_id, f"network: {text}")
    return SendError(chat_id, BAD_REQUEST + text)  # InvalidToken, Conflict: retrying will not help


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about the int -> timedelta migration here
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _keyboard(rows: Sequence[Sequence[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    keyboard = [
        [
            InlineKeyboardButton(b["label"], url=b["url"])
            if b.get("url")
            else InlineKeyboardButton(b["label"], callback_data=b.get("data") or "noop")
            for b in row
        ]
        for row in rows
    ]
    return InlineKeyboardMarkup(keyboard)
