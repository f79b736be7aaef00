"""The Official Account API (api.weixin.qq.com or NEWSBOT_WECHAT_API_BASE_URL): access token,
customer-service messages, the custom menu, subscription notifications.

Every call goes through `call`, which adds the shared access token and, when the API says the
token is invalid or expired (40001, 40014, 42001), refreshes it once and retries.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from newsbot.channels.wechat.errors import WeChatApiError
from newsbot.channels.weixin.api import call_json
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.core.channels import LinkCard
from newsbot.errors import NewsbotError

log = logging.getLogger(__name__)


class WeChatUnreachable(NewsbotError):
    """The API did not answer (network, timeout, 5xx, not JSON)."""


class WeChatApi:
    def __init__(
        self, base_url: str, app_id: str, app_secret: str, token: SharedToken | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(10.0, connect=5.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self.token = token

    async def close(self) -> None:
        await self.client.aclose()

    async def fetch_token(self) -> tuple[str, float]:
        """GET /cgi-bin/token: (access_token, expires_in)."""
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        data = await self._request("GET", "/cgi-bin/token", params=params)
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` as JSON to `path` with the access token; retry once on a token error."""
        assert self.token is not None, "WeChatApi.call needs a SharedToken"
        token = await self.token.get()
        try:
            return await self._request("POST", path, params={"access_token": token}, json=body)
        except WeChatApiError as exc:
            if not exc.token_refused:
                raise
            log.info("wechat: access token refused (%d); refreshing", exc.errcode)
            token = await self.token.refresh(token)
            return await self._request("POST", path, params={"access_token": token}, json=body)

    async def send_text(self, openid: str, text: str) -> dict[str, Any]:
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        return await self.call("/cgi-bin/message/custom/send", body)

    async def send_card(self, openid: str, card: LinkCard) -> dict[str, Any]:
        """One news card (the platform allows one article per customer-service news message)."""
        article = {
            "title": card.title,
            "description": card.description,
            "url": card.url,
            "picurl": card.image,
        }
        body = {"touser": openid, "msgtype": "news", "news": {"articles": [article]}}
        return await self.call("/cgi-bin/message/custom/send", body)

    async def send_subscription_notice(
        self, openid: str, template_id: str, page: str, data: dict[str, str]
    ) -> dict[str, Any]:
        body = {
            "touser": openid,
            "template_id": template_id,
            "page": page,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        return await self.call("/cgi-bin/message/subscribe/bizsend", body)

    async def create_menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/menu/create", menu)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return await call_json(
            self.client,
            method,
            path,
            label="wechat api",
            unreachable=WeChatUnreachable,
            api_error=WeChatApiError,
            **kwargs,
        )
