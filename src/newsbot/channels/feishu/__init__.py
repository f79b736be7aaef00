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

from newsbot.channels.robots.channel import RobotChannel
from newsbot.config import Settings
from newsbot.core.channels import (
    ChannelProfile,
    Dialect,
    ErrorRule,
    Limits,
    Pacing,
    RateWindow,
    SendOutcome,
    SizeUnit,
)
from newsbot.core.groups import RobotTarget
from newsbot.core.robot_render import FEISHU_CONTENT_BUDGET

KIND = "feishu"
PROFILE = ChannelProfile(
    name="feishu",
    dialect=Dialect.FEISHU_POST,
    limits=Limits(FEISHU_CONTENT_BUDGET, SizeUnit.UTF8_BYTES),  # of the post's JSON
    pacing=Pacing(per_chat=RateWindow(5, 1.0), per_group=RateWindow(100, 60.0), block_seconds=60.0),
    errors=(
        ErrorRule("19001", SendOutcome.RECIPIENT_GONE),  # incoming webhook access token invalid
        ErrorRule("19021", SendOutcome.RECIPIENT_GONE),  # sign match fail / timestamp too far
        ErrorRule("19022", SendOutcome.RECIPIENT_GONE),  # IP not allowed
        ErrorRule("19024", SendOutcome.RECIPIENT_GONE),  # key words not found
        ErrorRule("11232", SendOutcome.RETRY_AFTER),  # frequency limited
        ErrorRule("99991400", SendOutcome.RETRY_AFTER),  # request trigger frequency limit
        ErrorRule("9499", SendOutcome.FATAL),  # bad request (format, size)
    ),
    push_only=True,
)


def sign(timestamp: int, secret: str) -> str:
    """Feishu's body signature: HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuWire:
    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, bytes]:
        signed = ""
        if target.secret:
            stamp = int(now.timestamp())
            signed = f',"timestamp":"{stamp}","sign":{json.dumps(sign(stamp, target.secret))}'
        if plain:
            content = json.dumps({"text": chunk}, ensure_ascii=False, separators=(",", ":"))
            return target.webhook, f'{{"msg_type":"text","content":{content}{signed}}}'.encode()
        # The chunk is the post's JSON already (core/robot_render.py): spliced in as it is, not
        # parsed and encoded again (that round trip was the largest CPU cost of a Feishu send).
        body = f'{{"msg_type":"post","content":{{"post":{chunk}}}{signed}}}'
        return target.webhook, body.encode()

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        code = payload.get("code", payload.get("StatusCode", -1))
        return int(code), str(payload.get("msg", payload.get("StatusMessage", "")))


def build(settings: Settings) -> RobotChannel:
    return RobotChannel(PROFILE, KIND, FeishuWire())
