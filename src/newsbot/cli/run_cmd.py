"""`newsbot run`: the whole service in one process, stopped cleanly by SIGTERM or SIGINT.

Start order: migrate (build_newsroom), a first poll when the database has no articles yet, the
scheduler (poll, delivery and outbox ticks), the channels (Telegram when NEWSBOT_TELEGRAM_TOKEN
is set), then the HTTP front with every route the parts registered (/healthz, /metrics, the
Telegram webhook, ...; docs/http.md). The console channel runs in the foreground when no other
channel is configured and a terminal is attached (the offline demo, `make run`); otherwise
headless until a signal. Stop order is the reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

import click

from newsbot.cli import CliState, pass_state
from newsbot.cli.chat_cmd import first_poll, first_poll_needed
from newsbot.config import Settings
from newsbot.service import Newsroom

log = logging.getLogger("newsbot.run")


@click.command("run")
@click.option("--console/--no-console", default=None, help="Force the console channel on or off.")
@click.option(
    "--poll/--no-poll",
    default=None,
    help="Poll the sources at start (default: when the database is empty).",
)
@pass_state
def run(state: CliState, console: bool | None, poll: bool | None) -> None:
    """Run newsbot: scheduler, polling, and the configured channels."""
    from newsbot.app import build_newsroom
    from newsbot.logs import setup_logging

    settings = state.settings
    use_console = console if console is not None else wants_console(settings, sys.stdin.isatty())
    setup_logging(settings)
    if use_console:  # the terminal is the chat: only warnings and errors interrupt it
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    newsroom = build_newsroom(settings)
    try:
        asyncio.run(serve(newsroom, use_console=use_console, poll=poll))
    finally:
        newsroom.engine.dispose()


def telegram_configured(settings: Settings) -> bool:
    token = settings.telegram.token
    return token is not None and bool(token.get_secret_value())


def wants_console(settings: Settings, tty: bool) -> bool:
    """The console runs in the foreground when nothing else talks to subscribers and a person is here."""
    others = telegram_configured(settings) or settings.wechat.enabled
    return settings.console.enabled and tty and not others


async def serve(newsroom: Newsroom, *, use_console: bool, poll: bool | None) -> None:
    stop = asyncio.Event()
    _on_signals(stop)
    if poll or (poll is None and await first_poll_needed(newsroom)):
        await first_poll(newsroom, announce=use_console)
    front = _http_front(newsroom)
    app = _telegram_app(newsroom, front) if telegram_configured(newsroom.settings) else None
    wechat = _wechat(newsroom, front) if newsroom.settings.wechat.enabled else None
    await _start_front(front)  # first: a port in use stops us before anything else started
    scheduler = _start_scheduler(newsroom)
    telegram = await _start_telegram(newsroom, app) if app is not None else None
    try:
        if use_console:
            await _console_until(newsroom, stop)
        else:
            log.info(
                "newsbot running (telegram: %s, wechat: %s); stop with SIGTERM or Ctrl-C",
                telegram is not None,
                wechat is not None,
            )
            await stop.wait()
    finally:
        log.info("newsbot stopping")
        await front.stop()
        if wechat is not None:
            await wechat.stop()
        if telegram is not None:
            from newsbot.channels.telegram import stop_telegram

            app, sender = telegram
            await stop_telegram(app)
            await sender.bot.shutdown()
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def _start_scheduler(newsroom: Newsroom) -> Any:
    if not newsroom.settings.scheduler.enabled:
        return None
    from newsbot.scheduler import build_scheduler

    scheduler = build_scheduler(newsroom)
    scheduler.start()
    return scheduler


def _http_front(newsroom: Newsroom) -> Any:
    """The one server for inbound HTTP; parts add their routes before it starts."""
    from newsbot.front import HttpFront
    from newsbot.health import health_routes

    settings = newsroom.settings
    front = HttpFront(settings.http.listen, settings.http.port)
    if settings.health.enabled:
        front.add(health_routes(newsroom.engine, newsroom.clock))
    front.add(_digest_pages(newsroom).routes())
    return front


def _digest_pages(newsroom: Newsroom) -> Any:
    from newsbot.front.digest_pages import DigestPages
    from newsbot.storage.pages import DigestPageStore

    settings = newsroom.settings
    return DigestPages(
        DigestPageStore(newsroom.engine),
        newsroom.clock,
        ttl_days=settings.http.page_ttl_days,
        language=settings.delivery.default_language,
    )


def _wechat(newsroom: Newsroom, front: Any) -> Any:
    """The WeChat Official Account channel: /wechat on the front, its sender for the outbox."""
    from newsbot.app import build_wechat
    from newsbot.conversation import Conversation

    channel = build_wechat(newsroom.settings, newsroom, Conversation.for_newsroom(newsroom))
    front.add(channel.routes())
    newsroom.register_sender("wechat", channel.sender)
    return channel


async def _start_front(front: Any) -> None:
    from newsbot.errors import ConfigError

    try:
        await front.start()
    except OSError as exc:  # the port is taken or the address is not ours: one clear line
        raise ConfigError(
            "http.port", f"cannot listen on {front.listen}:{front.port}: {exc.strerror}"
        ) from None
    log.info(
        "HTTP front on http://%s:%d (%s)", front.listen, front.port, " ".join(front.paths) or "-"
    )


def _telegram_app(newsroom: Newsroom, front: Any) -> Any:
    """The chat Application (not started); in webhook mode its route joins the front."""
    from newsbot.channels.telegram import build_application
    from newsbot.channels.telegram_webhook import webhook_routes
    from newsbot.conversation import Conversation

    app = build_application(newsroom.settings, Conversation.for_newsroom(newsroom))
    if newsroom.settings.telegram.mode == "webhook":
        front.add(webhook_routes(app, _webhook_secret(newsroom)))
    return app


async def _start_telegram(newsroom: Newsroom, app: Any) -> tuple[Any, Any]:
    """Start the chat Application, and a separate Bot for the outbox: its small connection pool
    sends a fan-out faster than the Application's 256-connection pool (docs/delivery.md). In
    webhook mode the updates arrive at /telegram on the HTTP front."""
    from newsbot.channels.telegram import start_telegram
    from newsbot.channels.telegram_sender import TelegramSender

    settings = newsroom.settings
    secret = _webhook_secret(newsroom) if settings.telegram.mode == "webhook" else None
    await start_telegram(app, settings, webhook_secret=secret)
    assert settings.telegram.token is not None  # telegram_configured() was checked
    sender = TelegramSender.create(
        settings.telegram.token.get_secret_value(), settings.telegram.base_url
    )
    await sender.bot.initialize()
    newsroom.register_sender("telegram", sender)
    return app, sender


def _webhook_secret(newsroom: Newsroom) -> str:
    """The configured secret, else one kept in the database (so every process agrees)."""
    configured = newsroom.settings.telegram.webhook_secret
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    from newsbot.storage.subscribers import load_or_create_secret

    return load_or_create_secret(newsroom.engine, "telegram_webhook").hex()


async def _console_until(newsroom: Newsroom, stop: asyncio.Event) -> None:
    """The console in the foreground until end of input, /quit, or a signal."""
    from newsbot.channels.console import ConsoleChannel
    from newsbot.channels.console_sender import ConsoleSender
    from newsbot.conversation import Conversation

    channel = ConsoleChannel(
        Conversation.for_newsroom(newsroom),
        sys.stdin,
        sys.stdout,
        chat_id=newsroom.settings.console.chat_id,
        prompt=sys.stdin.isatty(),
    )
    newsroom.register_sender("console", ConsoleSender(sys.stdout))
    click.echo("newsbot console: /start, /help, /search 党建, /digest; /quit to leave.\n")
    chat = asyncio.create_task(channel.run())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({chat, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for task in (chat, stopped):
        task.cancel()


COMMANDS = [run]
