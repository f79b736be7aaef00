"""A fake qyapi.weixin.qq.com for a self-built app, on loopback, enforcing WeCom's rules
(docs/wecom.md cites them):

- /cgi-bin/gettoken: corpid (40013) + corpsecret (40001) -> the access token; asked again
  while it is valid, the same token (as WeCom does); it expires after `token_ttl` seconds of
  the fake's clock (42001); an unknown token gets 40014, a missing one 41001.
  `expire_tokens()` ends every token now (WeCom may end one early), `revoke_tokens()` makes
  them unknown.
- /cgi-bin/message/send: our agentid only (40056); a member of the app's scope (81013
  otherwise, `remove_member`); msgtype text or markdown within 2,048 bytes, textcard with a
  title within 128 bytes, a description within 512 and a url (45002 / 44004 / 40008).
  Per member: 30 a minute and 1,000 an hour; the excess is *dropped* with errcode 0, as WeCom
  does (`dropped` records it). `app_per_minute`: the app's call frequency (45009 past it).
  `enable_duplicate_check`: the same body to the same member within the interval is not
  delivered again (`duplicates`). `fail_next`: errcodes for the next sends (-1, 45033 ...).
- /cgi-bin/menu/create: recorded.

The fake's clock is `now()` = real time + `offset` (advance() moves it).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from fakes.weixin_api import FakeWeixinAPI, error, ok

CORP_ID = "ww0123456789abcdef"
AGENT_ID = 1000002
SECRET = "wecom-app-secret-0123456789abcdef"
TEXT_BYTES = 2048


@dataclass
class FakeWeComAPI(FakeWeixinAPI):
    corp_id: str = CORP_ID
    agent_id: int = AGENT_ID
    secret: str = SECRET
    member_per_minute: int = 30
    member_per_hour: int = 1000
    app_per_minute: int | None = None
    members: set[str] = field(default_factory=set)
    delivered: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (member, why)
    duplicates: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._member_sends: dict[str, deque[float]] = defaultdict(deque)
        self._app_sends: deque[float] = deque()
        self._recent_bodies: dict[tuple[str, str], float] = {}

    # --- the WeCom side ---------------------------------------------------------------------

    def add_member(self, userid: str) -> None:
        with self._lock:
            self.members.add(userid)

    def remove_member(self, userid: str) -> None:
        with self._lock:
            self.members.discard(userid)

    def messages(self, userid: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.delivered.get(userid, []))

    def texts(self, userid: str) -> list[str]:
        return [content_of(body) for body in self.messages(userid)]

    # --- the API ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict[str, Any]:
        if path == "/cgi-bin/gettoken":
            return self._gettoken(query)
        with self._lock:
            problem = self._check_token(query)
        if problem:
            return problem
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return error(40058, "Warning: wrong json format.")
        if not isinstance(data, dict):
            return error(40058, "Warning: wrong json format.")
        if path == "/cgi-bin/message/send":
            with self._lock:
                return self._send(data)
        if path == "/cgi-bin/menu/create":
            if query.get("agentid") != str(self.agent_id):
                return error(40056, "invalid agentid")
            with self._lock:
                self.menus.append(data)
            return ok()
        return error(404, f"unknown api {path}")

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id:
            return error(40013, "invalid corpid")
        if query.get("corpsecret") != self.secret:
            return error(40001, "invalid credential")
        with self._lock:
            now = self.now()
            for token, expires in self.tokens.items():
                if expires > now:  # within its validity WeCom answers the same token
                    self.token_requests += 1
                    return ok(access_token=token, expires_in=int(expires - now))
            token = self.issue_token("WECOM")
        return ok(access_token=token, expires_in=int(self.token_ttl))

    def _check_token(self, query: dict[str, str]) -> dict[str, Any] | None:
        token = query.get("access_token")
        return self.token_problem(token) if token else error(41001, "access_token missing")

    def _send(self, data: dict[str, Any]) -> dict[str, Any]:
        member = str(data.get("touser", ""))
        refusal = self._refusal(member, data)
        if refusal is not None:
            self.refused.append((member, refusal["errcode"]))
            return refusal
        msgid = f"msg{sum(map(len, self.delivered.values())) + len(self.dropped) + 1}"
        if self._duplicate(member, data):
            self.duplicates += 1
        elif (why := self._over_member_rate(member)) is not None:
            self.dropped.append((member, why))  # WeCom drops it and says nothing
        else:
            self.delivered[member].append(data)
        return ok(invaliduser="", invalidparty="", invalidtag="", msgid=msgid)

    def _refusal(self, member: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if self.fail_next:
            return error(self.fail_next.pop(0), "injected failure")
        if self.app_per_minute is not None:
            now = time.monotonic()
            while self._app_sends and now - self._app_sends[0] >= 60:
                self._app_sends.popleft()
            if len(self._app_sends) >= self.app_per_minute:
                return error(45009, "api freq out of limit")
            self._app_sends.append(now)
        if data.get("agentid") != self.agent_id:
            return error(40056, "invalid agentid")
        if member not in self.members:
            return error(81013, "user & party & tag all invalid")
        return content_problem(data)

    def _over_member_rate(self, member: str) -> str | None:
        now = time.monotonic()
        window = self._member_sends[member]
        while window and now - window[0] >= 3600:
            window.popleft()
        if sum(1 for sent in window if now - sent < 60) >= self.member_per_minute:
            return "more than 30 a minute"
        if len(window) >= self.member_per_hour:
            return "more than 1000 an hour"
        window.append(now)
        return None

    def _duplicate(self, member: str, data: dict[str, Any]) -> bool:
        if not data.get("enable_duplicate_check"):
            return False
        interval = float(data.get("duplicate_check_interval", 1800))
        content = {k: v for k, v in data.items() if k not in ("touser",)}
        key = (member, json.dumps(content, sort_keys=True, ensure_ascii=False))
        now = self.now()
        seen = self._recent_bodies.get(key)
        if seen is not None and now - seen < interval:
            return True
        self._recent_bodies[key] = now
        return False


def content_of(body: dict[str, Any]) -> str:
    kind = body.get("msgtype", "")
    if kind == "textcard":
        card = body["textcard"]
        return f"{card['title']}\n{card['description']}\n{card['url']}"
    return str(body.get(kind, {}).get("content", ""))


def content_problem(data: dict[str, Any]) -> dict[str, Any] | None:
    kind = data.get("msgtype")
    if kind in ("text", "markdown"):
        content = str(data.get(kind, {}).get("content", ""))
        if not content:
            return error(44004, "empty content")
        if len(content.encode("utf-8")) > TEXT_BYTES:
            return error(45002, "content size out of limit")
        return None
    if kind == "textcard":
        card = data.get("textcard", {})
        if not card.get("title") or not card.get("description") or not card.get("url"):
            return error(44004, "empty content")
        too_long = len(card["title"].encode()) > 128 or len(card["description"].encode()) > 512
        return error(45002, "content size out of limit") if too_long else None
    return error(40008, "invalid message type")
