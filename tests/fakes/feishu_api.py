"""A fake Feishu/Lark (飞书) custom bot: POST /open-apis/bot/v2/hook/TOKEN.

Rules as Feishu documents and answers them (docs/robots.md):
- body over 20,000 bytes ("20 KB")   -> HTTP 400 {"code": 9499, "msg": "Bad Request"}
- unknown or deleted token           -> 19001 "param invalid: incoming webhook access token invalid"
- signing on: body "timestamp" (s) and "sign" = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
  msg=b"")); wrong sign or timestamp more than 1 hour away
                                      -> 19021 "sign match fail or timestamp is not within one
                                         hour from current time"
- keywords set, none in the message  -> 19024 "Key Words Not Found"
- not JSON / unknown msg_type / empty -> 9499 "Bad Request"
- over 5 per second or 100 per minute -> 11232 "frequency limited ..."
- accepted                            -> {"code": 0, "msg": "success", "data": {}}
Records keep the post (or text) and its visible text under "content".
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
TIMESTAMP_TOLERANCE = 3600.0
SIGN_FAILED = "sign match fail or timestamp is not within one hour from current time"


def feishu_sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _error(code: int, message: str, status: int = 200) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "msg": message, "data": {}}


def visible_text(msg_type: str, content: dict[str, Any]) -> str:
    if msg_type == "text":
        return str(content.get("text") or "")
    post = (content.get("post") or {}).get("zh_cn") or {}
    lines = post.get("content") or []
    return "\n".join("".join(str(e.get("text", "")) for e in line) for line in lines)


class FakeFeishu(RobotFake):
    windows = ((5, 1.0), (100, 60.0))

    def webhook(self, key: str) -> str:
        return f"{self.base_url}/open-apis/bot/v2/hook/{key}"

    def answer(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        prefix = "/open-apis/bot/v2/hook/"
        if not path.startswith(prefix):
            return 404, {"code": 404, "msg": "404 page not found"}
        if len(body) > BODY_LIMIT:
            self.stats.rejected += 1
            return _error(9499, "Bad Request", 400)
        robot = self.robots.get(path[len(prefix) :])
        if robot is None or robot.revoked:
            self.stats.rejected += 1
            return _error(19001, "param invalid: incoming webhook access token invalid")
        data = decode_json(body)
        now = self.clock()
        refusal = self._security(robot, data, now)
        if refusal is not None:
            self.stats.rejected += 1
            return refusal
        assert data is not None
        msg_type = str(data.get("msg_type"))
        content = data.get("content") if isinstance(data.get("content"), dict) else {}
        text = visible_text(msg_type, content or {})
        if msg_type not in ("text", "post") or not text.strip():
            self.stats.rejected += 1
            return _error(9499, "Bad Request")
        if robot.keywords and not any(k in text for k in robot.keywords):
            self.stats.rejected += 1
            return _error(19024, "Key Words Not Found")
        if self.over_rate(robot, now):
            self.stats.rate_limited += 1
            return _error(11232, "frequency limited psm[lark.oapi.app_platform_runtime]")
        self.accept(robot, {"msgtype": msg_type, "content": text, "bytes": len(body)}, now)
        return 200, {"code": 0, "msg": "success", "data": {}}

    def _security(
        self, robot: Robot, data: dict[str, Any] | None, now: float
    ) -> tuple[int, dict[str, Any]] | None:
        if data is None:
            return _error(9499, "Bad Request", 400)
        if robot.secret:
            stamp = str(data.get("timestamp", ""))
            fresh = stamp.isdigit() and abs(now - int(stamp)) <= TIMESTAMP_TOLERANCE
            expected = feishu_sign(stamp, robot.secret)
            if not fresh or not hmac.compare_digest(str(data.get("sign", "")), expected):
                return _error(19021, SIGN_FAILED)
        return None
