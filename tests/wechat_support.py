"""A WeChat world for tests: newsroom + the WeChat channel (started through the registry like
`newsbot run`) on an HTTP front on loopback, the fake api.weixin.qq.com, and wechatpy playing
the WeChat platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fakes.chat_world import build_world
from fakes.wechat_api import APP_ID, APP_SECRET, FakeWeChatAPI
from fakes.wechat_server import AES_KEY, TOKEN, WeChatServer
from newsbot.app import ChannelHost, channel_host, digest_pages
from newsbot.front import HttpFront
from newsbot.service import Newsroom


@dataclass
class WeChatWorld:
    api: FakeWeChatAPI
    newsroom: Newsroom
    channel: Any
    host: ChannelHost
    front: HttpFront
    server: WeChatServer

    @property
    def clock(self) -> Any:
        return self.newsroom.clock


def wechat_settings(api: FakeWeChatAPI, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "token": TOKEN,
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "encoding_aes_key": AES_KEY,
        "api_base_url": api.base_url,
        **extra,
    }


@asynccontextmanager
async def wechat_world(
    database_url: str, *, http: dict[str, Any] | None = None, **wechat: Any
) -> AsyncIterator[WeChatWorld]:
    api = FakeWeChatAPI().start()
    overrides: dict[str, Any] = {"wechat": wechat_settings(api, **wechat)}
    if http:
        overrides["http"] = http
    newsroom = build_world(database_url, **overrides)
    channel = newsroom.channel("wechat")
    assert channel is not None
    channel.clock = newsroom.clock  # type: ignore[attr-defined]  # the world's settable clock
    host = channel_host(newsroom)
    front = HttpFront("127.0.0.1", 0)
    front.add(newsroom.channel_routes(host, ["wechat"]))
    front.add(digest_pages(newsroom).routes())
    await front.start()
    await newsroom.start_channels(host, ["wechat"])
    server = WeChatServer(
        f"http://127.0.0.1:{front.port}/wechat",
        APP_ID,
        clock=lambda: newsroom.clock.now().timestamp(),
        api=api,
    )
    try:
        yield WeChatWorld(api, newsroom, channel, host, front, server)
    finally:
        await server.client.aclose()
        await front.stop()
        await newsroom.stop_channels()
        api.stop()
        newsroom.close()
