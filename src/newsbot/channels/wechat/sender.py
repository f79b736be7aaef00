"""Sending to WeChat readers within the platform's customer-service window (ports.ChannelSender).

A reader's message opens a window of 48 hours and 5 messages; a menu click, a follow or a QR
scan one of 1 minute and 3 messages (docs/wechat.md). The window is tracked in the database
(every process agrees) and one message is taken from it before each API call. Outside it (our
own count, or the API's 45015/45047) a digest goes out as a subscription notification when a
template is configured; otherwise SendOutcome.HOLD_UNTIL_CONTACT: the outbox keeps the message
and the reader's next message gets it as the passive reply.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from newsbot.channels.wechat.api import WeChatApi, WeChatUnreachable
from newsbot.channels.wechat.errors import WeChatApiError
from newsbot.channels.wechat.profile import ERRORS, NAME, RATE_LIMIT_RETRY_SECONDS
from newsbot.core.channels import Kind, Outbound, SendOutcome, classify
from newsbot.errors import SendError
from newsbot.ports import Clock, ReplyWindows

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NoticeTemplate:
    """A subscription-notification template for digests outside the window (optional)."""

    template_id: str
    title_field: str = "thing1"
    date_field: str = "time2"


class WeChatSender:
    def __init__(
        self,
        api: WeChatApi,
        windows: ReplyWindows,
        clock: Clock,
        *,
        template: NoticeTemplate | None = None,
    ) -> None:
        self.api = api
        self.windows = windows
        self.clock = clock
        self.template = template

    async def send(self, message: Outbound) -> str:
        """Send one message; the platform's message id, or "notice" (sent as a subscription
        notification); raises SendError with the outcome as data."""
        openid = message.recipient
        if not await asyncio.to_thread(self.windows.take, NAME, openid, self.clock.now()):
            return await self._outside(message, "the reader's window is closed or used up")
        try:
            answer = await (
                self.api.send_card(openid, message.card)
                if message.card
                else self.api.send_text(openid, message.text)
            )
        except WeChatApiError as exc:
            outcome = classify(ERRORS, [str(exc.errcode)], default=SendOutcome.BACKOFF)
            if outcome is SendOutcome.HOLD_UNTIL_CONTACT:
                await asyncio.to_thread(self.windows.close, NAME, openid, self.clock.now())
                return await self._outside(message, f"wechat {exc.errcode}: {exc.errmsg}")
            await asyncio.to_thread(self.windows.give_back, NAME, openid)
            retry = RATE_LIMIT_RETRY_SECONDS if outcome is SendOutcome.RETRY_AFTER else None
            reason = f"wechat {exc.errcode}: {exc.errmsg}"
            raise SendError(openid, reason, outcome, retry_after=retry) from None
        except WeChatUnreachable as exc:
            await asyncio.to_thread(self.windows.give_back, NAME, openid)
            raise SendError(openid, str(exc), SendOutcome.BACKOFF) from None
        return str(answer.get("msgid", "ok"))

    async def _outside(self, message: Outbound, reason: str) -> str:
        if message.kind is Kind.DIGEST and self.template is not None and message.card:
            try:
                await self._notice(message)
                return "notice"
            except (WeChatApiError, WeChatUnreachable) as exc:
                log.info("wechat: subscription notice failed (%s); holding the digest", exc)
        raise SendError(message.recipient, reason, SendOutcome.HOLD_UNTIL_CONTACT)

    async def _notice(self, message: Outbound) -> None:
        assert self.template is not None and message.card is not None
        title = message.card.title
        data = {self.template.title_field: title[:20], self.template.date_field: title[-10:]}
        await self.api.send_subscription_notice(
            message.recipient, self.template.template_id, message.card.url, data
        )
