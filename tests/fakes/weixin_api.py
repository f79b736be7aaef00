"""What the fake WeChat (api.weixin.qq.com) and WeCom (qyapi.weixin.qq.com) APIs share: a
threaded HTTP server on loopback answering JSON, a clock of their own (`now()` = real time +
`offset`, moved by advance()), access tokens that expire on that clock (42001) or are unknown
(40014), the refusals and menus they record, and waiting for what newsbot sends."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


def ok(**extra: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **extra}


def error(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": message}


@dataclass
class FakeWeixinAPI:
    token_ttl: float = 7200.0
    offset: float = 0.0
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at (fake time)
    token_requests: int = 0
    refused: list[tuple[str, int]] = field(default_factory=list)
    menus: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.request_queue_size = 512
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict[str, Any]:
        """The platform's JSON answer to one request (the subclass's API)."""
        raise NotImplementedError

    # --- running ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the platform's clock and tokens -----------------------------------------------------

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds

    def revoke_tokens(self) -> None:
        """Every issued token becomes unknown (40014)."""
        with self._lock:
            self.tokens.clear()

    def expire_tokens(self) -> None:
        """Every issued token ends now (42001); the platforms may end one early."""
        with self._lock:
            now = self.now()
            self.tokens = {token: min(expires, now) for token, expires in self.tokens.items()}

    def issue_token(self, prefix: str) -> str:
        """A new token valid for `token_ttl` (call with the lock held)."""
        self.token_requests += 1
        now = self.now()
        token = f"{prefix}-{self.token_requests}-{int(now)}"
        self.tokens[token] = now + self.token_ttl
        return token

    def token_problem(self, token: str) -> dict[str, Any] | None:
        """The platform's refusal of `token`, or None (call with the lock held)."""
        expires = self.tokens.get(token)
        if expires is None:
            return error(40014, "invalid access_token")
        if expires <= self.now():
            return error(42001, "access_token expired")
        return None

    # --- waiting for newsbot -------------------------------------------------------------------

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.02)

    async def async_wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        """wait_for without blocking the event loop (when newsbot runs in the same loop)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)


def _handler(api: FakeWeixinAPI) -> type[BaseHTTPRequestHandler]:
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
