"""The Conversation: an Incoming in, a Response out. Channels only translate to and from it.

Decisions (docs/conversation.md):
- channel posts get no answer (a bot posting into a channel it reads would be spam);
- in groups only commands are handled (not plain text), and not those addressed to another bot;
  settings of a group are changed by its administrators only (Incoming.can_manage);
- edited messages are not re-run (an edit of /keywords add must not add twice); a private chat
  is told so, a group is not;
- NUL, control characters and lone surrogates are dropped from every field first
  (clean_incoming), whatever the channel;
- more than MAX_INPUT_CHARS characters gets a clear limit message, nothing else happens;
- button data is HMAC-signed per chat; a bad signature gets a clear notice and changes nothing;
- while the database is unreachable the answer says so (in both languages: the subscriber's
  own is in the database), one log line, no traceback;
- any unexpected error is logged and answered with a short apology; the bot keeps running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from newsbot.conversation.callbacks import CallbackSigner
from newsbot.conversation.commands import BUTTONS, BY_NAME
from newsbot.conversation.incoming import Incoming, Response
from newsbot.conversation.parsing import Command, parse_command
from newsbot.conversation.search import search
from newsbot.conversation.services import Services
from newsbot.conversation.turn import Turn
from newsbot.conversation.words import command_from_words, is_page_word
from newsbot.core.i18n import t
from newsbot.core.models import Subscriber
from newsbot.core.text import clean_text, has_unstorable
from newsbot.service import Newsroom
from newsbot.service.supervisor import reason_of

log = logging.getLogger(__name__)
MAX_INPUT_CHARS = 4096
# Settings commands that only show something with these arguments (/time, /keywords list).
_SHOWING = {
    "time": {""},
    "tz": {""},
    "keywords": {"", "list", "ls", "列表", "查看"},
}  # Telegram's own limit for a message; other channels get the same


class Conversation:
    def __init__(self, services: Services, signer: CallbackSigner) -> None:
        self.services = services
        self.signer = signer

    @classmethod
    def for_newsroom(cls, newsroom: Newsroom) -> Conversation:
        """The conversation over the facade, with its callback key from the database."""
        return cls(Services(newsroom), CallbackSigner(newsroom.secret("callbacks")))

    async def handle(self, incoming: Incoming) -> Response:
        """Answer one incoming message or button press; never raises."""
        try:
            return await self._handle(clean_incoming(incoming))
        except Exception as exc:
            if self.services.is_database_outage(
                exc
            ):  # the world's fault, not a bug: one line, no traceback
                log.warning(
                    "cannot answer %s:%s, database unavailable: %s",
                    incoming.channel,
                    incoming.chat_id,
                    reason_of(exc),
                )
                return Response.say(t("zh", "error.unavailable"), t("en", "error.unavailable"))
            log.exception("conversation failed for %s:%s", incoming.channel, incoming.chat_id)
            return Response.say(t(self._language_guess(incoming), "error.internal"))

    async def chat_gone(self, channel: str, chat_id: str) -> bool:
        """The chat blocked the bot or removed it from the group: stop sending (until /start)."""
        newsroom = self.services.newsroom
        subscriber = await asyncio.to_thread(newsroom.subscriber, channel, chat_id)
        if subscriber is None or not subscriber.active:
            return False
        await asyncio.to_thread(newsroom.deactivate_subscriber, subscriber)
        log.info("%s:%s left; subscriber %d inactive", channel, chat_id, subscriber.id)
        return True

    async def _handle(self, incoming: Incoming) -> Response:
        if incoming.chat_type == "channel" or incoming.addressed_to_other:
            return Response.nothing()
        if incoming.callback_data is not None:
            return await self._button(incoming, incoming.callback_data)
        text = incoming.text
        command = parse_command(text)
        if command is None and not incoming.is_group:
            command = command_from_words(text)  # 订阅, 时间 7:30, 搜索 党建 ...
        if incoming.is_group and command is None:
            return Response.nothing()
        if incoming.is_edit:
            return (
                Response.nothing()
                if incoming.is_group
                else await self._reply(incoming, "error.edited")
            )
        if len(text) > MAX_INPUT_CHARS:
            return await self._reply(
                incoming, "error.too_long", length=len(text), limit=MAX_INPUT_CHARS
            )
        turn = await self._turn(incoming)
        return _written_in(turn, await self._command(turn, command, text))

    async def _command(self, turn: Turn, command: Command | None, text: str) -> Response:
        incoming = turn.incoming
        if command is None:
            if not text.strip():
                return turn.say(turn.tw("error.empty"))
            if is_page_word(text):  # 下一页 with no search to page (the channel had none open)
                return turn.say(turn.t("search.no_page"))
            return await search(turn, text)
        spec = BY_NAME.get(command.name)
        if spec is None:
            return turn.say(turn.tw("error.unknown_command", command=command.name))
        if spec.admin and not incoming.is_admin:
            return turn.say(turn.t("admin.only"))
        if spec.manage and not incoming.can_manage and not _only_shows(spec.name, command.args):
            return turn.say(turn.t("group.admins_only"))
        return await spec.handler(turn, command.args)

    async def _button(self, incoming: Incoming, data: str) -> Response:
        turn = await self._turn(incoming)
        return _written_in(turn, await self._press(turn, data))

    async def _press(self, turn: Turn, data: str) -> Response:
        incoming = turn.incoming
        payload = self.signer.verify(incoming.chat_id, data)
        handler = BUTTONS.get(payload.split(":", 1)[0]) if payload else None
        if payload is None or handler is None:
            log.warning("refused callback data from %s:%s", incoming.channel, incoming.chat_id)
            return Response(notice=turn.t("error.bad_callback"))
        if payload.startswith("set:") and not incoming.can_manage:
            return Response(notice=turn.t("group.admins_only"))
        return await handler(turn, payload)

    async def _turn(self, incoming: Incoming) -> Turn:
        subscriber, _ = await asyncio.to_thread(
            self.services.newsroom.open_subscriber,
            incoming.channel,
            incoming.chat_id,
            incoming.chat_type,
            incoming.user_name,
        )
        return Turn(incoming, subscriber, self.services, self.signer)

    async def _reply(self, incoming: Incoming, key: str, **params: object) -> Response:
        """A reply for input we refuse, in the subscriber's language if we know them."""
        subscriber = await asyncio.to_thread(
            self.services.newsroom.subscriber, incoming.channel, incoming.chat_id
        )
        return Response.say(t(_language(subscriber), key, **params))

    def _language_guess(self, incoming: Incoming) -> str:
        try:
            return _language(self.services.newsroom.subscriber(incoming.channel, incoming.chat_id))
        except Exception:
            return "zh"


def clean_incoming(incoming: Incoming) -> Incoming:
    """The one place where chat input from every channel is cleaned: NUL, other control
    characters and lone surrogates are dropped from the text (commands, keywords, deep links),
    the button data and the user's name (core.text.clean_text), so no layer below meets them."""
    fields = (incoming.text, incoming.user_name, incoming.callback_data or "")
    if not any(has_unstorable(value) for value in fields):
        return incoming
    data = incoming.callback_data
    return dataclasses.replace(
        incoming,
        text=clean_text(incoming.text),
        user_name=clean_text(incoming.user_name),
        callback_data=None if data is None else clean_text(data),
    )


def _written_in(turn: Turn, response: Response) -> Response:
    """The response with the language it was written in (the turn's, unless the handler changed
    it and said so), so a channel never reads the subscriber again for its own words."""
    return response if response.language else dataclasses.replace(response, language=turn.lang)


def _only_shows(command: str, args: str) -> bool:
    return args.strip().casefold() in _SHOWING.get(command, set())


def _language(subscriber: Subscriber | None) -> str:
    return subscriber.language if subscriber else "zh"
