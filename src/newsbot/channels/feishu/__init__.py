"""The Feishu/Lark (飞书) custom bot: POST {"msg_type": "post"} to .../open-apis/bot/v2/hook/ID.

With a signing secret the body carries `timestamp` (seconds) and `sign` =
base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) - the secret is in the key, unlike
DingTalk. Limits and codes (docs/robots.md): the request body at most 20 KB; 100 requests per
minute and 5 per second per bot; 19001 incoming webhook access token invalid (the bot was
removed), 19021 sign match fail or timestamp not within one hour, 19022 IP not allowed, 19024 key
words not found, 9499 bad request (format or size), 11232 frequency limited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from newsbot.channels.robots.profile import CodeRule, Outcome, RobotProfile
from newsbot.channels.robots.sender import RobotDirectory, RobotSender
from newsbot.core.groups import RobotTarget
from newsbot.core.robot_render import FEISHU_CONTENT_BUDGET, render_feishu_post
from newsbot.ports import Clock

PROFILE = RobotProfile(
    name="feishu",
    kind="feishu",
    render=render_feishu_post,
    max_bytes=FEISHU_CONTENT_BUDGET,
    size_of="body",
    windows=((5, 1.0), (100, 60.0)),
    retry_after=60.0,
    rules=(
        CodeRule(19001, Outcome.RECIPIENT_GONE),  # incoming webhook access token invalid
        CodeRule(19021, Outcome.RECIPIENT_GONE),  # sign match fail / timestamp out of range
        CodeRule(19022, Outcome.RECIPIENT_GONE),  # IP not allowed
        CodeRule(19024, Outcome.RECIPIENT_GONE),  # key words not found
        CodeRule(11232, Outcome.RETRY_AFTER),  # frequency limited
        CodeRule(99991400, Outcome.RETRY_AFTER),  # request trigger frequency limit
        CodeRule(9499, Outcome.FATAL),  # bad request (format, size)
    ),
)


def sign(timestamp: int, secret: str) -> str:
    """Feishu's body signature: HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuWire:
    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        if plain:
            body: dict[str, Any] = {"msg_type": "text", "content": {"text": chunk}}
        else:
            body = {"msg_type": "post", "content": {"post": json.loads(chunk)}}
        if target.secret:
            stamp = int(now.timestamp())
            body.update(timestamp=str(stamp), sign=sign(stamp, target.secret))
        return target.webhook, body

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        code = payload.get("code", payload.get("StatusCode", -1))
        return int(code), str(payload.get("msg", payload.get("StatusMessage", "")))


def build_sender(directory: RobotDirectory, *, clock: Clock | None = None) -> RobotSender:
    return RobotSender(PROFILE, FeishuWire(), directory, clock=clock)
