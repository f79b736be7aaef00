"""The Telegram channel as the rest of the house sees it (ports.Channel).

Two Bots on purpose: the PTB Application receives updates (polling or webhook) and its
handlers answer through the host's paced path; the outbox and those replies send through a
separate Bot with a small connection pool, which sends a fan-out faster than the Application's
256-connection pool (docs/delivery.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram.error import InvalidToken

from newsbot.channels.telegram.bot import build_application, start_telegram, stop_telegram
from newsbot.channels.telegram.profile import NAME, telegram_profile
from newsbot.channels.telegram.sender import TelegramSender
from newsbot.channels.telegram.watch import PollingWatch
from newsbot.channels.telegram.webhook import webhook_routes
from newsbot.config import Settings
from newsbot.core.channels import ChannelProfile, Outbound
from newsbot.errors import ConfigError
from newsbot.front.routes import Route
from newsbot.ports import ChannelContext


class TelegramChannel:
    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.profile: ChannelProfile = telegram_profile(settings.delivery)
        self._sender: TelegramSender | None = None
        self._app: Any = None
        self._watch: PollingWatch | None = None

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

    @property
    def webhook(self) -> bool:
        return self.settings.telegram.mode == "webhook"

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        """Webhook mode: POST /telegram on the HTTP front feeds the Application's queue."""
        if not self.webhook:
            return []
        return webhook_routes(self._application(context), self._webhook_secret(context))

    async def start(self, context: ChannelContext) -> None:
        try:
            await self.sender.bot.initialize()
            secret = self._webhook_secret(context) if self.webhook else None
            application = self._application(context)
            await start_telegram(
                application, self.settings, webhook_secret=secret, watch=self._watch
            )
        except InvalidToken:  # PTB's message holds the token: name the setting instead
            raise ConfigError(
                "NEWSBOT_TELEGRAM_TOKEN", "the Bot API rejected the token (401 Unauthorized)"
            ) from None

    def _application(self, context: ChannelContext) -> Any:
        if self._app is None:

            async def deliver(message: Outbound) -> str:
                return await context.deliver(self.name, message)

            def report(problem: str | None) -> None:
                context.channel_trouble(self.name, problem)

            self._watch = PollingWatch(report)
            self._app = build_application(self.settings, context, deliver, self._watch)
        return self._app

    def _webhook_secret(self, context: ChannelContext) -> str:
        """The configured secret, else one kept in the database (so every process agrees)."""
        configured = self.settings.telegram.webhook_secret
        if configured is not None and configured.get_secret_value():
            return configured.get_secret_value()
        return context.secret("telegram_webhook").hex()

    async def stop(self) -> None:
        if self._app is not None:
            await stop_telegram(self._app)
            self._app = None
        if self._sender is not None:
            await self._sender.bot.shutdown()
