"""The WeChat Official Account as a ports.Channel: its /wechat routes, its sender, its profile.

Everything that needs the database (the inbound ledger, the shared access token, numbered
choices, reply windows) comes from the channel context's stores, so the package imports no
storage; the parts are built once, when the registry first asks for the routes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from newsbot.channels.wechat.api import WeChatApi
from newsbot.channels.wechat.callback import WeChatCallback
from newsbot.channels.wechat.dialog import WeChatDialog
from newsbot.channels.wechat.profile import NAME, PROFILE
from newsbot.channels.wechat.sender import NoticeTemplate, WeChatSender
from newsbot.channels.weixin.crypto import CallbackCrypto
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.config import Settings, WeChatSettings
from newsbot.core.channels import ChannelProfile, Outbound
from newsbot.errors import ConfigError, SendError
from newsbot.front.routes import Route
from newsbot.ports import ChannelContext, Clock, SystemClock, TokenCache

log = logging.getLogger(__name__)


class WeChatChannel:
    name = NAME

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings.wechat
        self.profile: ChannelProfile = PROFILE
        self.clock: Clock = clock or SystemClock()
        self.api: WeChatApi | None = None
        self._sender: WeChatSender | None = None
        self.callback: WeChatCallback | None = None

    @property
    def configured(self) -> bool:
        return self.settings.enabled

    @property
    def sender(self) -> WeChatSender:
        if self._sender is None:
            raise ConfigError("wechat.enabled", "the WeChat channel has not been started")
        return self._sender

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        return self._build(context).routes()

    async def start(self, context: ChannelContext) -> None:
        self._build(context)

    async def stop(self) -> None:
        if self.callback is not None:
            await self.callback.drain()
        if self.api is not None:
            await self.api.close()

    def _build(self, context: ChannelContext) -> WeChatCallback:
        if self.callback is not None:
            return self.callback
        wechat = _required(self.settings)
        stores = context.stores()
        self.api = wechat_api(wechat, stores.tokens, self.clock)
        self._sender = WeChatSender(
            self.api, stores.windows, self.clock, template=_template(wechat)
        )

        async def send_later(openid: str, messages: Sequence[Outbound]) -> None:
            await send_in_order(context, messages)

        token, aes = _secret(wechat.token), _secret(wechat.encoding_aes_key) or None
        self.callback = WeChatCallback(
            CallbackCrypto(token, aes, wechat.app_id),
            WeChatDialog(context, self.clock),
            stores,
            send_later,
            self.clock,
            budget=wechat.passive_budget_seconds,
        )
        return self.callback


def wechat_api(wechat: WeChatSettings, tokens: TokenCache, clock: Clock) -> WeChatApi:
    """The API client with its access token shared through the database (every process)."""
    api = WeChatApi(wechat.api_base_url, wechat.app_id, _secret(wechat.app_secret))
    api.token = SharedToken(f"wechat:{wechat.app_id}", tokens, api.fetch_token, clock)
    return api


async def send_in_order(context: ChannelContext, messages: Sequence[Outbound]) -> None:
    """Replies that missed the passive answer, through the paced path, one after another."""
    for message in messages:
        try:
            await context.deliver(NAME, message)
        except SendError as exc:
            log.warning("wechat: a reply could not be sent: %s", exc.reason)
            return


def _required(wechat: WeChatSettings) -> WeChatSettings:
    for key, value in (
        ("token", _secret(wechat.token)),
        ("app_id", wechat.app_id),
        ("app_secret", _secret(wechat.app_secret)),
    ):
        if not value:
            raise ConfigError(f"wechat.{key}", f"set NEWSBOT_WECHAT_{key.upper()} for [wechat]")
    return wechat


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter is not None else ""


def _template(wechat: WeChatSettings) -> NoticeTemplate | None:
    if not wechat.notice_template_id:
        return None
    return NoticeTemplate(
        wechat.notice_template_id, wechat.notice_title_field, wechat.notice_date_field
    )
