"""A WeCom world for tests: a newsroom with the WeCom app channel started through the registry
on an HTTP front on loopback, the fake WeCom API, and wechatpy's WeCom crypto playing WeCom."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fakes.chat_world import SettableClock, seed_articles, world_settings
from fakes.wecom_app_api import AGENT_ID, CORP_ID, SECRET, FakeWeComAPI
from fakes.wecom_server import AES_KEY, TOKEN, WeComServer
from newsbot.app import ChannelHost, build_newsroom, channel_host, digest_pages
from newsbot.channels import console, telegram
from newsbot.channels.wecom import WeComChannel
from newsbot.front import HttpFront
from newsbot.service import Newsroom
from newsbot.service.channels import ChannelRegistry

MEMBER = "ZhangSan"


def wecom_settings(api: FakeWeComAPI, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "corp_id": CORP_ID,
        "agent_id": AGENT_ID,
        "secret": SECRET,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "api_base_url": api.base_url,
        **extra,
    }


@dataclass
class WeComWorld:
    api: FakeWeComAPI
    newsroom: Newsroom
    host: ChannelHost
    channel: WeComChannel
    front: HttpFront
    server: WeComServer

    @property
    def clock(self) -> SettableClock:
        clock = self.newsroom.clock
        assert isinstance(clock, SettableClock)
        return clock

    async def settle(self) -> None:
        """Let the answers to what was posted finish."""
        assert self.channel.callback is not None
        await self.channel.callback.drain()


def wecom_newsroom(
    database_url: str, api: FakeWeComAPI, public_url: str | None = None, **wecom: Any
) -> Newsroom:
    http = {"public_url": public_url} if public_url else {}
    settings = world_settings(database_url, wecom=wecom_settings(api, **wecom), http=http)
    clock = SettableClock()
    registry = ChannelRegistry(
        [console.build(settings), telegram.build(settings), WeComChannel(settings, clock)]
    )
    newsroom = build_newsroom(settings, clock=clock, channel_registry=registry)
    seed_articles(newsroom, 7)
    return newsroom


@asynccontextmanager
async def wecom_world(
    database_url: str, public_url: str | None = None, **wecom: Any
) -> AsyncIterator[WeComWorld]:
    api = FakeWeComAPI().start()
    api.add_member(MEMBER)
    newsroom = wecom_newsroom(database_url, api, public_url, **wecom)
    host = channel_host(newsroom)
    front = HttpFront("127.0.0.1", 0)
    front.add(newsroom.channel_routes(host, ["wecom"]))
    front.add(digest_pages(newsroom).routes())
    await front.start()
    await newsroom.start_channels(host, ["wecom"])
    channel = newsroom.channel("wecom")
    assert isinstance(channel, WeComChannel)
    server = WeComServer(
        f"http://127.0.0.1:{front.port}/wecom", clock=lambda: newsroom.clock.now().timestamp()
    )
    try:
        yield WeComWorld(api, newsroom, host, channel, front, server)
    finally:
        await server.client.aclose()
        await front.stop()
        await newsroom.stop_channels()
        api.stop()
        newsroom.close()
