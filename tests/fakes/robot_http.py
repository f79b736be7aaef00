"""What the three group-robot fakes share: a real HTTP/1.1 server on 127.0.0.1, robots (a key or
token, an optional signing secret, optional keywords), sliding-window rate counters, records of
what each robot accepted, and failures on demand.

    with FakeWeComRobots() as wecom:                  # or FakeDingTalk(), FakeFeishu()
        key = wecom.add_robot()                       # a new robot; its webhook:
        url = wecom.webhook(key)
        ... send ...
        wecom.messages(key)                           # [{"msgtype", "content", "bytes", "at"}]
        wecom.revoke(key)                             # the robot was removed from its group
        wecom.fail_next(502, count=2)                 # the next answers are HTTP 502

The clock (`clock`, epoch seconds, default time.time) is injectable: rate windows, DingTalk's
10-minute block and the signatures' timestamp checks all read it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Robot:
    key: str
    secret: str | None = None
    keywords: tuple[str, ...] = ()
    revoked: bool = False
    blocked_until: float = 0.0
    arrivals: deque[float] = field(default_factory=deque)
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stats:
    requests: int = 0
    accepted: int = 0
    rate_limited: int = 0
    rejected: int = 0
    failed: int = 0  # injected 5xx


class RobotFake:
    """Base of the three fakes; subclasses implement `answer(path, query, body)`."""

    windows: tuple[tuple[int, float], ...] = ()  # (count, seconds) per robot

    def __init__(
        self, *, clock: Callable[[], float] = time.time, response_delay: float = 0.0
    ) -> None:
        self.clock = clock
        self.response_delay = response_delay
        self.lock = threading.Lock()
        self.robots: dict[str, Robot] = {}
        self.stats = Stats()
        self._failures: deque[int] = deque()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> RobotFake:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self), bind_and_activate=False)
        server.request_queue_size = 1024
        server.daemon_threads = True
        server.allow_reuse_address = True
        server.server_bind()
        server.server_activate()
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "call start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- robots -----------------------------------------------------------------------------

    def add_robot(
        self, key: str | None = None, *, secret: str | None = None, keywords: tuple[str, ...] = ()
    ) -> str:
        key = key or uuid.uuid4().hex
        with self.lock:
            self.robots[key] = Robot(key, secret, keywords)
        return key

    def revoke(self, key: str) -> None:
        with self.lock:
            self.robots[key].revoked = True

    def webhook(self, key: str) -> str:  # overridden: each platform's URL shape
        raise NotImplementedError

    def messages(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.robots[key].messages)

    def fail_next(self, status: int = 502, count: int = 1) -> None:
        with self.lock:
            self._failures.extend([status] * count)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError("condition not met in time")

    # --- shared rules -----------------------------------------------------------------------

    def over_rate(self, robot: Robot, now: float) -> bool:
        """True when one more message would break a window (the arrival is then not counted)."""
        longest = max((seconds for _count, seconds in self.windows), default=0.0)
        while robot.arrivals and now - robot.arrivals[0] >= longest:
            robot.arrivals.popleft()
        for count, seconds in self.windows:
            if sum(1 for t in robot.arrivals if now - t < seconds) >= count:
                return True
        robot.arrivals.append(now)
        return False

    def accept(self, robot: Robot, record: dict[str, Any], now: float) -> None:
        robot.messages.append({**record, "at": now})
        self.stats.accepted += 1

    def answer(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def serve(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        url = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        with self.lock:
            self.stats.requests += 1
            if self._failures:
                self.stats.failed += 1
                return self._failures.popleft(), {"errmsg": "injected failure"}
            return self.answer(url.path, query, body)


def decode_json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _handler(fake: RobotFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # see bot_api_http.py: ~40 ms per answer otherwise

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = fake.serve(self.path, body)
            if fake.response_delay:
                time.sleep(fake.response_delay)
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
