"""Sending the conversation's replies on Telegram: render, split, attach buttons, edit in place.

Every Message is rendered by core.render (escaped HTML, chunks below 4096 UTF-16 units, never
truncated); its buttons ride on the last chunk; link previews are off unless it asks for one.
Sending goes through channels.telegram_sender, so errors mean what they mean for the outbox:
a short 429 is waited out once, "can't parse entities" falls back to plain text, anything else
(403, chat not found) is logged. Nothing here raises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from newsbot.channels.telegram_sender import TelegramSender, translate
from newsbot.conversation import Response
from newsbot.core.render import render_plain, render_telegram
from newsbot.core.replies import Button, Message
from newsbot.errors import SendError

log = logging.getLogger(__name__)
MAX_RETRY_WAIT = 10.0  # an interactive reply waits out a short 429 once; longer ones are dropped


async def send_messages(bot: Any, chat_id: str, messages: Sequence[Message]) -> None:
    for message in messages:
        chunks = render_telegram(message)
        for index, chunk in enumerate(chunks):
            buttons = message.buttons if index == len(chunks) - 1 else ()
            await send_chunk(bot, chat_id, chunk, buttons, message)


async def send_chunk(
    bot: Any, chat_id: str, chunk: str, buttons: Sequence[Sequence[Button]], message: Message
) -> None:
    """One chunk; a short 429 is waited out once, bad markup is resent as plain text."""
    sender = TelegramSender(bot)
    rows = _button_rows(buttons)
    for attempt in range(2):
        try:
            await sender.send(chat_id, chunk, buttons=rows, link_preview=message.link_preview)
            return
        except SendError as exc:
            if exc.retry_after is not None and exc.retry_after <= MAX_RETRY_WAIT and attempt == 0:
                await asyncio.sleep(exc.retry_after)
                continue
            if exc.bad_markup and attempt == 0:
                log.warning("Telegram refused our HTML (%s); sending plain text", exc.reason)
                await _send_plain(sender, chat_id, message)
                return
            log.warning("reply to %s not sent: %s", chat_id, exc.reason)
            return


async def _send_plain(sender: TelegramSender, chat_id: str, message: Message) -> None:
    chunks = render_plain(message, limit=4096)
    for index, chunk in enumerate(chunks):
        rows = _button_rows(message.buttons) if index == len(chunks) - 1 else []
        try:
            await sender.send(chat_id, chunk, buttons=rows, plain=True)
        except SendError as exc:
            log.warning("plain reply to %s not sent: %s", chat_id, exc.reason)
            return


async def deliver_button_response(
    bot: Any, chat_id: str, message_id: int, response: Response
) -> None:
    """Edit the pressed message with the first reply (when asked), send the rest. If the
    message cannot be edited (too old, deleted), the reply is sent as a new message instead."""
    messages = list(response.messages)
    if response.edit and messages:
        first = messages.pop(0)
        chunks = render_telegram(first)
        if await _edit(bot, chat_id, message_id, first, chunks[0], len(chunks) == 1):
            for index, chunk in enumerate(chunks[1:], start=1):
                buttons = first.buttons if index == len(chunks) - 1 else ()
                await send_chunk(bot, chat_id, chunk, buttons, first)
        else:
            messages.insert(0, first)
    await send_messages(bot, chat_id, messages)


async def _edit(
    bot: Any, chat_id: str, message_id: int, message: Message, chunk: str, with_buttons: bool
) -> bool:
    """True when the message now shows `chunk` (edited, or it already did)."""
    try:
        await bot.edit_message_text(
            chunk,
            chat_id=int(chat_id),
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=not message.link_preview),
            reply_markup=_markup(message.buttons) if with_buttons else None,
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        log.info("edit in %s failed (%s); sending instead", chat_id, translate(chat_id, exc).reason)
        return False
    except TelegramError as exc:
        log.warning("edit in %s failed: %s", chat_id, translate(chat_id, exc).reason)
        return True  # a network or flood error: do not send a duplicate
    return True


def _markup(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url
            else InlineKeyboardButton(b.label, callback_data=b.data)
            for b in row
        ]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _button_rows(buttons: Sequence[Sequence[Button]]) -> list[list[dict[str, Any]]]:
    return [
        [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in buttons if row
    ]
