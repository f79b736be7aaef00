"""A fake api.weixin.qq.com on loopback that enforces the rules newsbot must respect.

- /cgi-bin/token: appid + secret -> a new access token (the old one keeps working for
  `overlap` seconds, like the platform's 5 minutes); tokens expire after `token_ttl` seconds
  of the fake's clock (42001), unknown tokens get 40014, `revoke_tokens()` makes every issued
  token invalid (40001).
- /cgi-bin/message/custom/send: only to followers (43004), only inside the reader's window
  (`reader_wrote` opens 48 h and 5 messages; `reader_clicked` 1 minute and 3; 45015 outside,
  45047 when the quota is used), text within 2048 bytes (45002), one article per news card.
- /cgi-bin/menu/create, /cgi-bin/message/subscribe/bizsend: recorded.
- `stall`: seconds every answer waits (to test the 5-second rule), `fail_next`: errcodes to
  return for the next sends.

The fake's clock is `now()` = real time + `offset` (advance() moves it).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fakes.weixin_api import FakeWeixinAPI, error, ok

APP_ID = "wx1234567890abcdef"
APP_SECRET = "app-secret-0123456789"
WINDOW_MESSAGE = (5, 48 * 3600.0)
WINDOW_EVENT = (3, 60.0)


@dataclass
class Window:
    quota: int
    until: float


@dataclass
class FakeWeChatAPI(FakeWeixinAPI):
    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    overlap: float = 300.0
    stall: float = 0.0
    followers: set[str] = field(default_factory=set)
    windows: dict[str, Window] = field(default_factory=dict)
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    notices: list[dict[str, Any]] = field(default_factory=list)

    # --- what the WeChat server side tells us ---------------------------------------------

    def follow(self, openid: str) -> None:
        with self._lock:
            self.followers.add(openid)
            self._grant(openid, WINDOW_EVENT)

    def unfollow(self, openid: str) -> None:
        with self._lock:
            self.followers.discard(openid)

    def reader_wrote(self, openid: str) -> None:
        with self._lock:
            self.followers.add(openid)
            self._grant(openid, WINDOW_MESSAGE)

    def reader_clicked(self, openid: str) -> None:
        with self._lock:
            self._grant(openid, WINDOW_EVENT)

    def messages(self, openid: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.sent.get(openid, []))

    def _grant(self, openid: str, grant: tuple[int, float]) -> None:
        quota, length = grant
        now = self.now()
        current = self.windows.get(openid)
        if current is not None and current.until > now:
            self.windows[openid] = Window(
                max(quota, current.quota), max(now + length, current.until)
            )
        else:
            self.windows[openid] = Window(quota, now + length)

    # --- the API ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict[str, Any]:
        if self.stall:
            time.sleep(self.stall)
        if path == "/cgi-bin/token":
            return self._token(query)
        with self._lock:
            problem = self.token_problem(query.get("access_token", ""))
        if problem:
            return problem
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}
        if not isinstance(data, dict):
            return {"errcode": 44002, "errmsg": "empty post data"}
        if path == "/cgi-bin/message/custom/send":
            return self._custom_send(data)
        if path == "/cgi-bin/menu/create":
            with self._lock:
                self.menus.append(data)
            return ok()
        if path == "/cgi-bin/message/subscribe/bizsend":
            with self._lock:
                self.notices.append(data)
            return {"errcode": 0, "errmsg": "ok", "msgid": len(self.notices)}
        return {"errcode": 40004, "errmsg": f"unknown api {path}"}

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return error(40125, "invalid appsecret")
        with self._lock:
            now = self.now()
            for old, expires in list(self.tokens.items()):  # the old one lives 5 more minutes
                self.tokens[old] = min(expires, now + self.overlap)
            token = self.issue_token("TOKEN")
        return {"access_token": token, "expires_in": int(self.token_ttl)}

    def _custom_send(self, data: dict[str, Any]) -> dict[str, Any]:
        openid = str(data.get("touser", ""))
        kind = data.get("msgtype")
        with self._lock:
            if self.fail_next:
                code = self.fail_next.pop(0)
                self.refused.append((openid, code))
                return {"errcode": code, "errmsg": "injected failure"}
            if openid not in self.followers:
                self.refused.append((openid, 43004))
                return {"errcode": 43004, "errmsg": "require subscribe"}
            window = self.windows.get(openid)
            if window is None or window.until <= self.now():
                self.refused.append((openid, 45015))
                return {"errcode": 45015, "errmsg": "response out of time limit"}
            if window.quota <= 0:
                self.refused.append((openid, 45047))
                return {"errcode": 45047, "errmsg": "out of response count limit"}
            problem = _content_problem(kind, data)
            if problem:
                self.refused.append((openid, problem["errcode"]))
                return problem
            window.quota -= 1
            self.sent[openid].append(data)
        return {"errcode": 0, "errmsg": "ok", "msgid": sum(map(len, self.sent.values()))}


def _content_problem(kind: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    if kind == "text":
        content = str(data.get("text", {}).get("content", ""))
        if not content or len(content.encode("utf-8")) > 2048:
            return {"errcode": 45002, "errmsg": "content size out of limit"}
        return None
    if kind == "news":
        articles = data.get("news", {}).get("articles", [])
        if len(articles) != 1 or not articles[0].get("url"):
            return {"errcode": 45008, "errmsg": "article size out of limit"}
        return None
    return {"errcode": 40008, "errmsg": "invalid message type"}
