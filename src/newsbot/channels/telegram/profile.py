"""Telegram as data: HTML, 4096 UTF-16 units, 100 entities, flood limits, error rules.

The rates come from `[delivery]` (rate_per_second, per_chat_per_second, per_group_per_minute):
Telegram publishes no exact limits, so operators tune them. Errors are classified by PTB's
exception class (the most specific first) and, for BadRequest, a marker in the description
matched case-insensitively (PTB rewrites and capitalises parts of messages).
"""

from __future__ import annotations

from newsbot.config import DeliverySettings
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
from newsbot.core.render import TELEGRAM_LIMIT, TELEGRAM_MAX_ENTITIES

NAME = "telegram"
_GONE = (
    "chat not found",
    "user is deactivated",
    "bot was blocked",
    "bot was kicked",
    "bot can't initiate",
    "peer_id_invalid",
    "have no rights to send",
    "not enough rights",
)
ERROR_RULES: tuple[ErrorRule, ...] = (
    ErrorRule("RetryAfter", SendOutcome.RETRY_AFTER),
    ErrorRule("ChatMigrated", SendOutcome.RECIPIENT_MOVED),
    ErrorRule("Forbidden", SendOutcome.RECIPIENT_GONE),
    ErrorRule("BadRequest", SendOutcome.BAD_MARKUP, "can't parse entities"),
    ErrorRule("BadRequest", SendOutcome.BAD_MARKUP, "can not parse entities"),
    *(ErrorRule("BadRequest", SendOutcome.RECIPIENT_GONE, marker) for marker in _GONE),
    ErrorRule("BadRequest", SendOutcome.FATAL),
    ErrorRule("TimedOut", SendOutcome.BACKOFF),
    ErrorRule("NetworkError", SendOutcome.BACKOFF),  # 5xx and connection errors
    # InvalidToken, Conflict, EndPointNotFound ...: retrying will not help (the default, FATAL)
)


def telegram_profile(delivery: DeliverySettings) -> ChannelProfile:
    return ChannelProfile(
        name=NAME,
        dialect=Dialect.TELEGRAM_HTML,
        limits=Limits(TELEGRAM_LIMIT, SizeUnit.UTF16, max_entities=TELEGRAM_MAX_ENTITIES),
        pacing=Pacing(
            global_per_second=delivery.rate_per_second,
            per_chat=RateWindow(1, 1.0 / delivery.per_chat_per_second),
            per_group=RateWindow(int(delivery.per_group_per_minute), 60.0),
        ),
        errors=ERROR_RULES,
        can_edit=True,
        buttons=True,
    )
