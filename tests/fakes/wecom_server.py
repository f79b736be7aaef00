"""The WeCom platform's side of an app's callback, played with wechatpy's WeCom crypto
(`wechatpy.enterprise.crypto` in wechatpy 1.8, `wechatpy.work.crypto` from 2.0): it encrypts
and signs the URL check's echostr and each member's message or menu click exactly as WeCom
does, and posts them to newsbot's /wecom."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.utils import random_string

from fakes.wecom_app_api import AGENT_ID, CORP_ID

TOKEN = "wecom-callback-token"
AES_KEY = "WeComAesKey0123456789abcdefghijklmnopqrstuv"  # 43 characters


def xml_of(fields: dict[str, Any]) -> str:
    parts = [
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    ]
    return "<xml>" + "".join(parts) + "</xml>"


@dataclass
class WeComServer:
    url: str  # newsbot's /wecom
    corp_id: str = CORP_ID
    agent_id: int = AGENT_ID
    token: str = TOKEN
    aes_key: str = AES_KEY
    clock: Callable[[], float] = time.time
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))
    _ids: Any = field(default_factory=lambda: itertools.count(6_000_000_000_000_000_001))

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.corp_id)

    def envelope(self, plain: str, *, timestamp: str | None = None) -> dict[str, str]:
        """What WeCom computes for `plain`: Encrypt, and msg_signature over it."""
        timestamp = timestamp or str(int(self.clock()))
        nonce = random_string(10)
        wire = xmltodict.parse(self.crypto.encrypt_message(plain, nonce, timestamp))["xml"]
        return {
            "Encrypt": wire["Encrypt"],
            "msg_signature": wire["MsgSignature"],
            "timestamp": timestamp,
            "nonce": nonce,
        }

    async def verify_url(
        self, echo: str, *, signature: str | None = None, timestamp: str | None = None
    ) -> httpx.Response:
        sealed = self.envelope(echo, timestamp=timestamp)
        query = {
            "msg_signature": signature or sealed["msg_signature"],
            "timestamp": sealed["timestamp"],
            "nonce": sealed["nonce"],
            "echostr": sealed["Encrypt"],
        }
        return await self.client.get(self.url, params=query)

    def message(self, member: str, text: str = "", **fields: Any) -> dict[str, Any]:
        head: dict[str, Any] = {
            "ToUserName": self.corp_id,
            "FromUserName": member,
            "CreateTime": int(self.clock()),
        }
        if text:
            head.update(MsgType="text", Content=text, MsgId=next(self._ids))
        else:
            head["MsgType"] = "event"
        return {**head, **fields, "AgentID": fields.get("AgentID", self.agent_id)}

    async def post(
        self, fields: dict[str, Any], *, signature: str | None = None, timestamp: str | None = None
    ) -> httpx.Response:
        sealed = self.envelope(xml_of(fields), timestamp=timestamp)
        body = xml_of(
            {"ToUserName": self.corp_id, "AgentID": self.agent_id, "Encrypt": sealed["Encrypt"]}
        )
        query = {
            "msg_signature": signature or sealed["msg_signature"],
            "timestamp": sealed["timestamp"],
            "nonce": sealed["nonce"],
        }
        return await self.client.post(self.url, params=query, content=body.encode("utf-8"))

    async def say(self, member: str, text: str, **options: Any) -> httpx.Response:
        return await self.post(self.message(member, text), **options)

    async def click(self, member: str, key: str) -> httpx.Response:
        return await self.post(self.message(member, Event="click", EventKey=key))
