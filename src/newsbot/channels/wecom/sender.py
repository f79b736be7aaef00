"""One rendered chunk to one WeCom member by the app message API (ports.ChannelSender).

The profile's pacer keeps each member under 30 messages a minute; the hourly and daily limits
are kept here, because WeCom drops what exceeds them without an error: a member's 1,001st
message within an hour, or the app's sends past its daily quota (account limit x 200), are
postponed (RETRY_AFTER until the window has room) instead of being lost. Digests and alerts ask
WeCom's own duplicate check (enable_duplicate_check) too, so a chunk resent after a crash within
30 minutes is not shown twice. Errors are classified by errcode with the profile's rules.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from newsbot.channels.wecom.api import WeComApi, WeComApiError, WeComUnreachable
from newsbot.channels.wecom.profile import ERROR_RULES, LIMITS, WeComLimits
from newsbot.core.channels import Kind, LinkCard, Outbound, SendOutcome, classify
from newsbot.errors import SendError

DEDUPE_KINDS = frozenset({Kind.DIGEST, Kind.ALERT, Kind.BROADCAST})
DUPLICATE_CHECK_SECONDS = 1800
QUOTA_DAY_ZONE = ZoneInfo("Asia/Shanghai")  # WeCom's daily quotas follow China's calendar day


class SendQuota:
    """The app's hourly per-member and daily limits, counted in this process."""

    def __init__(
        self,
        limits: WeComLimits = LIMITS,
        account_limit: int = 0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        today: Callable[[], str] = lambda: datetime.now(QUOTA_DAY_ZONE).date().isoformat(),
    ) -> None:
        self.per_hour = limits.member_per_hour
        self.daily = account_limit * limits.daily_per_account if account_limit else None
        self._monotonic = monotonic
        self._today = today
        self._recent: dict[str, deque[float]] = {}
        self._day = ""
        self._sent_today = 0

    def wait_for(self, member: str) -> float:
        """Seconds until `member` may get another message (0: now)."""
        now = self._monotonic()
        if self.daily is not None:
            if self._today() != self._day:
                self._day, self._sent_today = self._today(), 0
            if self._sent_today >= self.daily:
                return _seconds_to_midnight()
        window = self._recent.get(member)
        if window is None:
            return 0.0
        while window and now - window[0] >= 3600.0:
            window.popleft()
        return window[0] + 3600.0 - now if len(window) >= self.per_hour else 0.0

    def count(self, member: str) -> None:
        self._recent.setdefault(member, deque()).append(self._monotonic())
        self._sent_today += 1
        if len(self._recent) > 4096:  # keep memory flat in a large fan-out
            now = self._monotonic()
            self._recent = {m: w for m, w in self._recent.items() if w and now - w[-1] < 3600}


def _seconds_to_midnight() -> float:
    now = datetime.now(QUOTA_DAY_ZONE)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
    return (midnight - now).total_seconds()


class WeComSender:
    def __init__(
        self,
        api: WeComApi,
        *,
        markdown: bool = False,
        quota: SendQuota | None = None,
        limits: WeComLimits = LIMITS,
    ) -> None:
        self.api = api
        self.markdown = markdown
        self.quota = quota or SendQuota(limits)
        self.limits = limits

    async def send(self, message: Outbound) -> str:
        member = message.recipient
        wait = self.quota.wait_for(member)
        if wait > 0:
            raise SendError(
                member, "wecom quota reached", SendOutcome.RETRY_AFTER, retry_after=wait
            )
        try:
            answer = await self.api.send(self.body(message))
        except WeComApiError as exc:
            raise self._error(member, exc) from None
        except WeComUnreachable as exc:
            raise SendError(member, str(exc), SendOutcome.BACKOFF) from None
        self.quota.count(member)
        if member in str(answer.get("invaliduser", "")).split("|"):
            raise SendError(member, "wecom: invaliduser", SendOutcome.RECIPIENT_GONE)
        return str(answer.get("msgid") or "ok")

    def body(self, message: Outbound) -> dict[str, Any]:
        body: dict[str, Any] = {"touser": message.recipient}
        if message.card is not None and not message.plain:
            body.update(msgtype="textcard", textcard=self._textcard(message.card))
        else:
            kind = "markdown" if self.markdown and not message.plain else "text"
            body.update({"msgtype": kind, kind: {"content": message.text}})
        if message.kind in DEDUPE_KINDS:
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = DUPLICATE_CHECK_SECONDS
        return body

    def _textcard(self, card: LinkCard) -> dict[str, str]:
        """The digest's card: its title and first titles (cut at a character to WeCom's byte
        limits; the whole digest is on the page it links to)."""
        return {
            "title": fit_bytes(card.title, self.limits.card_title_bytes),
            "description": fit_bytes(card.description, self.limits.card_description_bytes),
            "url": card.url,
            "btntxt": "阅读全文",
        }

    def _error(self, member: str, exc: WeComApiError) -> SendError:
        outcome = classify(ERROR_RULES, [str(exc.errcode)], exc.errmsg, SendOutcome.BACKOFF)
        retry_after = self.limits.rate_block_seconds if outcome is SendOutcome.RETRY_AFTER else None
        reason = f"wecom {exc.errcode}: {exc.errmsg[:120]}"
        return SendError(member, reason, outcome, retry_after=retry_after)


def fit_bytes(text: str, limit: int) -> str:
    """`text` within `limit` UTF-8 bytes, cut between characters with "…" when too long."""
    if len(text.encode("utf-8")) <= limit:
        return text
    budget = limit - len("…".encode())
    cut = text.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut + "…"
