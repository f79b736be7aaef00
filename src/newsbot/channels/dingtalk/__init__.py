"""The DingTalk (钉钉) custom robot: POST markdown to .../robot/send?access_token=TOKEN.

With a signing secret ("加签", starts with SEC) every request carries `timestamp` (ms) and
`sign` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))); the
timestamp must be within an hour of DingTalk's clock. Limits and codes (docs/robots.md): the
request body at most 20,000 bytes; 20 messages per minute per robot, and a robot that exceeds it
is blocked for 10 minutes; 300001 token is not exist, 310000 sign not match / keywords not in
content / ip not in whitelist / invalid timestamp (all: the group's settings are wrong),
410100 and 130101 send too fast.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from newsbot.channels.robots.channel import RobotChannel
from newsbot.channels.robots.sender import json_body
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
from newsbot.core.robot_render import DINGTALK_TEXT_BUDGET

KIND = "dingtalk"
BLOCK_SECONDS = 600.0
TITLE_CHARS = 40

PROFILE = ChannelProfile(
    name="dingtalk",
    dialect=Dialect.MARKDOWN,
    # the limit is on the JSON body (20,000 bytes): the renderer counts JSON-escaped bytes
    limits=Limits(DINGTALK_TEXT_BUDGET, SizeUnit.UTF8_BYTES),
    pacing=Pacing(per_group=RateWindow(20, 60.0), block_seconds=BLOCK_SECONDS),
    errors=(
        ErrorRule("300001", SendOutcome.RECIPIENT_GONE),  # token is not exist
        ErrorRule("400101", SendOutcome.RECIPIENT_GONE),  # access_token 不存在 (newer code)
        ErrorRule("310000", SendOutcome.RECIPIENT_GONE),  # sign, keywords, IP or timestamp refused
        ErrorRule("410100", SendOutcome.RETRY_AFTER),  # send too fast: blocked for 10 minutes
        ErrorRule("130101", SendOutcome.RETRY_AFTER),  # send too fast (older code)
        ErrorRule("460101", SendOutcome.FATAL),  # message too long
        ErrorRule("40035", SendOutcome.FATAL),  # missing parameter
        ErrorRule("-1", SendOutcome.BACKOFF),  # system busy
    ),
    push_only=True,
)


def sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk's request signature (not yet URL-encoded)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class DingTalkWire:
    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, bytes]:
        url = target.webhook
        if target.secret:
            stamp = int(now.timestamp() * 1000)
            url += f"&timestamp={stamp}&sign={quote_plus(sign(stamp, target.secret))}"
        if plain:
            return url, json_body({"msgtype": "text", "text": {"content": chunk}})
        markdown = {"title": _title(chunk), "text": chunk}
        return url, json_body({"msgtype": "markdown", "markdown": markdown})

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        return int(payload.get("errcode", -1)), str(payload.get("errmsg", ""))


def _title(chunk: str) -> str:
    """The notification preview DingTalk shows (the message itself carries everything)."""
    first = chunk.strip().split("\n", 1)[0].replace("*", "").strip()
    return first[:TITLE_CHARS] or "山西大院资讯"


def build(settings: Settings) -> RobotChannel:
    return RobotChannel(PROFILE, KIND, DingTalkWire())
