"""Telegram's inbound half (python-telegram-bot 22): Update -> Incoming -> conversation -> HTML.

Handlers are small top-level functions; `build_application` wires them with the channel host
(ports.ChannelContext: the conversation and the paced way out) passed in explicitly
(functools.partial), never through bot_data. Replies are rendered and sent by
channels.telegram.replies through the host's paced path; the error handler logs and the
application keeps running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from newsbot.channels.telegram.profile import NAME
from newsbot.channels.telegram.replies import Deliver, deliver_button_response, send_messages
from newsbot.channels.telegram.watch import PollingWatch
from newsbot.channels.telegram.webhook import webhook_url
from newsbot.config import Settings
from newsbot.conversation.commands import visible_commands
from newsbot.core.i18n import t
from newsbot.core.incoming import Incoming
from newsbot.errors import ConfigError
from newsbot.ports import ChannelContext

log = logging.getLogger(__name__)
CHANNEL = NAME
MAX_CONCURRENT_UPDATES = 64


def build_application(
    settings: Settings,
    host: ChannelContext,
    deliver: Deliver,
    watch: PollingWatch | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with our handlers, pointed at settings.telegram.base_url."""
    token = settings.telegram.token
    if token is None or not token.get_secret_value():
        raise ConfigError(
            "telegram.token", "set NEWSBOT_TELEGRAM_TOKEN to run the Telegram channel"
        )
    admins = frozenset(str(a).lstrip("@").lower() for a in settings.telegram.admins)
    builder = (
        ApplicationBuilder()
        .token(token.get_secret_value())
        .base_url(settings.telegram.base_url)
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
    )
    if watch is not None:
        builder = builder.get_updates_request(watch.request())
    app = builder.build()
    button = functools.partial(on_button, host=host, deliver=deliver, admins=admins)
    message = functools.partial(on_message, host=host, deliver=deliver, admins=admins)
    app.add_handler(CallbackQueryHandler(button))
    membership = functools.partial(on_membership, host=host)
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.ALL, message))
    app.add_error_handler(on_error)
    return app


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Chats are served concurrently, but one chat's updates strictly in order: a subscriber who
    sends /start then /time 7:30 gets the answers in that order, and one slow search does not
    hold up every other chat (PTB's default processes all updates one at a time)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]  # keep the map as small as the set of busy chats
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def set_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu in zh (default, also for every other language) and en."""
    for language in ("zh", "en"):
        commands = [
            BotCommand(spec.name, t(language, spec.description))
            for spec in visible_commands(admin=False)
        ]
        code = None if language == "zh" else "en"
        try:
            await app.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=code
            )
        except TelegramError as exc:  # a menu is nice to have; the bot works without it
            log.warning("set_my_commands(%s) failed: %s", language, exc)


async def on_message(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    host: ChannelContext,
    deliver: Deliver,
    admins: frozenset[str],
) -> None:
    """A message, edited message or channel post: answer it through the conversation."""
    incoming = incoming_from_message(update, context.bot.username, admins)
    if incoming is None:
        return
    message = update.effective_message
    if incoming.is_group and message is not None and incoming.text.startswith("/"):
        manages = await manages_chat(
            context.bot, int(incoming.chat_id), message.from_user, message.sender_chat
        )
        incoming = dataclasses.replace(incoming, can_manage=manages)
    response = await host.handle(incoming)
    await send_messages(deliver, incoming.chat_id, response.messages, is_group=_group(incoming))


async def on_button(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    host: ChannelContext,
    deliver: Deliver,
    admins: frozenset[str],
) -> None:
    """An inline button: answer the callback query, then edit in place or send."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    chat = query.message.chat
    incoming = Incoming(
        CHANNEL,
        str(chat.id),
        chat_type=chat.type,
        user_name=query.from_user.first_name if query.from_user else "",
        callback_data=query.data or "",
        is_admin=_is_admin(query.from_user, admins),
    )
    if incoming.is_group:
        manages = await manages_chat(context.bot, chat.id, query.from_user, None)
        incoming = dataclasses.replace(incoming, can_manage=manages)
    response = await host.handle(incoming)
    try:
        await query.answer(response.notice[:200] or None)
    except TelegramError as exc:  # the query may be too old to answer; the reply still matters
        log.info("answerCallbackQuery failed: %s", exc)
    await deliver_button_response(
        deliver, incoming.chat_id, query.message.message_id, response, is_group=_group(incoming)
    )


async def on_membership(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, host: ChannelContext
) -> None:
    """The bot was blocked (private chat) or removed from a group: mark the subscriber inactive."""
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in ("kicked", "left"):
        await host.chat_gone(CHANNEL, str(change.chat.id))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The top of every handler: log and keep running (tokens never reach the log)."""
    log.error("telegram update failed: %s", context.error, exc_info=context.error)


def incoming_from_message(
    update: Update, bot_username: str | None, admins: frozenset[str]
) -> Incoming | None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return None
    text = message.text or message.caption or ""
    user = message.from_user
    return Incoming(
        CHANNEL,
        str(chat.id),
        text,
        chat_type=chat.type,
        user_name=(user.first_name if user else chat.title) or "",
        is_edit=update.edited_message is not None or update.edited_channel_post is not None,
        is_admin=_is_admin(user, admins),
        addressed_to_other=_addressed_to_other(text, bot_username),
    )


async def manages_chat(bot: Any, chat_id: int, user: Any, sender_chat: Any) -> bool:
    """May this user change the group's settings? Its administrators (and the group itself,
    when an anonymous admin writes as the group) may; anyone else may not."""
    if sender_chat is not None and sender_chat.id == chat_id:
        return True
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat_id, user.id)
    except TelegramError as exc:  # unsure: refuse the change, the admin can try again
        log.warning("getChatMember in %s failed: %s", chat_id, exc)
        return False
    return member.status in ("creator", "administrator")


def _addressed_to_other(text: str, bot_username: str | None) -> bool:
    head = text.split(maxsplit=1)[0] if text.strip() else ""
    if not head.startswith("/") or "@" not in head:
        return False
    return head.split("@", 1)[1].lower() != (bot_username or "").lower()


def _group(incoming: Incoming) -> bool:
    """Groups and channels share Telegram's per-group limit (20 a minute)."""
    return incoming.chat_type in ("group", "supergroup", "channel")


def _is_admin(user: Any, admins: frozenset[str]) -> bool:
    if user is None:
        return False
    return str(user.id) in admins or (user.username or "").lower() in admins


# --- running ---------------------------------------------------------------------------------


async def start_telegram(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    *,
    webhook_secret: str | None = None,
    watch: PollingWatch | None = None,
) -> None:
    """Initialize and start receiving updates: long polling, or (webhook mode) register the
    webhook; its updates then arrive through the HTTP front (channels.telegram.webhook)."""
    await app.initialize()
    await set_commands(app)  # post_init only runs under run_polling(); we manage the loop
    await app.start()
    telegram = settings.telegram
    if telegram.mode == "webhook":
        url = webhook_url(telegram.webhook_url, settings.http.public_url)
        if not url:
            raise ConfigError(
                "telegram.webhook_url",
                "webhook mode needs the public https URL ([http] public_url)",
            )
        await app.bot.set_webhook(
            url, secret_token=webhook_secret, allowed_updates=Update.ALL_TYPES
        )
    else:
        updater = app.updater
        assert updater is not None
        await updater.start_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            error_callback=watch.failed if watch is not None else None,
        )


async def stop_telegram(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
