"""`newsbot wechat menu|simulate`: the Official Account's custom menu, and the offline demo."""

from __future__ import annotations

import asyncio
import sys
from typing import Any
from urllib.parse import urlsplit

import click

from newsbot.channels.weixin.menu import MENU
from newsbot.cli import CliState, pass_state
from newsbot.config import Settings
from newsbot.errors import ConfigError


@click.group("wechat")
def wechat() -> None:
    """The WeChat Official Account channel (docs/wechat.md)."""


@wechat.command("menu")
@pass_state
def menu(state: CliState) -> None:
    """Install the custom menu (日报, 搜索, 设置) through the API."""
    from newsbot.app import build_newsroom, channel_stores, engine_of
    from newsbot.channels.wechat.channel import wechat_api

    settings = state.settings
    for key in ("app_id", "app_secret"):
        if not getattr(settings.wechat, key):
            raise ConfigError(f"wechat.{key}", f"set NEWSBOT_WECHAT_{key.upper()}")
    newsroom = build_newsroom(settings)
    try:
        tokens = channel_stores(engine_of(newsroom)).tokens
        asyncio.run(_install_menu(wechat_api(settings.wechat, tokens, newsroom.clock)))
    finally:
        newsroom.close()
    click.echo("menu installed: 日报 (DIGEST), 搜索 (SEARCH), 设置 (SETTINGS)")


async def _install_menu(api: Any) -> None:
    from newsbot.channels.wechat.api import WeChatUnreachable
    from newsbot.channels.wechat.errors import WeChatApiError
    from newsbot.errors import NewsbotError

    try:
        await api.create_menu(MENU)
    except (WeChatApiError, WeChatUnreachable) as exc:
        raise NewsbotError(f"the menu was not installed: {exc}") from None
    finally:
        await api.close()


@wechat.command("simulate")
@click.option(
    "--url", default=None, help="newsbot's callback (default: [http] listen/port + /wechat)."
)
@click.option("--openid", default="o_demo_reader", help="The simulated reader.")
@click.option("--plain", is_flag=True, help="Plain mode (no AES) even when a key is configured.")
@pass_state
def simulate(state: CliState, url: str | None, openid: str, plain: bool) -> None:
    """Play the WeChat server against a running `newsbot run`: type what a reader types.

    Follows the account first, then sends each line you type as a reader's message and shows
    the passive reply. When [wechat] api_base_url is on loopback it also stands in for the
    API there, so customer-service messages are shown too. /quit or Ctrl-D to leave."""
    settings = state.settings
    token, app_id, aes_key = _credentials(settings)
    target = url or f"http://{_local(settings.http.listen)}:{settings.http.port}/wechat"
    asyncio.run(_simulate(settings, target, token, app_id, None if plain else aes_key, openid))


def _credentials(settings: Settings) -> tuple[str, str, str | None]:
    wechat = settings.wechat
    if wechat.token is None or not wechat.token.get_secret_value():
        raise ConfigError("wechat.token", "set NEWSBOT_WECHAT_TOKEN (the same as newsbot run's)")
    aes = wechat.encoding_aes_key.get_secret_value() if wechat.encoding_aes_key else None
    return wechat.token.get_secret_value(), wechat.app_id, aes


def _local(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


async def _simulate(
    settings: Settings, url: str, token: str, app_id: str, aes_key: str | None, openid: str
) -> None:
    from newsbot.channels.wechat.simulator import DemoApi, Simulator

    api_url = urlsplit(settings.wechat.api_base_url)
    demo_api = None
    if api_url.hostname in ("127.0.0.1", "localhost") and api_url.port:
        demo_api = DemoApi(lambda text: click.echo(f"\n{text}\n> ", nl=False))
        await demo_api.start(api_url.hostname, api_url.port)
    simulator = Simulator(url, token, app_id, aes_key, openid)
    try:
        click.echo(f"WeChat simulator → {url} (reader {openid}); /quit to leave.\n")
        _show(await simulator.event("subscribe"))
        await _lines(simulator)
    finally:
        await simulator.client.aclose()
        if demo_api is not None:
            await demo_api.stop()


async def _lines(simulator: Any) -> None:
    while True:
        click.echo("> ", nl=False)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip() in ("/quit", "/exit"):
            return
        if line.strip():
            _show(await simulator.say(line.strip()))
            await asyncio.sleep(0.8)  # let customer-service messages after the reply show up


def _show(reply: str) -> None:
    click.echo(f"newsbot: {reply}\n" if reply else "newsbot: (no passive reply)\n")


COMMANDS = [wechat]
