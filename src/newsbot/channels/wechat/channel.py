"""The WeChat channel as one object: its /wechat routes, its sender, start and stop.

Built by the composition root (app.build_wechat) from the settings and the stores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from newsbot.channels.wechat.api import WeChatApi
from newsbot.channels.wechat.callback import WeChatCallback
from newsbot.channels.wechat.outgoing import Outgoing
from newsbot.channels.wechat.sender import WeChatSender
from newsbot.errors import SendError
from newsbot.front.routes import Route

log = logging.getLogger(__name__)


@dataclass
class WeChatChannel:
    api: WeChatApi
    sender: WeChatSender
    callback: WeChatCallback
    name: str = "wechat"

    def routes(self) -> list[Route]:
        return self.callback.routes()

    async def start(self) -> None:
        """Nothing to connect: the API is called on demand, the callback waits on the front."""

    async def stop(self) -> None:
        await self.callback.drain()
        await self.api.close()


async def send_in_order(sender: WeChatSender, openid: str, messages: Sequence[Outgoing]) -> None:
    """Replies that missed the passive answer, one after another (held if the window closed)."""
    for message in messages:
        try:
            await sender.deliver(openid, message)
        except SendError as exc:
            log.warning("wechat: a reply could not be sent: %s", exc.reason)
            if exc.permanent:
                return
