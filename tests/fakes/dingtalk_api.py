"""A fake DingTalk (钉钉) custom robot: POST /robot/send?access_token=T[&timestamp=MS&sign=S].

Rules as DingTalk documents and answers them (docs/robots.md), HTTP 200 with an errcode:
- unknown or deleted access_token   -> 300001 "token is not exist"
- robot blocked for flooding        -> 410100 "send too fast, exceed 20 times per minute"
- signing on, timestamp missing or
  more than 1 hour from now         -> 310000 "invalid timestamp"
- signing on, wrong sign            -> 310000 "sign not match" (sign = base64(HMAC-SHA256(
                                       key=secret, msg=f"{timestamp}\\n{secret}")), ms stamp)
- keywords set, none in the message -> 310000 "keywords not in content"
- body over 20,000 bytes            -> 460101 "message too long, exceed 20000 bytes"
- body not JSON / missing fields    -> 40035 "缺少参数 json"
- the 21st message within 60 s      -> 410100, and the robot is blocked for 10 minutes
                                       (every message in the block answers 410100)
- accepted                          -> 0 "ok"
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

try:
    from fakes.robot_http import Robot, RobotFake, decode_json
except ImportError:  # pragma: no cover - benchmarks import tests.fakes.*
    from tests.fakes.robot_http import Robot, RobotFake, decode_json

BODY_LIMIT = 20_000
BLOCK_SECONDS = 600.0
TIMESTAMP_TOLERANCE = 3600.0


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def _error(code: int, message: str) -> tuple[int, dict[str, Any]]:
    return 200, {"errcode": code, "errmsg": message}


class FakeDingTalk(RobotFake):
    windows = ((20, 60.0),)

    def webhook(self, key: str) -> str:
        return f"{self.base_url}/robot/send?access_token={key}"

    def answer(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/robot/send":
            return 404, {"errcode": 404, "errmsg": "请求的URI地址不存在"}
        robot = self.robots.get(query.get("access_token", ""))
        if robot is None or robot.revoked:
            self.stats.rejected += 1
            return _error(300001, "token is not exist")
        now = self.clock()
        if now < robot.blocked_until:
            self.stats.rate_limited += 1
            return _error(410100, "send too fast, exceed 20 times per minute")
        refusal = self._security(robot, query, body, now)
        if refusal is not None:
            self.stats.rejected += 1
            return refusal
        return self._accept_message(robot, body, now)

    def _security(
        self, robot: Robot, query: dict[str, str], body: bytes, now: float
    ) -> tuple[int, dict[str, Any]] | None:
        if robot.secret:
            stamp = query.get("timestamp", "")
            if not stamp.isdigit() or abs(now - int(stamp) / 1000) > TIMESTAMP_TOLERANCE:
                return _error(310000, "invalid timestamp")
            if not hmac.compare_digest(query.get("sign", ""), dingtalk_sign(stamp, robot.secret)):
                return _error(310000, "sign not match")
        if len(body) > BODY_LIMIT:
            return _error(460101, f"message too long, exceed {BODY_LIMIT} bytes")
        return None

    def _accept_message(self, robot: Robot, body: bytes, now: float) -> tuple[int, dict[str, Any]]:
        data = decode_json(body)
        msgtype = data.get("msgtype") if data else None
        part = (data or {}).get(str(msgtype)) or {}
        content = part.get("text") if msgtype == "markdown" else part.get("content")
        if not content or (msgtype == "markdown" and not part.get("title")):
            self.stats.rejected += 1
            return _error(40035, "缺少参数 json")
        if robot.keywords and not any(k in str(content) for k in robot.keywords):
            self.stats.rejected += 1
            return _error(310000, "keywords not in content")
        if self.over_rate(robot, now):
            robot.blocked_until = now + BLOCK_SECONDS
            self.stats.rate_limited += 1
            return _error(410100, "send too fast, exceed 20 times per minute")
        record = {"msgtype": msgtype, "content": str(content), "bytes": len(body)}
        self.accept(robot, record, now)
        return 200, {"errcode": 0, "errmsg": "ok"}
