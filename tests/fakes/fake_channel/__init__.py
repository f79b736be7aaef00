"""A whole new channel in a few lines: a group robot with byte limits and a 10-minute block.

Nothing outside this package changes to add it, except the one registry line (the test passes
`(*newsbot.app.CHANNELS, "fakes.fake_channel")`). Its profile is what a DingTalk-like robot
needs: markdown within 600 UTF-8 bytes, 20 messages a minute per recipient, a 600 s block
when that is exceeded, and errcodes classified as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsbot.config import Settings
from newsbot.core.channels import (
    ChannelProfile,
    Dialect,
    ErrorRule,
    Limits,
    Outbound,
    Pacing,
    RateWindow,
    SendOutcome,
    SizeUnit,
    classify,
)
from newsbot.errors import SendError
from newsbot.front.routes import Route
from newsbot.ports import ChannelContext

PROFILE = ChannelProfile(
    name="fake",
    dialect=Dialect.MARKDOWN,
    limits=Limits(600, SizeUnit.UTF8_BYTES),
    pacing=Pacing(per_chat=RateWindow(20, 60.0), block_seconds=600.0),
    errors=(
        ErrorRule("130101", SendOutcome.RETRY_AFTER),  # "send too fast"
        ErrorRule("45015", SendOutcome.HOLD_UNTIL_CONTACT),  # "response out of time limit"
        ErrorRule("310000", SendOutcome.RECIPIENT_GONE),  # robot removed
    ),
    reply_window_hours=48,
)


@dataclass
class FakeSender:
    sent: list[Outbound] = field(default_factory=list)
    fail_with: dict[str, str] = field(default_factory=dict)  # recipient -> errcode

    async def send(self, message: Outbound) -> str:
        code = self.fail_with.get(message.recipient)
        if code is not None:
            outcome = classify(PROFILE.errors, [code], default=SendOutcome.BACKOFF)
            raise SendError(message.recipient, f"errcode {code}", outcome)
        self.sent.append(message)
        return str(len(self.sent))


class FakeChannel:
    name = "fake"
    profile = PROFILE
    configured = True

    def __init__(self) -> None:
        self.sender = FakeSender()
        self.context: ChannelContext | None = None

    def routes(self, context: ChannelContext) -> list[Route]:
        return []  # a robot only pushes

    async def start(self, context: ChannelContext) -> None:
        self.context = context

    async def stop(self) -> None:
        self.context = None


def build(settings: Settings) -> FakeChannel:
    return FakeChannel()
