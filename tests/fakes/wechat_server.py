"""The WeChat platform's side of the callback, played with wechatpy: it signs (and, in safe or
compatible mode, encrypts) what a reader sends, posts it to newsbot's /wechat, and verifies,
decrypts and parses newsbot's passive reply the way WeChat would."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner, random_string

TOKEN = "wechat-callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_0123456789ab"


@dataclass(frozen=True)
class Reply:
    """newsbot's passive answer, as WeChat understood it."""

    status: int
    kind: str  # text, news, success (nothing to show), or error
    content: str = ""
    articles: tuple[dict[str, str], ...] = ()
    raw: str = ""  # the reply's plain XML
    wire: str = ""  # what came over HTTP (the encrypted envelope in safe mode)


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


@dataclass
class WeChatServer:
    url: str  # newsbot's /wechat
    app_id: str
    token: str = TOKEN
    aes_key: str = AES_KEY
    clock: Callable[[], float] = time.time
    api: Any = None  # a FakeWeChatAPI to tell about reader actions (the window opens)
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))
    _ids: Any = field(default_factory=lambda: itertools.count(7_000_000_000_000_000_001))

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.app_id)

    def signed_query(
        self, *, timestamp: str | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        timestamp = timestamp or str(int(self.clock()))
        nonce = nonce or random_string(10)
        return {
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": _sign(self.token, timestamp, nonce),
        }

    async def verify_url(self, echostr: str = "echo-1234", **query: str) -> httpx.Response:
        params = {**self.signed_query(), "echostr": echostr, **query}
        return await self.client.get(self.url, params=params)

    def message_xml(
        self,
        openid: str,
        *,
        content: str | None = None,
        event: str | None = None,
        key: str | None = None,
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> tuple[str, str]:
        """(plain XML, dedupe key) of a text message or an event from `openid`."""
        created = create_time or int(self.clock())
        fields = [
            f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
            f"<CreateTime>{created}</CreateTime>",
        ]
        if event is None:
            number = msg_id or next(self._ids)
            fields += [
                "<MsgType><![CDATA[text]]></MsgType>",
                f"<Content><![CDATA[{content or ''}]]></Content>",
                f"<MsgId>{number}</MsgId>",
            ]
            dedupe = str(number)
        else:
            fields += [
                "<MsgType><![CDATA[event]]></MsgType>",
                f"<Event><![CDATA[{event}]]></Event>",
            ]
            if key is not None:
                fields.append(f"<EventKey><![CDATA[{key}]]></EventKey>")
            dedupe = f"{openid}:{created}:{event}"
        return "<xml>" + "".join(fields) + "</xml>", dedupe

    def request(
        self, plain_xml: str, mode: str = "safe", **overrides: str
    ) -> tuple[dict[str, str], bytes]:
        """(query, body) for `plain_xml` in plain, compatible or safe mode."""
        query = self.signed_query(
            timestamp=overrides.get("timestamp"), nonce=overrides.get("nonce")
        )
        if mode == "plain":
            return {**query, **overrides}, plain_xml.encode("utf-8")
        envelope = xmltodict.parse(
            self.crypto.encrypt_message(plain_xml, query["nonce"], query["timestamp"])
        )["xml"]
        encrypted = envelope["Encrypt"]
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"], openid="o")
        inner = (
            plain_xml[len("<xml>") : -len("</xml>")]
            if mode == "compatible"
            else (f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>")
        )
        body = f"<xml>{inner}<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return {**query, **overrides}, body.encode("utf-8")

    async def post(self, query: dict[str, str], body: bytes) -> httpx.Response:
        return await self.client.post(
            self.url, params=query, content=body, headers={"Content-Type": "text/xml"}
        )

    async def send(
        self,
        openid: str,
        content: str | None = None,
        *,
        mode: str = "safe",
        event: str | None = None,
        key: str | None = None,
        msg_id: int | None = None,
        create_time: int | None = None,
    ) -> Reply:
        """What a reader does, and newsbot's passive answer as WeChat reads it."""
        if self.api is not None:
            if event in ("subscribe", "SCAN", "CLICK"):
                self.api.follow(openid) if event == "subscribe" else self.api.reader_clicked(openid)
            elif event == "unsubscribe":
                self.api.unfollow(openid)
            else:
                self.api.reader_wrote(openid)
        xml, _ = self.message_xml(
            openid, content=content, event=event, key=key, msg_id=msg_id, create_time=create_time
        )
        query, body = self.request(xml, mode)
        return self.read(await self.post(query, body), encrypted=mode != "plain")

    def read(self, response: httpx.Response, *, encrypted: bool) -> Reply:
        return self.read_text(response.status_code, response.text, encrypted=encrypted)

    def read_text(self, status: int, text: str, *, encrypted: bool) -> Reply:
        """The passive answer from its HTTP status and body (any HTTP client's)."""
        wire = text
        if status != 200:
            return Reply(status, "error", text, raw=text)
        if text in ("success", ""):
            return Reply(200, "success", raw=text)
        if encrypted:
            envelope = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(
                text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )  # verifies newsbot's signature, raises if wrong
        message = xmltodict.parse(text)["xml"]
        kind = message["MsgType"]
        if kind == "news":
            items = message["Articles"]["item"]
            items = items if isinstance(items, list) else [items]
            return Reply(200, "news", articles=tuple(dict(i) for i in items), raw=text, wire=wire)
        return Reply(200, kind, str(message.get("Content") or ""), raw=text, wire=wire)
