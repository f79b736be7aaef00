"""Sending to WeChat readers within the platform's customer-service window.

A reader's message opens a window of 48 hours and 5 messages; a menu click, a follow or a QR
scan one of 1 minute and 3 messages (docs/wechat.md). The window is tracked in the database
(every process agrees) and one message is taken from it before each API call. Outside the window
(our own count, or the API's 45015/45047) nothing is lost: a digest goes out through the
subscription-notification template when one is configured, otherwise the message is held and
becomes the passive reply to the reader's next message. 43004 (unfollowed) is permanent: the
outbox marks the subscriber inactive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from newsbot.channels.wechat.api import WeChatApi, WeChatUnreachable
from newsbot.channels.wechat.errors import RATE_RETRY_SECONDS, Outcome, WeChatApiError
from newsbot.channels.wechat.outgoing import Outgoing
from newsbot.channels.weixin.stores import HeldMessagesPort, ReplyWindowsPort
from newsbot.errors import SendError
from newsbot.ports import Clock

log = logging.getLogger(__name__)
CHANNEL = "wechat"


@dataclass(frozen=True, slots=True)
class NoticeTemplate:
    """A subscription-notification template for digests outside the window (optional)."""

    template_id: str
    title_field: str = "thing1"
    date_field: str = "time2"


class WeChatSender:
    channel = CHANNEL

    def __init__(
        self,
        api: WeChatApi,
        windows: ReplyWindowsPort,
        held: HeldMessagesPort,
        clock: Clock,
        *,
        template: NoticeTemplate | None = None,
    ) -> None:
        self.api = api
        self.windows = windows
        self.held = held
        self.clock = clock
        self.template = template

    async def deliver(self, openid: str, out: Outgoing) -> str:
        """Send one message; returns the remote id, or "held:<id>" / "notice" outside the
        window; raises SendError (classified) when the platform refuses."""
        if not await asyncio.to_thread(self.windows.take, CHANNEL, openid, self.clock.now()):
            return await self._outside(openid, out)
        try:
            answer = await (
                self.api.send_card(openid, dict(out.card))
                if out.card
                else self.api.send_text(openid, out.text)
            )
        except WeChatApiError as exc:
            if exc.outcome is Outcome.WINDOW:
                await asyncio.to_thread(self.windows.close, CHANNEL, openid, self.clock.now())
                return await self._outside(openid, out)
            await asyncio.to_thread(self.windows.give_back, CHANNEL, openid)
            raise _send_error(openid, exc) from None
        except WeChatUnreachable as exc:
            await asyncio.to_thread(self.windows.give_back, CHANNEL, openid)
            raise SendError(openid, str(exc)) from None
        return str(answer.get("msgid", "ok"))

    async def _outside(self, openid: str, out: Outgoing) -> str:
        if out.kind == "digest" and self.template is not None and out.card:
            try:
                await self._notice(openid, out)
                return "notice"
            except (WeChatApiError, WeChatUnreachable) as exc:
                log.info("wechat: subscription notice to a reader failed (%s); holding", exc)
        held = await asyncio.to_thread(
            self.held.hold, CHANNEL, openid, out.kind, out.payload(), self.clock.now()
        )
        return f"held:{held}"

    async def _notice(self, openid: str, out: Outgoing) -> None:
        assert self.template is not None and out.card is not None
        data = {
            self.template.title_field: out.card.get("title", "")[:20],
            self.template.date_field: str(out.extra.get("date", "")),
        }
        await self.api.send_subscription_notice(
            openid, self.template.template_id, out.card.get("url", ""), data
        )

    # The outbox's ChannelSender protocol: a rendered chunk for a chat.
    async def send(
        self,
        chat_id: str,
        html_chunk: str,
        *,
        buttons: Sequence[Sequence[dict[str, Any]]] = (),
        link_preview: bool = False,
        plain: bool = False,
    ) -> str:
        return await self.deliver(chat_id, Outgoing(text=html_chunk, kind="message"))


def _send_error(openid: str, exc: WeChatApiError) -> SendError:
    reason = f"wechat {exc.errcode}: {exc.errmsg}"
    if exc.outcome is Outcome.GONE:
        return SendError(openid, reason, permanent=True)
    if exc.outcome is Outcome.RATE:
        return SendError(openid, reason, retry_after=RATE_RETRY_SECONDS)
    if exc.outcome is Outcome.BAD:
        return SendError(openid, f"bad request: {reason}")
    return SendError(openid, reason)
