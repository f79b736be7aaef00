"""The WeCom self-built app as the rest of the house sees it (ports.Channel).

Configured by `[wecom] enabled = true` and NEWSBOT_WECOM_CORP_ID, _AGENT_ID, _SECRET, _TOKEN,
_ENCODING_AES_KEY (docs/wecom.md). Its parts are built on first contact with the running
service (routes() is asked before start()), because they use the database through the
context's stores(): the shared access token, the inbound ledger, the numbered choices.
"""

from __future__ import annotations

from collections.abc import Sequence

from newsbot.channels.wecom.api import WeComApi
from newsbot.channels.wecom.callback import WeComCallback
from newsbot.channels.wecom.dialog import WeComDialog
from newsbot.channels.wecom.profile import NAME, wecom_profile
from newsbot.channels.wecom.sender import SendQuota, WeComSender
from newsbot.channels.weixin.crypto import CallbackCrypto
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.config import Settings, WeComSettings
from newsbot.core.channels import ChannelProfile
from newsbot.errors import ConfigError
from newsbot.front.routes import Route
from newsbot.ports import ChannelContext, Clock, SystemClock

REQUIRED = ("corp_id", "agent_id", "secret", "token", "encoding_aes_key")


class WeComChannel:
    name = NAME

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings: WeComSettings = settings.wecom
        self.clock = clock or SystemClock()
        self.profile: ChannelProfile = wecom_profile(
            self.settings.message_format,
            self.settings.rate_per_second,
            digest_card=self.settings.digest_card and settings.http.public_url is not None,
        )
        self.api: WeComApi | None = None
        self.callback: WeComCallback | None = None
        self._sender: WeComSender | None = None
        if self.settings.enabled:
            self._require_settings()  # at build: `config check` and every command see it too

    @property
    def configured(self) -> bool:
        return self.settings.enabled  # with every setting it needs (checked at build)

    def missing(self) -> list[str]:
        """The settings the app still needs (names only: the values may be secrets)."""
        missing = []
        for key in REQUIRED:
            value = getattr(self.settings, key)
            text = value.get_secret_value() if hasattr(value, "get_secret_value") else value
            if text is None or text == "":
                missing.append(key)
        return missing

    def _require_settings(self) -> None:
        if self.missing():
            names = ", ".join(f"NEWSBOT_WECOM_{key.upper()}" for key in self.missing())
            raise ConfigError("wecom.enabled", f"the WeCom app needs {names}")

    @property
    def sender(self) -> WeComSender:
        if self._sender is None:
            raise RuntimeError("the WeCom channel sends only once started (routes/start)")
        return self._sender

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        return self._build(context).routes()

    async def start(self, context: ChannelContext) -> None:
        """Nothing to connect: the API is called on demand, the callback waits on the front."""
        self._build(context)

    async def stop(self) -> None:
        if self.callback is not None:
            await self.callback.drain()
        if self.api is not None:
            await self.api.close()

    def _build(self, context: ChannelContext) -> WeComCallback:
        if self.callback is not None:
            return self.callback
        self._require_settings()
        s = self.settings
        assert s.agent_id is not None and s.secret and s.token and s.encoding_aes_key
        stores = context.stores()
        api = WeComApi(s.api_base_url, s.corp_id, s.secret.get_secret_value(), s.agent_id)
        key = f"wecom:{s.corp_id}:{s.agent_id}"
        api.token = SharedToken(key, stores.tokens, api.fetch_token, self.clock)
        quota = SendQuota(account_limit=s.account_limit)
        markdown = s.message_format == "markdown"
        self._sender = WeComSender(api, markdown=markdown, quota=quota)
        dialog = WeComDialog(context, self.profile, stores.choices, self.clock)
        crypto = CallbackCrypto(
            s.token.get_secret_value(), s.encoding_aes_key.get_secret_value(), s.corp_id
        )
        self.api = api
        self.callback = WeComCallback(
            crypto, dialog, stores.inbound, self.clock, agent_id=s.agent_id
        )
        return self.callback
