"""A fake WeCom (企业微信) group-robot webhook: POST /cgi-bin/webhook/send?key=KEY.

Rules as WeCom documents and answers them (docs/robots.md), always HTTP 200 with an errcode:
- unknown or removed key        -> 93000 "invalid webhook url"
- body not JSON                 -> 40035 "invalid parameter"
- msgtype not text/markdown     -> 40008 "invalid message type"
- empty content                 -> 44004 "empty content"
- text over 2,048 bytes         -> 40058 "text.content exceed max length 2048"
- markdown over 4,096 bytes     -> 40058 "markdown.content exceed max length 4096"
- over 20 messages in any 60 s  -> 45009 "api freq out of limit" (the message is not shown)
- accepted                      -> 0 "ok"
"""

from __future__ import annotations

from typing import Any

try:
    from fakes.robot_http import RobotFake, decode_json
except ImportError:  # pragma: no cover - benchmarks import tests.fakes.*
    from tests.fakes.robot_http import RobotFake, decode_json

LIMITS = {"text": 2048, "markdown": 4096}


def _error(code: int, message: str) -> tuple[int, dict[str, Any]]:
    return 200, {"errcode": code, "errmsg": f"{message}, hint: [fake]"}


class FakeWeComRobots(RobotFake):
    windows = ((20, 60.0),)

    def webhook(self, key: str) -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def answer(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/cgi-bin/webhook/send":
            return 404, {"errcode": 404, "errmsg": "not found"}
        robot = self.robots.get(query.get("key", ""))
        if robot is None or robot.revoked:
            self.stats.rejected += 1
            return _error(93000, "invalid webhook url")
        data = decode_json(body)
        if data is None:
            self.stats.rejected += 1
            return _error(40035, "invalid parameter")
        msgtype = data.get("msgtype")
        if msgtype not in LIMITS:
            self.stats.rejected += 1
            return _error(40008, "invalid message type")
        content = str((data.get(msgtype) or {}).get("content") or "")
        size = len(content.encode("utf-8"))
        if not content:
            self.stats.rejected += 1
            return _error(44004, "empty content")
        if size > LIMITS[msgtype]:
            self.stats.rejected += 1
            return _error(40058, f"{msgtype}.content exceed max length {LIMITS[msgtype]}")
        now = self.clock()
        if self.over_rate(robot, now):
            self.stats.rate_limited += 1
            return _error(45009, "api freq out of limit")
        self.accept(robot, {"msgtype": msgtype, "content": content, "bytes": size}, now)
        return 200, {"errcode": 0, "errmsg": "ok"}
