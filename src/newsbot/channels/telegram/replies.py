"""The conversation's replies on Telegram: render, split, attach buttons, edit in place.

Every Message is rendered by core.render (escaped HTML, chunks below 4096 UTF-16 units, never
truncated); its buttons ride on the last chunk; link previews are off unless it asks for one.
Each chunk goes out through `deliver`, the channel's paced path (ports.ChannelContext.deliver):
replies take the first free slot of Telegram's rate ahead of digests, and a 429 is waited out
there, however long, never dropped. Here only what is left: markup Telegram refused is resent
as plain text; a recipient that is gone is logged. Nothing here raises.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from newsbot.core.channels import Kind, Outbound, SendOutcome
from newsbot.core.incoming import Response
from newsbot.core.render import render_plain, render_telegram
from newsbot.core.replies import Message
from newsbot.errors import SendError

log = logging.getLogger(__name__)
Deliver = Callable[[Outbound], Awaitable[str]]
PLAIN_LIMIT = 4096


async def send_messages(
    deliver: Deliver, chat_id: str, messages: Sequence[Message], *, is_group: bool = False
) -> None:
    for message in messages:
        await send_message(deliver, chat_id, message, is_group=is_group)


async def send_message(
    deliver: Deliver, chat_id: str, message: Message, *, is_group: bool = False
) -> None:
    """All chunks of one message in order; bad markup falls back to plain text for the rest."""
    chunks = render_telegram(message)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        outbound = _reply(chat_id, chunk, message, is_group, with_buttons=last)
        try:
            await deliver(outbound)
        except SendError as exc:
            if exc.outcome is SendOutcome.BAD_MARKUP:
                log.warning("Telegram refused our HTML (%s); sending plain text", exc.reason)
                await _send_plain(deliver, chat_id, message, is_group)
            else:
                log.warning("reply to %s not sent: %s", chat_id, exc.reason)
            return


async def _send_plain(deliver: Deliver, chat_id: str, message: Message, is_group: bool) -> None:
    chunks = render_plain(message, limit=PLAIN_LIMIT)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        outbound = _reply(chat_id, chunk, message, is_group, with_buttons=last, plain=True)
        try:
            await deliver(outbound)
        except SendError as exc:
            log.warning("plain reply to %s not sent: %s", chat_id, exc.reason)
            return


async def deliver_button_response(
    deliver: Deliver, chat_id: str, message_id: int, response: Response, *, is_group: bool = False
) -> None:
    """Edit the pressed message with the first reply (when asked), send the rest. If the
    message cannot be edited (too old, deleted), the reply is sent as a new message instead."""
    messages = list(response.messages)
    if response.edit and messages:
        first = messages.pop(0)
        chunks = render_telegram(first)
        if await _edit(deliver, chat_id, message_id, first, chunks[0], is_group, len(chunks) == 1):
            rest = Message(first.blocks, first.buttons, first.link_preview)
            for index, chunk in enumerate(chunks[1:], start=1):
                last = index == len(chunks) - 1
                await deliver_quietly(deliver, _reply(chat_id, chunk, rest, is_group, last))
        else:
            messages.insert(0, first)
    await send_messages(deliver, chat_id, messages, is_group=is_group)


async def _edit(
    deliver: Deliver,
    chat_id: str,
    message_id: int,
    message: Message,
    chunk: str,
    is_group: bool,
    with_buttons: bool,
) -> bool:
    """True when the message now shows `chunk` (edited, or it already did)."""
    edit = Outbound.of(
        chat_id,
        chunk,
        Kind.EDIT,
        buttons=message.buttons if with_buttons else (),
        link_preview=message.link_preview,
        is_group=is_group,
        edit_of=str(message_id),
    )
    try:
        await deliver(edit)
    except SendError as exc:
        if exc.outcome in (SendOutcome.FATAL, SendOutcome.BAD_MARKUP):
            log.info("edit in %s failed (%s); sending instead", chat_id, exc.reason)
            return False
        log.warning("edit in %s failed: %s", chat_id, exc.reason)  # do not send a duplicate
    return True


async def deliver_quietly(deliver: Deliver, outbound: Outbound) -> None:
    try:
        await deliver(outbound)
    except SendError as exc:
        log.warning("reply to %s not sent: %s", outbound.recipient, exc.reason)


def _reply(
    chat_id: str,
    chunk: str,
    message: Message,
    is_group: bool,
    with_buttons: bool,
    *,
    plain: bool = False,
) -> Outbound:
    return Outbound.of(
        chat_id,
        chunk,
        Kind.REPLY,
        buttons=message.buttons if with_buttons else (),
        link_preview=message.link_preview,
        is_group=is_group,
        plain=plain,
    )
