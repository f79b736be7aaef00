"""The Telegram channel as the rest of the house sees it (ports.Channel).

Two Bots on purpose: the PTB Application receives updates (polling or webhook) and its
handlers answer through the host's paced path; the outbox and those replies send through a
separate Bot with a small connection pool, which sends a fan-out faster than the Application's
256-connection pool (docs/delivery.md).
"""

from __future__ import annotations

from typing import Any

from newsbot.channels.telegram.bot import build_application, start_telegram, stop_telegram
from newsbot.channels.telegram.profile import NAME, telegram_profile
from newsbot.channels.telegram.sender import TelegramSender
from newsbot.config import Settings
from newsbot.core.channels import ChannelProfile, Outbound
from newsbot.errors import ConfigError
from newsbot.ports import ChannelContext


class TelegramChannel:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.profile: ChannelProfile = telegram_profile(settings.delivery)
        self._sender: TelegramSender | None = None
        self._app: Any = None

    @property
    def configured(self) -> bool:
        token = self.settings.telegram.token
        return token is not None and bool(token.get_secret_value())

    @property
    def sender(self) -> TelegramSender:
        if self._sender is None:
            token = self.settings.telegram.token
            if token is None or not token.get_secret_value():
                raise ConfigError(
                    "telegram.token", "set NEWSBOT_TELEGRAM_TOKEN to run the Telegram channel"
                )
            self._sender = TelegramSender.create(
                token.get_secret_value(), self.settings.telegram.base_url
            )
        return self._sender

    @property
    def application(self) -> Any:
        """The running PTB Application (tests and the chat benchmark look at its bot)."""
        return self._app

    async def start(self, context: ChannelContext) -> None:
        await self.sender.bot.initialize()

        async def deliver(message: Outbound) -> str:
            return await context.deliver(self.name, message)

        self._app = build_application(self.settings, context, deliver)
        await start_telegram(self._app, self.settings)

    async def stop(self) -> None:
        if self._app is not None:
            await stop_telegram(self._app)
            self._app = None
        if self._sender is not None:
            await self._sender.bot.shutdown()
