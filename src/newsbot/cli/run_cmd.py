"""`newsbot run`: the whole service in one process, stopped cleanly by SIGTERM or SIGINT.

Start order: migrate (build_newsroom), the HTTP front with every route the parts registered
(/healthz, /metrics, each channel's webhooks; docs/http.md; first, so a port in use stops us
before anything else started), the scheduler (poll, delivery and outbox ticks), then, all at
once in the background: the first poll when the database has no articles yet, and each channel
from the registry under the supervisor (service/supervisor.py: a channel whose platform cannot
be reached is retried with capped backoff while the rest works). Every configured channel runs,
except that a channel taking over the terminal (the console) runs only when no other channel is
configured and a terminal is attached (the offline demo, `make run`). Otherwise headless until
a signal. Stop order is the reverse; running work gets `supervision.stop_grace_seconds`, then is
cancelled, so a signal is honoured within a few seconds even during a slow poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from newsbot.cli import CliState, pass_state
from newsbot.cli.chat_cmd import first_poll, first_poll_needed
from newsbot.config import Settings
from newsbot.ports import Clock, SystemClock
from newsbot.service import Newsroom
from newsbot.service.channels import ChannelRegistry

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
    run_settings(state.settings, console=console, poll=poll)


@click.command("demo")
@click.option("--console/--no-console", default=None, help="Force the console channel on or off.")
def demo(console: bool | None) -> None:
    """Run the live demo from the installed package: the sample portal on loopback, moved into
    the present, and the console (or Telegram, with NEWSBOT_TELEGRAM_TOKEN)."""
    import os

    from newsbot.config import load_settings
    from newsbot.demo import demo_config_path

    environ = dict(os.environ)
    if not environ.get("NEWSBOT_DATABASE_URL"):
        data = Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "newsbot"
        data.mkdir(parents=True, exist_ok=True)
        environ["NEWSBOT_DATABASE_URL"] = f"sqlite:///{data / 'demo.db'}"
    run_settings(load_settings(demo_config_path(), environ), console=console, poll=None)


def run_settings(settings: Settings, *, console: bool | None, poll: bool | None) -> None:
    from newsbot.app import build_channels
    from newsbot.config import check_channels
    from newsbot.logs import setup_logging

    check_channels(settings, build_channels(settings).names())  # one line, exit 2
    setup_logging(settings)
    asyncio.run(run_service(settings, console=console, tty=sys.stdin.isatty(), poll=poll))


async def run_service(
    settings: Settings,
    *,
    console: bool | None = None,
    tty: bool = False,
    poll: bool | None = None,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """The whole service until `stop` (or a signal, or the console's /quit)."""
    from newsbot.app import build_channels, build_newsroom

    clock = clock or SystemClock()
    registry = build_channels(settings)
    names, terminal = channels_to_start(registry, console, tty)
    if terminal:  # the terminal is the chat: only warnings and errors interrupt it
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    portal = None
    if settings.demo.live_portal:
        from newsbot.demo import live_sources, start_demo_portal

        portal = await start_demo_portal(settings, clock)
        settings = live_sources(settings, portal.base_url)
        log.info("demo portal on %s", portal.base_url)
    try:
        newsroom = build_newsroom(settings, clock=clock, channel_registry=registry)
        try:
            await serve(newsroom, names=names, poll=poll, announce=terminal, stop=stop)
        finally:
            newsroom.close()
    finally:
        if portal is not None:
            await portal.stop()


def channels_to_start(
    registry: ChannelRegistry, console: bool | None, tty: bool
) -> tuple[list[str], bool]:
    """(channel names, whether one of them takes over the terminal). A terminal channel runs
    when forced (--console) or when nothing else talks to subscribers and a person is here."""
    configured = registry.configured()
    others = [c.name for c in configured if not (c.profile.terminal or c.profile.push_only)]
    terminal = [c.name for c in configured if c.profile.terminal]
    use_terminal = bool(terminal) and (console if console is not None else tty and not others)
    pushers = [c.name for c in configured if c.profile.push_only]  # robots never hold a terminal
    return others + pushers + (terminal if use_terminal else []), use_terminal


async def serve(
    newsroom: Newsroom,
    *,
    names: list[str],
    poll: bool | None,
    announce: bool,
    stop: asyncio.Event | None = None,
) -> None:
    from newsbot.app import channel_host

    _database_threads(newsroom)

    host = channel_host(newsroom)
    if stop is not None:
        host.stopping = stop
    _on_signals(host.stopping)
    front = _http_front(newsroom)
    front.add(newsroom.channel_routes(host, names))
    await _start_front(front)
    scheduler = _start_scheduler(newsroom)
    background = [asyncio.create_task(_first_poll(newsroom, poll, announce), name="first-poll")]
    keepers = [
        asyncio.create_task(
            newsroom.keep_channel(host, name, host.stopping),
            name=f"channel-{name}",
        )
        for name in names
    ]
    try:
        log.info("newsbot running (channels: %s); stop with SIGTERM or Ctrl-C", ", ".join(names))
        await _until_stopped(host.stopping, keepers)
    finally:
        log.info("newsbot stopping")
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await _cancel(background + keepers, 0.0)  # a first poll or a channel still connecting
        await front.stop()
        await newsroom.stop_channels()
        await _cancel(newsroom.running_jobs(), newsroom.settings.supervision.stop_grace_seconds)


async def _first_poll(newsroom: Newsroom, poll: bool | None, announce: bool) -> None:
    """In the background: chat, scheduler and HTTP front do not wait for a slow origin."""
    try:
        if poll or (poll is None and await first_poll_needed(newsroom)):
            await first_poll(newsroom, announce=announce)
    except Exception as exc:  # the top of a task: the scheduler's poll tick will try again
        log.warning("first poll failed: %s", exc)


async def _until_stopped(stopping: asyncio.Event, keepers: list[asyncio.Task[None]]) -> None:
    """Wait for a signal (or /quit); a channel the operator must fix (ConfigError) ends it too."""
    waiter = asyncio.create_task(stopping.wait())
    pending: set[asyncio.Task[Any]] = {waiter, *keepers}
    try:
        while not stopping.is_set():
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not waiter and not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            if not pending - {waiter}:
                await waiter
    finally:
        waiter.cancel()


async def _cancel(tasks: list[asyncio.Task[Any]], grace: float) -> None:
    """Give running work `grace` seconds to end, then cancel it (SIGTERM is honoured promptly)."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace) if grace > 0 else (set(), set(tasks))
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=1.0)


def _database_threads(newsroom: Newsroom) -> None:
    """Handlers run their database calls in the loop's default executor (asyncio.to_thread),
    whose default of cpu+4 threads queues a burst of callbacks (200 WeChat readers at once,
    each a few short transactions) behind each other while the threads wait on the network.
    PostgreSQL gets as many threads as the pool has connections; SQLite, one writer anyway,
    keeps the default (more threads would only wait on its lock)."""
    if newsroom.database_dialect != "postgresql":
        return
    from concurrent.futures import ThreadPoolExecutor

    threads = ThreadPoolExecutor(max_workers=20, thread_name_prefix="newsbot-db")
    asyncio.get_running_loop().set_default_executor(threads)


def _on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def _start_scheduler(newsroom: Newsroom) -> Any:
    if not newsroom.settings.scheduler.enabled:
        return None
    from newsbot.app import housekeeping
    from newsbot.scheduler import build_scheduler

    scheduler = build_scheduler(newsroom, housekeeping(newsroom))
    scheduler.start()
    return scheduler


def _http_front(newsroom: Newsroom) -> Any:
    """The one server for inbound HTTP; parts add their routes before it starts."""
    from newsbot.app import digest_pages, health_routes
    from newsbot.front import HttpFront

    settings = newsroom.settings
    front = HttpFront(settings.http.listen, settings.http.port, reuse_port=settings.http.reuse_port)
    if settings.health.enabled:
        front.add(health_routes(newsroom))

    front.add(digest_pages(newsroom).routes())
    return front


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


COMMANDS = [run, demo]
