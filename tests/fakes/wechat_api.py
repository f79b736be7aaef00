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
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APP_ID = "wx1234567890abcdef"
APP_SECRET = "app-secret-0123456789"
WINDOW_MESSAGE = (5, 48 * 3600.0)
WINDOW_EVENT = (3, 60.0)


@dataclass
class Window:
    quota: int
    until: float


@dataclass
class FakeWeChatAPI:
    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    token_ttl: float = 7200.0
    overlap: float = 300.0
    stall: float = 0.0
    offset: float = 0.0
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at (fake time)
    token_requests: int = 0
    followers: set[str] = field(default_factory=set)
    windows: dict[str, Window] = field(default_factory=dict)
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    refused: list[tuple[str, int]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.request_queue_size = 512
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- running ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeWeChatAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWeChatAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the WeChat server side tells us ---------------------------------------------

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds

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

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def messages(self, openid: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.sent.get(openid, []))

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.02)

    async def async_wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        """wait_for without blocking the event loop (when newsbot runs in the same loop)."""
        import asyncio

        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)

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
            problem = self._check_token(query.get("access_token", ""))
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
            return {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/message/subscribe/bizsend":
            with self._lock:
                self.notices.append(data)
            return {"errcode": 0, "errmsg": "ok", "msgid": len(self.notices)}
        return {"errcode": 40004, "errmsg": f"unknown api {path}"}

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self._lock:
            self.token_requests += 1
            now = self.now()
            for old, expires in list(self.tokens.items()):  # the old one lives 5 more minutes
                self.tokens[old] = min(expires, now + self.overlap)
            token = f"TOKEN-{self.token_requests}-{int(now)}"
            self.tokens[token] = now + self.token_ttl
        return {"access_token": token, "expires_in": int(self.token_ttl)}

    def _check_token(self, token: str) -> dict[str, Any] | None:
        expires = self.tokens.get(token)
        if expires is None:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if expires <= self.now():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

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


def _handler(api: FakeWeChatAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length))

        def _serve(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            answer = api.handle(self.command, parts.path, query, body)
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
