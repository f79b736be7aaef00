"""Pacing one channel's outgoing messages under its flood limits, in one process.

Built from the channel's profile (`Pacer.for_pacing(profile.pacing)`); one per channel, shared by
every path that sends on it (interactive replies, edits, digests, alerts, broadcasts). Limits,
each kept with a little headroom because the server counts arrivals, not our send times, and
network jitter can bunch two sends together:

- global: one send every 1 / (rate * headroom) seconds (no bursts: a burst is what earns a 429);
- per chat: at most the profile's per-chat rate, spaced by `chat_margin` times the interval;
- per group (recipients the subscriber record marks as groups): at most N in any window, the
  window lengthened by the same margin but by at most `WINDOW_SLACK` seconds: arrival jitter is
  absolute (milliseconds, a second at worst), so a minute window needs 1 s of slack, not 6 s
  (6 s cost the group robots 9% of their 20-a-minute rate; docs/robots.md).

Who goes first: the global slot is handed to the waiting sender with the lowest priority number
(`core.channels.Priority`: interactive replies before alerts before digests before broadcasts),
first come first served within a priority. So a reply never queues behind a 10,000-digest
fan-out; the fan-out only loses the slots the replies take.

A 429 pauses only the chat it was about (`pause_chat`), not every chat as PTB's AIORateLimiter
does. Time comes from an injectable monotonic function: pacing needs intervals, not dates.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from newsbot.core.channels import Pacing, Priority

DEFAULT_HEADROOM = 0.95
DEFAULT_CHAT_MARGIN = 1.1
SLOWDOWN_FACTOR = 0.8  # pace after a global 429, for SLOWDOWN_SECONDS
SLOWDOWN_SECONDS = 10.0
WINDOW_SLACK = 1.0  # seconds: the most a rate window is lengthened for arrival jitter
UNLIMITED_RATE = 1_000_000.0


@dataclass(order=True)
class _Ticket:
    priority: int
    seq: int
    wake: asyncio.Event = field(compare=False, default_factory=asyncio.Event)


class Pacer:
    def __init__(
        self,
        rate_per_second: float,
        per_chat_per_second: float = 1.0,
        per_group_per_minute: float = 20.0,
        *,
        group_window_seconds: float = 60.0,
        headroom: float = DEFAULT_HEADROOM,
        chat_margin: float = DEFAULT_CHAT_MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / (rate_per_second * headroom)
        self.chat_interval = chat_margin / per_chat_per_second
        self.group_limit = max(1, int(per_group_per_minute))
        slack = min(group_window_seconds * (chat_margin - 1.0), WINDOW_SLACK)
        self.group_window = group_window_seconds + slack
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
        self._waiting: list[_Ticket] = []
        self._seq = itertools.count()
        self.paused_chats = 0

    @classmethod
    def for_pacing(cls, pacing: Pacing, **options: object) -> Pacer:
        """The pacer a channel profile asks for (no limit given: effectively unlimited)."""
        per_chat = pacing.per_chat.per_second if pacing.per_chat else UNLIMITED_RATE
        group = pacing.per_group
        return cls(
            pacing.global_per_second or UNLIMITED_RATE,
            per_chat,
            group.count if group else UNLIMITED_RATE,
            group_window_seconds=group.seconds if group else 60.0,
            **options,  # type: ignore[arg-type]
        )

    def delivered(self, chat_id: str, *, group: bool = False) -> None:
        """The send that acquire() allowed has been answered: the group's window counts it from
        now. The platform counted it somewhere between our acquire and its answer; counting from
        the answer means a request delayed on the way (a starved event loop, a slow network)
        can never make two windows' worth arrive within one window."""
        window = self._groups.get(chat_id) if group else None
        if window:
            window[-1] = max(window[-1], self._monotonic())

    def window_full_for(self, chat_id: str, *, group: bool = False) -> float:
        """Seconds until the group's rate window has room again (0: it has room now)."""
        now = self._monotonic()
        return max(0.0, self._group_ready(chat_id, now) - now) if group else 0.0

    async def chat_ready(self, chat_id: str, *, group: bool = False) -> None:
        """Wait (without holding anything) until the chat's own limits allow a message."""
        while True:
            now = self._monotonic()
            ready = self._ready_at(chat_id, now, group)
            if ready <= now:
                return
            await self._sleep(ready - now)

    async def acquire(
        self, chat_id: str, *, group: bool = False, priority: int = Priority.INTERACTIVE
    ) -> None:
        """Wait for the chat and a global slot (best priority first); the caller then sends."""
        while True:
            await self.chat_ready(chat_id, group=group)
            ticket = _Ticket(int(priority), next(self._seq))
            self._waiting.append(ticket)
            try:
                if await self._take_slot(ticket, chat_id, group):
                    return
            finally:
                self._leave(ticket)

    async def _take_slot(self, ticket: _Ticket, chat_id: str, group: bool) -> bool:
        """True with the slot taken; False when the chat got paused meanwhile (start over)."""
        while True:
            if min(self._waiting) is not ticket:
                ticket.wake.clear()
                await ticket.wake.wait()
                continue
            now = self._monotonic()
            slot = max(now, self._next_slot)
            if slot > now:
                await self._sleep(slot - now)
                continue  # someone better may have arrived while we slept
            if self._ready_at(chat_id, now, group) > now:
                return False  # the chat was paused (429) while we waited for the global slot
            wait = self._window_wait(now)
            if wait > 0:
                # Running late (a stalled loop) must not turn into a burst: the slots we missed
                # are gone, and no 1 s window ever holds more than rate * headroom sends.
                await self._sleep(wait)
                continue
            slow = now < self._slow_until
            self._next_slot = now + (self.interval / SLOWDOWN_FACTOR if slow else self.interval)
            self._sent.append(now)
            self._chat_ready[chat_id] = now + self.chat_interval
            if group:
                self._groups.setdefault(chat_id, deque()).append(now)
            self._forget_idle(now)
            return True

    def _leave(self, ticket: _Ticket) -> None:
        self._waiting.remove(ticket)
        if self._waiting:
            min(self._waiting).wake.set()

    def _ready_at(self, chat_id: str, now: float, group: bool) -> float:
        return max(
            self._chat_ready.get(chat_id, 0.0),
            self._paused_until.get(chat_id, 0.0),
            self._group_ready(chat_id, now) if group else 0.0,
        )

    def _window_wait(self, now: float) -> float:
        sent = self._sent
        while sent and now - sent[0] >= 1.0:
            sent.popleft()
        return sent[0] + 1.0 - now if len(sent) >= self.per_window else 0.0

    def pause_chat(self, chat_id: str, seconds: float) -> None:
        """The platform said retry_after for this chat: nothing goes to it before then.

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

    def _forget_idle(self, now: float) -> None:
        """Keep memory flat during a 10,000-chat fan-out: drop chats whose spacing has passed."""
        if len(self._chat_ready) > 4096:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        if len(self._paused_until) > 4096:
            self._paused_until = {c: t for c, t in self._paused_until.items() if t > now}
