"""Play the WeChat platform against a local newsbot, for the offline demo and by hand.

`Simulator.say()` signs and (in safe mode) encrypts a reader's message exactly as WeChat does,
posts it to /wechat, and decrypts newsbot's passive reply. `DemoApi` stands in for
api.weixin.qq.com on loopback, so the customer-service messages (hints, digests, answers that
missed the passive reply) are shown too instead of going nowhere.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import random_string

from newsbot.channels.weixin.crypto import signature
from newsbot.channels.weixin.xmlsafe import to_xml

ACCOUNT = "gh_newsbot_demo"


@dataclass
class Simulator:
    url: str
    token: str
    app_id: str
    aes_key: str | None = None
    openid: str = "o_demo_reader"
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))
    _ids: Any = field(default_factory=lambda: itertools.count(int(time.time() * 1000)))

    async def say(self, text: str) -> str:
        return await self._post(self._message("text", Content=text, MsgId=next(self._ids)))

    async def event(self, event: str, key: str = "") -> str:
        fields: dict[str, str | int] = {"Event": event}
        if key:
            fields["EventKey"] = key
        return await self._post(self._message("event", **fields))

    def _message(self, kind: str, **fields: str | int) -> str:
        head: dict[str, str | int] = {
            "ToUserName": ACCOUNT,
            "FromUserName": self.openid,
            "CreateTime": int(time.time()),
            "MsgType": kind,
        }
        return to_xml({**head, **fields})

    async def _post(self, xml: str) -> str:
        timestamp, nonce = str(int(time.time())), random_string(10)
        query = {"timestamp": timestamp, "nonce": nonce}
        query["signature"] = signature(self.token, timestamp, nonce)
        body = xml
        if self.aes_key:
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
            body = to_xml({"ToUserName": ACCOUNT, "Encrypt": envelope["Encrypt"]})
        response = await self.client.post(self.url, params=query, content=body.encode())
        return self._read(response)

    def _read(self, response: httpx.Response) -> str:
        if response.status_code != 200:
            return f"[HTTP {response.status_code}] {response.text.strip()}"
        text = response.text
        if text in ("", "success"):
            return ""
        if self.aes_key:
            envelope = xmltodict.parse(text)["xml"]
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            text = crypto.decrypt_message(
                text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        return describe(xmltodict.parse(text)["xml"])


def describe(message: dict[str, Any]) -> str:
    """A reply as a person would see it in the chat."""
    if message.get("MsgType") == "news":
        items = message["Articles"]["item"]
        item = items[0] if isinstance(items, list) else items
        return (
            f"〔图文〕{item.get('Title', '')}\n{item.get('Description', '')}\n{item.get('Url', '')}"
        )
    return str(message.get("Content") or "")


class DemoApi:
    """Just enough of api.weixin.qq.com: a token, and customer-service messages shown locally."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self.show = show
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/{path:.*}", self._call)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "demo-token", "expires_in": 7200})

    async def _call(self, request: web.Request) -> web.Response:
        data = json.loads(await request.read() or b"{}")
        if data.get("msgtype") == "text":
            self.show(f"〔客服消息〕{data['text']['content']}")
        elif data.get("msgtype") == "news":
            card = data["news"]["articles"][0]
            self.show(f"〔客服消息·图文〕{card['title']}\n{card['description']}\n{card['url']}")
        elif "button" in data:
            names = "、".join(b.get("name", "") for b in data["button"])
            self.show(f"〔菜单已设置〕{names}")
        return web.json_response({"errcode": 0, "errmsg": "ok"})
