"""A WeCom member's message or menu click -> the conversation layer -> app messages back.

The same conversation, Chinese command words (conversation/words.py), numbered choices
(channels/weixin/choices.py) and menu keys (channels/weixin/menu.py) as the WeChat Official
Account; what differs is the way back: every reply is an app message sent through the channel's
paced path (ports.ChannelContext.deliver), never a passive reply, so a long answer and a slow
search are no different from a short one, and the per-member rate is kept by one pacer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from newsbot.channels.wecom.profile import NAME
from newsbot.channels.weixin.choices import chosen, number_buttons
from newsbot.channels.weixin.menu import MENU_COMMANDS, MENU_HINTS
from newsbot.core.channels import ChannelProfile, Kind, Outbound
from newsbot.core.i18n import t
from newsbot.core.incoming import Incoming, Response
from newsbot.core.render import render_for
from newsbot.core.replies import Message
from newsbot.errors import SendError
from newsbot.ports import ChannelContext, ChoiceStore, Clock

log = logging.getLogger(__name__)
START_EVENTS = frozenset({"subscribe"})  # the member followed the app (关注)
QUIET_EVENTS = frozenset({"enter_agent", "view", "location"})  # nothing to answer


class WeComDialog:
    def __init__(
        self,
        context: ChannelContext,
        profile: ChannelProfile,
        choices: ChoiceStore,
        clock: Clock,
    ) -> None:
        self.context = context
        self.profile = profile
        self.choices = choices
        self.clock = clock

    async def respond(self, fields: Mapping[str, str]) -> None:
        """Answer one callback message (already verified, decrypted and deduplicated)."""
        member = fields.get("FromUserName", "")
        if not member:
            return
        kind = fields.get("MsgType", "").lower()
        event = fields.get("Event", "").lower()
        language = await asyncio.to_thread(self.context.language, NAME, member)
        if kind == "text":
            await self._text(member, fields.get("Content", ""), language)
        elif kind == "event":
            await self._event(member, event, fields.get("EventKey", ""), language)
        else:  # image, voice, video, file ...: say what works
            await self._say(member, [Message.plain(t(language, "wechat.hint"))])

    async def _text(self, member: str, text: str, language: str) -> None:
        choices = await asyncio.to_thread(self.choices.get, NAME, member)
        payload = chosen(text, choices, language) if choices else None
        incoming = (
            Incoming(NAME, member, callback_data=payload, user_name=member, command_words=True)
            if payload is not None
            else Incoming(NAME, member, text, user_name=member, command_words=True)
        )
        await self._converse(incoming, language)

    async def _event(self, member: str, event: str, key: str, language: str) -> None:
        if event == "unsubscribe":
            await self.context.chat_gone(NAME, member)
        elif event in START_EVENTS:
            # the welcome says what to type (时间 7:30, 帮助): one message
            start = Incoming(NAME, member, "/start", user_name=member, command_words=True)
            await self._converse(start, language)
        elif event == "click" and key.upper() in MENU_HINTS:
            await self._say(member, [Message.plain(t(language, MENU_HINTS[key.upper()]))])
        elif event == "click" and key.upper() in MENU_COMMANDS:
            command = MENU_COMMANDS[key.upper()]
            await self._converse(
                Incoming(NAME, member, command, user_name=member, command_words=True), language
            )
        elif event not in QUIET_EVENTS:
            log.info("wecom: event %r ignored", event[:40])

    async def _converse(self, incoming: Incoming, language: str) -> None:
        response = await self.context.handle(incoming)
        await self.reply(incoming.chat_id, response, language)

    async def reply(self, member: str, response: Response, language: str) -> None:
        """A Response as app messages: buttons become numbered choices (saved for this member)."""
        messages, choices = number_buttons(response.messages, language)
        await asyncio.to_thread(self.choices.save, NAME, member, choices, self.clock.now())
        if not messages and response.notice:
            messages = [Message.plain(response.notice)]
        await self._say(member, messages)

    async def _say(self, member: str, messages: list[Message]) -> None:
        for message in messages:
            for chunk in render_for(self.profile, message):
                if not chunk.strip():
                    continue
                try:
                    await self.context.deliver(NAME, Outbound.of(member, chunk, Kind.REPLY))
                except SendError as exc:  # gone, refused: the rest would fail the same way
                    log.warning("wecom: a reply was not sent: %s", exc.reason)
                    return
