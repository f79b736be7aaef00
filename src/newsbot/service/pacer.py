"""Pacing one channel's outgoing messages under its flood limits, in one process.

Built from the channel's profile (`Pacer.for_pacing(profile.pacing)`); one per channel, shared by
every path that sends on it (interactive replies, edits, digests, alerts, broadcasts). Limits:

- global: one send every 1 / (rate * headroom) seconds, on a grid (no bursts: a burst is what
  earns a 429). A sender that takes its slot a little late (a busy event loop) does not shift
  the grid: the next slot stays where it was, so lateness of up to one interval is made up
  instead of being lost on every message (that lost 0.2 of the configured rate on a busy CPU).
  After an idle spell or a longer stall the grid restarts from now: missed slots are never
  caught up in a burst, and no 1 s window ever holds more than rate * headroom sends;
- per recipient (`per_chat`) and, for recipients the subscriber record marks as groups,
  `per_group`: at most N in any window of W seconds, the platform's own rule. Each send is
  counted from its *answer* (`delivered`): the platform counted it somewhere between our acquire
  and its answer, so a request delayed on the way (a starved event loop, a slow network) can
  never put N+1 arrivals into one window. Counting from the answer makes arrival jitter harmless,
  so a window is lengthened only by `WINDOW_SLACK` (2%, at most 1 s) for clock granularity.
  A true window (not a spacing of W/N) lets a robot allowed 5 a second send its 5 back to back
  and then wait, so it reaches its cap instead of 0.9 of it. Safe whichever way the platform
  counts: N in any sliding window of W seconds also means N in any calendar window of W.
  The global limit is kept the same way as well: at most `rate` sends in any second counted from
  their answers (the grid keeps the pace at rate * headroom; this window makes a 429 from
  bunched arrivals impossible, where the 5% headroom only made it unlikely).

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
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from newsbot.core.channels import Pacing, Priority, RateWindow

DEFAULT_HEADROOM = 0.95
SLOWDOWN_FACTOR = 0.8  # pace after a global 429, for SLOWDOWN_SECONDS
SLOWDOWN_SECONDS = 10.0
WINDOW_SLACK = 0.02  # a rate window is lengthened by 2% of itself ...
WINDOW_SLACK_MAX = 1.0  # ... but by at most 1 s (20 a minute: 61 s)
UNLIMITED_RATE = 1_000_000.0
FORGET_AFTER = 4096  # recipients remembered before the idle ones are dropped


@dataclass(order=True)
class _Ticket:
    priority: int
    seq: int
    wake: asyncio.Event = field(compare=False, default_factory=asyncio.Event)


class _Stamp:
    """When one send counts in a recipient's windows: its acquire, then its answer."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


@dataclass(frozen=True, slots=True)
class Grant:
    """What acquire() returns: hand it to delivered() when the platform has answered."""

    stamps: tuple[_Stamp, ...] = ()


class _Window:
    """At most `limit` sends to one recipient in any `span` seconds (span includes the slack)."""

    __slots__ = ("limit", "span", "stamps")

    def __init__(self, rule: RateWindow) -> None:
        self.limit = max(1, int(rule.count))
        self.span = rule.seconds + min(rule.seconds * WINDOW_SLACK, WINDOW_SLACK_MAX)
        self.stamps: dict[str, deque[_Stamp]] = {}

    def ready_at(self, chat_id: str, now: float) -> float:
        stamps = self.stamps.get(chat_id)
        if not stamps or len(stamps) < self.limit:
            return 0.0
        live = deque(s for s in stamps if now - s.at < self.span)  # answers may reorder them
        if len(live) < self.limit:
            self.stamps[chat_id] = live
            return 0.0
        times = sorted(s.at for s in live)
        return times[len(times) - self.limit] + self.span

    def record(self, chat_id: str, now: float) -> _Stamp:
        stamp = _Stamp(now)
        stamps = self.stamps.setdefault(chat_id, deque())
        stamps.append(stamp)
        if len(stamps) > self.limit:  # the earliest is out of every window that still matters
            stamps.remove(min(stamps, key=lambda x: x.at))
        return stamp

    def last(self, chat_id: str) -> float | None:
        stamps = self.stamps.get(chat_id)
        return max(s.at for s in stamps) if stamps else None

    def forget_idle(self, now: float) -> None:
        if len(self.stamps) > FORGET_AFTER:
            self.stamps = {
                c: s for c, s in self.stamps.items() if any(now - x.at < self.span for x in s)
            }


