"""A robot platform's rules as data: sizes, rate windows, and what each error code means."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from newsbot.core.replies import Message


class Outcome(StrEnum):
    """What a platform answer means for the outbox."""

    SENT = "sent"
    RETRY_AFTER = "retry_after"  # flood control: wait, then send again (no attempt used)
    BACKOFF = "backoff"  # 5xx, system busy, network: exponential backoff
    RECIPIENT_GONE = "recipient_gone"  # key/token revoked, signature refused: pause the group
    FATAL = "fatal"  # this message will never be accepted (size, format): fail the row


@dataclass(frozen=True, slots=True)
class CodeRule:
    """`code` as the platform returns it; `contains` narrows a coarse code by its message."""

    code: int
    outcome: Outcome
    contains: str = ""


@dataclass(frozen=True, slots=True)
class RobotProfile:
    name: str  # the channel name (subscribers.channel)
    kind: str  # the group kind operators type (--kind)
    render: Callable[[Message], list[str]]
    max_bytes: int  # what the renderer keeps each chunk within (content or body, see `size_of`)
    size_of: str  # what the platform counts: "content" bytes or the whole "body"
    windows: tuple[tuple[int, float], ...]  # per robot: at most `count` messages in `seconds`
    retry_after: float  # how long to wait after a rate-limit answer (DingTalk: its 10-min block)
    rules: tuple[CodeRule, ...]
    unknown: Outcome = Outcome.BACKOFF  # codes not listed: retried a few times, then failed
    text_max_bytes: int | None = None  # the plain `text` message type's limit, if different

    def classify(self, code: int, message: str = "") -> Outcome:
        if code == 0:
            return Outcome.SENT
        return classify(self.rules, code, message, self.unknown)


def classify(rules: Sequence[CodeRule], code: int, message: str, default: Outcome) -> Outcome:
    lowered = message.lower()
    for rule in rules:
        if rule.code == code and (not rule.contains or rule.contains in lowered):
            return rule.outcome
    return default
