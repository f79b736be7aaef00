"""The fake Bot API's rules: error answers, failures on demand, flood control, text checks."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

try:  # tests/ is on sys.path under pytest; benchmarks may import tests.fakes.* instead
    from fakes.telegram_html import MAX_TEXT_UTF16, HtmlParseError, parse_telegram_html, utf16_len
except ImportError:  # pragma: no cover
    from tests.fakes.telegram_html import (
        MAX_TEXT_UTF16,
        HtmlParseError,
        parse_telegram_html,
        utf16_len,
    )


class ApiError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class RateLimits:
    """Telegram-like flood control: 429 past any of these."""

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    group_per_minute: float = 20.0


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None
    migrate_to: int | None
    count: int | None

    def answer(self) -> ApiError:
        params: dict[str, Any] = {}
        if self.retry_after is not None:
            params["retry_after"] = self.retry_after
        if self.migrate_to is not None:
            params["migrate_to_chat_id"] = self.migrate_to
        return ApiError(self.status, self.description, params or None)


@dataclass
class Stats:
    requests: int = 0
    sent: int = 0
    too_many: int = 0
    rejected: int = 0
    by_method: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class RateLimiter:
    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.global_window: deque[float] = deque()
        self.chat_last: dict[str, float] = {}
        self.group_window: dict[str, deque[float]] = defaultdict(deque)

    def check(self, chat_id: str, now: float) -> None:
        """Raise a 429 ApiError if this send would pass a limit; else record it."""
        window = self.global_window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.limits.global_per_second:
            raise too_many(1.0 - (now - window[0]))
        interval = 1.0 / self.limits.per_chat_per_second
        last = self.chat_last.get(chat_id)
        if last is not None and now - last < interval:
            raise too_many(interval - (now - last))
        if chat_id.startswith("-"):
            group = self.group_window[chat_id]
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= self.limits.group_per_minute:
                raise too_many(60.0 - (now - group[0]))
            group.append(now)
        window.append(now)
        self.chat_last[chat_id] = now


def too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def validated_text(params: dict[str, Any]) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    plain = text
    mode = str(params.get("parse_mode") or "").upper()
    if mode == "HTML":
        try:
            plain = parse_telegram_html(text)
        except HtmlParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    elif mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r} in this fake")
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(plain) > MAX_TEXT_UTF16:
        raise ApiError(400, "Bad Request: message is too long")
    return plain