class Pacer:
    """One channel's pacing: `rate_per_second` globally, `per_chat` for every recipient and
    `per_group` also for groups (None: no such limit)."""

    def __init__(
        self,
        rate_per_second: float,
        per_chat: RateWindow | None = None,
        per_group: RateWindow | None = None,
        *,
        headroom: float = DEFAULT_HEADROOM,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate_per_second
        self.headroom = headroom
        self.shares = 1  # this process paces at rate / shares (core/shares.py)
        self.interval = 1.0 / (rate_per_second * headroom)
        # The platform's own global limit, counted from the answers like a recipient's: at most
        # `rate` arrivals in any second, whatever the jitter (the spacing above keeps the pace).
        limited = rate_per_second < UNLIMITED_RATE
        self.global_window = _Window(RateWindow(int(rate_per_second), 1.0)) if limited else None
        self.chat_window = _Window(per_chat) if per_chat else None
        self.group_window = _Window(per_group) if per_group else None
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot = 0.0
        self.per_window = max(1, int(rate_per_second * headroom))
        self._slow_until = 0.0
        self.slowdowns = 0
        self._sent: deque[float] = deque()
        self._paused_until: dict[str, float] = {}
        self._waiting: list[_Ticket] = []
        self._seq = itertools.count()
        self.paused_chats = 0

    @classmethod
    def for_pacing(cls, pacing: Pacing, **options: object) -> Pacer:
        """The pacer a channel profile asks for (no limit given: effectively unlimited)."""
        return cls(
            pacing.global_per_second or UNLIMITED_RATE,
            pacing.per_chat,
            pacing.per_group,
            **options,  # type: ignore[arg-type]
        )

    def share(self, shares: int) -> None:
        """Pace at 1/shares of the channel's rate: `shares` processes send on one bot token or
        app (partitioned sending, core/shares.py); 1 is the whole rate, as built.

        Each process keeps at most floor(rate / shares) answers in any second, so together they
        never pass the rate. The send-time window counts what the slower grid itself places in a
        second (rounded up, not down: truncating 7.9 to 7 would cost a small share an eighth of
        its rate); the answer window above stays the hard limit.
        """
        shares = max(1, shares)
        if shares == self.shares:
            return
        self.shares = shares
        rate = self.rate / shares
        self.interval = 1.0 / (rate * self.headroom)
        if self.global_window is not None:
            self.global_window.limit = max(1, int(rate))
        if shares == 1:
            self.per_window = max(1, int(rate * self.headroom))
        else:
            self.per_window = max(1, math.ceil(rate * self.headroom))

    def sent_elsewhere(self, chat_id: str, seconds_ago: float, *, group: bool = False) -> None:
        """Another process sent to this recipient `seconds_ago` (its answer, as recorded): count
        it in the recipient's windows, as if sent here (a chat changing hands keeps its limits).
        The global window is not touched: that process's sends are in its own share of the rate."""
        at = self._monotonic() - max(0.0, seconds_ago)
        if self.chat_window is not None:
            self.chat_window.record(chat_id, at)
        if group and self.group_window is not None:
            self.group_window.record(chat_id, at)

    def delivered(self, grant: Grant) -> None:
        """The send that acquire() allowed has been answered: the recipient's windows count it
        from now (see the module docstring: a late arrival cannot crowd a window)."""
        now = self._monotonic()
        for stamp in grant.stamps:
            stamp.at = max(stamp.at, now)

    def window_full_for(self, chat_id: str, *, group: bool = False) -> float:
        """Seconds until the recipient's rate windows have room again (0: room now)."""
        now = self._monotonic()
        return max(0.0, self._window_ready(chat_id, now, group) - now)

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
    ) -> Grant:
        """Wait for the chat and a global slot (best priority first); the caller then sends,
        and gives the grant to delivered() once the platform answered."""
        while True:
            await self.chat_ready(chat_id, group=group)
            ticket = _Ticket(int(priority), next(self._seq))
            self._waiting.append(ticket)
            try:
                grant = await self._take_slot(ticket, chat_id, group)
                if grant is not None:
                    return grant
            finally:
                self._leave(ticket)

    async def _take_slot(self, ticket: _Ticket, chat_id: str, group: bool) -> Grant | None:
        """The grant with the slot taken; None when the chat got paused meanwhile (start over)."""
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
                return None  # the chat was paused (429) while we waited for the global slot
            wait = max(self._window_wait(now), self._global_ready(now) - now)
            if wait > 0:
                # Running late (a stalled loop) must not turn into a burst: the slots we missed
                # are gone, and no 1 s window ever holds more than rate * headroom sends.
                await self._sleep(wait)
                continue
            slow = now < self._slow_until
            interval = self.interval / SLOWDOWN_FACTOR if slow else self.interval
            # taken less than one interval late: keep the grid (the lateness is made up);
            # later than that (idle, or a long stall): start the grid again from now
            late = now - self._next_slot
            self._next_slot = (self._next_slot if late <= interval else now) + interval
            self._sent.append(now)
            return self._record(chat_id, now, group)

    def _global_ready(self, now: float) -> float:
        return self.global_window.ready_at("", now) if self.global_window is not None else 0.0

    def _record(self, chat_id: str, now: float, group: bool) -> Grant:
        stamps = []
        if self.global_window is not None:
            stamps.append(self.global_window.record("", now))
        if self.chat_window is not None:
            stamps.append(self.chat_window.record(chat_id, now))
            self.chat_window.forget_idle(now)
        if group and self.group_window is not None:
            stamps.append(self.group_window.record(chat_id, now))
            self.group_window.forget_idle(now)
        if len(self._paused_until) > FORGET_AFTER:
            self._paused_until = {c: t for c, t in self._paused_until.items() if t > now}
        return Grant(tuple(stamps))

    def _leave(self, ticket: _Ticket) -> None:
        self._waiting.remove(ticket)
        if self._waiting:
            min(self._waiting).wake.set()

    def _ready_at(self, chat_id: str, now: float, group: bool) -> float:
        return max(self._paused_until.get(chat_id, 0.0), self._window_ready(chat_id, now, group))

    def _window_ready(self, chat_id: str, now: float, group: bool) -> float:
        ready = 0.0
        if self.chat_window is not None:
            ready = self.chat_window.ready_at(chat_id, now)
        if group and self.group_window is not None:
            ready = max(ready, self.group_window.ready_at(chat_id, now))
        return ready

    def _window_wait(self, now: float) -> float:
        sent = self._sent
        while sent and now - sent[0] >= 1.0:
            sent.popleft()
        return sent[0] + 1.0 - now if len(sent) >= self.per_window else 0.0

    def pause_chat(self, chat_id: str, seconds: float) -> None:
        """The platform said retry_after for this chat: nothing goes to it before then.

        If the chat had not been sent to within its own window, the 429 can only be about the
        global rate (arrivals bunched by jitter): slow everything down by a fifth for
        `SLOWDOWN_SECONDS` as well, then return to the configured pace.
        """
        now = self._monotonic()
        until = now + max(0.0, seconds)
        if until > self._paused_until.get(chat_id, 0.0):
            self._paused_until[chat_id] = until
            self.paused_chats += 1
        window = self.chat_window
        last = window.last(chat_id) if window is not None else None
        if window is None or last is None or now - last > window.span:
            self._slow_until = now + SLOWDOWN_SECONDS
            self.slowdowns += 1
