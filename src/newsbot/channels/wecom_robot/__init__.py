"""The WeCom (企业微信) group robot: POST {"msgtype": "markdown"} to .../webhook/send?key=KEY.

Limits and codes are cited in docs/robots.md: markdown content at most 4,096 bytes, text 2,048;
20 messages per minute per robot; 93000 invalid webhook url (the robot was removed or the key is
wrong), 45009 api freq out of limit, 40058 content too long, -1 system busy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newsbot.channels.robots.profile import CodeRule, Outcome, RobotProfile
from newsbot.channels.robots.sender import RobotDirectory, RobotSender
from newsbot.core.groups import RobotTarget
from newsbot.core.robot_render import WECOM_MARKDOWN_BYTES, WECOM_TEXT_BYTES, render_wecom_robot
from newsbot.ports import Clock

PROFILE = RobotProfile(
    name="wecom_robot",
    kind="wecom",
    render=render_wecom_robot,
    max_bytes=WECOM_MARKDOWN_BYTES,
    size_of="content",
    windows=((20, 60.0),),
    retry_after=60.0,
    rules=(
        CodeRule(93000, Outcome.RECIPIENT_GONE),  # invalid webhook url
        CodeRule(45009, Outcome.RETRY_AFTER),  # api freq out of limit
        CodeRule(40058, Outcome.FATAL),  # content exceeds the size limit
        CodeRule(40008, Outcome.FATAL),  # invalid message type
        CodeRule(44004, Outcome.FATAL),  # empty content
        CodeRule(40035, Outcome.FATAL),  # invalid parameter
        CodeRule(-1, Outcome.BACKOFF),  # system busy
    ),
    text_max_bytes=WECOM_TEXT_BYTES,
)


class WeComWire:
    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        kind = "text" if plain else "markdown"
        return target.webhook, {"msgtype": kind, kind: {"content": chunk}}

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        return int(payload.get("errcode", -1)), str(payload.get("errmsg", ""))


def build_sender(directory: RobotDirectory, *, clock: Clock | None = None) -> RobotSender:
    return RobotSender(PROFILE, WeComWire(), directory, clock=clock)
