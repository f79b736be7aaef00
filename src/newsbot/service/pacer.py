"""Pacing outgoing messages under Telegram's flood limits, in one process.

Three limits, each kept with a little headroom because the server counts arrivals, not our send
times, and network jitter can bunch two sends together:

- global: one send every 1 / (rate * headroom) seconds (no bursts: a burst is what earns a 429);
- per chat: at most `per_chat_per_second`, spaced by `chat_margin` times the interval;
- per group (negative chat ids): at most `per_group_per_minute` in any 60 s * `chat_margin`.

A 429 pauses only the chat it was about (`pause_chat`), not every chat as PTB's AIORateLimiter
does. Global slots are reserved in FIFO order before sleeping, so many concurrent senders share
the rate fairly. Time comes from an injectable monotonic function: pacing needs intervals, not
wall-clock dates.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

DEFAULT_HEADROOM = 0.95
DEFAULT_CHAT_MARGIN = 1.1
SLOWDOWN_FACTOR = 0.8  # pace after a global 429, for SLOWDOWN_SECONDS
SLOWDOWN_SECONDS = 10.0


class Pacer:
    def __init__(
        self,
        rate_per_second: float,
        per_chat_per_second: float = 1.0,
        per_group_per_minute: float = 20.0,
        *,
        headroom: float = DEFAULT_HEADROOM,
        chat_margin: float = DEFAULT_CHAT_MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / (rate_per_second * headroom)
        self.chat_interval = chat_margin / per_chat_per_second
        self.group_limit = max(1, int(per_group_per_minute))
        self.group_window = 60.0 * chat_margin
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot = 0.0
        self.per_window = max(1, int(rate_per_second * headroom))
        self._slow_until = 0.0
        self.slowdowns = 0
        self._sent: deque[float] = deque()
        self._chat_ready: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}
        self._groups: dict[str, deque[float]] = {}
        self.paused_chats = 0

    async def chat_ready(self, chat_id: str) -> None:
        """Wait (without holding anything) until the chat's own limits allow a message."""
        while True:
            now = self._monotonic()
            ready = self._ready_at(chat_id, now)
            if ready <= now:
                return
            await self._sleep(ready - now)

    async def acquire(self, chat_id: str) -> None:
        """Wait for the chat and a global slot; the caller then sends at once."""
        while True:
            await self.chat_ready(chat_id)
            now = self._monotonic()
            slot = max(now, self._next_slot)
            slow = slot < self._slow_until
            self._next_slot = slot + (self.interval / SLOWDOWN_FACTOR if slow else self.interval)
            if slot > now:
                await self._sleep(slot - now)
            now = self._monotonic()
            if self._ready_at(chat_id, now) > now:
                continue  # the chat was paused (429) while we waited for the global slot
            wait = self._window_wait(now)
            if wait > 0:
                # Running late (a stalled loop) must not turn into a burst: the slots we missed
                # are gone, and no 1 s window ever holds more than rate * headroom sends.
                await self._sleep(wait)
                continue
            self._sent.append(now)
            self._chat_ready[chat_id] = now + self.chat_interval
            self._record_group(chat_id, now)
            self._forget_idle(now)
            return

    def _ready_at(self, chat_id: str, now: float) -> float:
        return max(
            self._chat_ready.get(chat_id, 0.0),
            self._paused_until.get(chat_id, 0.0),
            self._group_ready(chat_id, now),
        )

    def _window_wait(self, now: float) -> float:
        sent = self._sent
        while sent and now - sent[0] >= 1.0:
            sent.popleft()
        return sent[0] + 1.0 - now if len(sent) >= self.per_window else 0.0

    def pause_chat(self, chat_id: str, seconds: float) -> None:
        """Telegram said retry_after for this chat: nothing goes to it before then.

        If the chat had not been sent to for longer than its own spacing, the 429 can only be
        about the global rate (arrivals bunched by jitter): slow everything down by a fifth for
        `SLOWDOWN_SECONDS` as well, then return to the configured pace.
        """
        now = self._monotonic()
        until = now + max(0.0, seconds)
        if until > self._paused_until.get(chat_id, 0.0):
            self._paused_until[chat_id] = until
            self.paused_chats += 1
        last = self._chat_ready.get(chat_id, 0.0) - self.chat_interval
        if now - last > self.chat_interval:
            self._slow_until = now + SLOWDOWN_SECONDS
            self.slowdowns += 1

    def _group_ready(self, chat_id: str, now: float) -> float:
        window = self._groups.get(chat_id)
        if window is None:
            return 0.0
        while window and now - window[0] >= self.group_window:
            window.popleft()
        return window[0] + self.group_window if len(window) >= self.group_limit else 0.0

    def _record_group(self, chat_id: str, slot: float) -> None:
        if chat_id.startswith("-"):
            self._groups.setdefault(chat_id, deque()).append(slot)

    def _forget_idle(self, now: float) -> None:
        """Keep memory flat during a 10,000-chat fan-out: drop chats whose spacing has passed."""
        if len(self._chat_ready) > 4096:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        if len(self._paused_until) > 4096:
            self._paused_until = {c: t for c, t in self._paused_until.items() if t > now}
