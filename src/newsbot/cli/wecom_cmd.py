"""`newsbot wecom menu`: install the WeCom app's menu (日报, 搜索, 设置) through the API."""

from __future__ import annotations

import asyncio

import click

from newsbot.cli import CliState, pass_state


@click.group("wecom")
def wecom() -> None:
    """The WeCom self-built app (docs/wecom.md)."""


@wecom.command("menu")
@pass_state
def menu(state: CliState) -> None:
    """Install the app's menu (日报, 搜索, 设置); clicks become the same commands as typing."""
    from newsbot.app import build_newsroom

    newsroom = build_newsroom(state.settings)
    try:
        asyncio.run(_install_menu(newsroom))
    finally:
        newsroom.close()
    click.echo("menu installed: 日报 (DIGEST), 搜索 (SEARCH), 设置 (SETTINGS)")


async def _install_menu(newsroom: object) -> None:
    from newsbot.app import channel_host
    from newsbot.channels.wecom import WeComChannel
    from newsbot.channels.wecom.api import WeComApiError, WeComUnreachable
    from newsbot.channels.weixin.menu import MENU
    from newsbot.errors import ConfigError, NewsbotError
    from newsbot.service import Newsroom

    assert isinstance(newsroom, Newsroom)
    channel = newsroom.channel("wecom")
    if not isinstance(channel, WeComChannel) or not channel.configured:
        raise ConfigError("wecom.enabled", "set [wecom] enabled = true (NEWSBOT_WECOM_ENABLED)")
    await channel.start(channel_host(newsroom))
    assert channel.api is not None
    try:
        await channel.api.create_menu(MENU)
    except (WeComApiError, WeComUnreachable) as exc:
        raise NewsbotError(f"the menu was not installed: {exc}") from None
    finally:
        await channel.stop()


COMMANDS = [wecom]
