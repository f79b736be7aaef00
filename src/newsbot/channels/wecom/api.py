"""The WeCom server API for a self-built app (qyapi.weixin.qq.com or NEWSBOT_WECOM_API_BASE_URL):
gettoken, message/send and menu/create.

Every call goes through `call`, which adds the access token shared through the database
(channels.weixin.tokens.SharedToken) and, when WeCom says the token is invalid or expired
(40014, 42001), refreshes it once and retries. The secret travels only in the gettoken query,
which the logging filter redacts with every other configured secret.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from newsbot.channels.weixin.api import call_json
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.errors import NewsbotError

log = logging.getLogger(__name__)
TOKEN_ERRORS = frozenset({40014, 42001})


class WeComUnreachable(NewsbotError):
    """The API did not answer usefully (network, timeout, 5xx, not JSON)."""


class WeComApiError(NewsbotError):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"wecom api error {errcode}: {errmsg[:120]}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeComApi:
    def __init__(self, base_url: str, corp_id: str, secret: str, agent_id: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(10.0, connect=5.0),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self.token: SharedToken | None = None

    async def close(self) -> None:
        await self.client.aclose()

    async def fetch_token(self) -> tuple[str, float]:
        """GET /cgi-bin/gettoken: (access_token, expires_in)."""
        params = {"corpid": self.corp_id, "corpsecret": self._secret}
        data = await self._request("GET", "/cgi-bin/gettoken", params=params)
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    async def call(self, path: str, body: dict[str, Any], **query: str) -> dict[str, Any]:
        """POST `body` to `path` with the access token; one refresh and retry on 40014/42001."""
        assert self.token is not None, "WeComApi.call needs a SharedToken"
        token = await self.token.get()
        try:
            return await self._post(path, body, token, query)
        except WeComApiError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("wecom: access token refused (%d); refreshing", exc.errcode)
            token = await self.token.refresh(token)
            return await self._post(path, body, token, query)

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /cgi-bin/message/send (the app message API) with our agentid."""
        return await self.call("/cgi-bin/message/send", {**body, "agentid": self.agent_id})

    async def create_menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/menu/create", menu, agentid=str(self.agent_id))

    async def _post(
        self, path: str, body: dict[str, Any], token: str, query: dict[str, str]
    ) -> dict[str, Any]:
        params = {"access_token": token, **query}
        return await self._request("POST", path, params=params, json=body)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return await call_json(
            self.client,
            method,
            path,
            label="wecom api",
            unreachable=WeComUnreachable,
            api_error=WeComApiError,
            **kwargs,
        )
