"""The WeCom (企业微信) group robot: POST {"msgtype": "markdown"} to .../webhook/send?key=KEY.

Limits and codes are cited in docs/robots.md: markdown content at most 4,096 bytes, text 2,048;
20 messages per minute per robot; 93000 invalid webhook url (the robot was removed or the key is
wrong), 45009 api freq out of limit, 40058 content too long, -1 system busy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from newsbot.core.robot_render import WECOM_MARKDOWN_BYTES

KIND = "wecom"
PROFILE = ChannelProfile(
    name="wecom_robot",
    dialect=Dialect.WECOM_MARKDOWN,
    limits=Limits(WECOM_MARKDOWN_BYTES, SizeUnit.UTF8_BYTES),  # text messages: 2,048
    pacing=Pacing(per_group=RateWindow(20, 60.0), block_seconds=60.0),
    errors=(
        ErrorRule("93000", SendOutcome.RECIPIENT_GONE),  # invalid webhook url
        ErrorRule("45009", SendOutcome.RETRY_AFTER),  # api freq out of limit
        ErrorRule("40058", SendOutcome.FATAL),  # content exceeds the size limit
        ErrorRule("40008", SendOutcome.FATAL),  # invalid message type
        ErrorRule("44004", SendOutcome.FATAL),  # empty content
        ErrorRule("40035", SendOutcome.FATAL),  # invalid parameter
        ErrorRule("-1", SendOutcome.BACKOFF),  # system busy
    ),
    push_only=True,
)


class WeComWire:
    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, bytes]:
        kind = "text" if plain else "markdown"
        return target.webhook, json_body({"msgtype": kind, kind: {"content": chunk}})

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        return int(payload.get("errcode", -1)), str(payload.get("errmsg", ""))


def build(settings: Settings) -> RobotChannel:
    return RobotChannel(PROFILE, KIND, WeComWire())
