"""When to poll a source next, pure: `now` and the random source are passed in.

    success: delay = max(interval, min(max_age, cap), retry_after)
    failure: delay = max(min(base * 2 ** (failures - 1), cap), retry_after)
    then:    delay *= 1 + jitter * random()        (jitter only ever lengthens the wait)

Jitter spreads sources that started together so they do not hit the portal in lock-step; it
only lengthens the delay so that an origin's Retry-After is never undercut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """The knobs of polling.* that the schedule depends on."""

    interval_seconds: float = 900.0
    backoff_base_seconds: float = 60.0
    backoff_max_seconds: float = 6 * 3600.0
    jitter: float = 0.1


def backoff_seconds(failures: int, policy: PollPolicy) -> float:
    """Exponential backoff for `failures` consecutive failures (>= 1), capped."""
    exponent = min(max(failures, 1) - 1, 60)  # 2**60 is past any cap; avoids huge floats
    return float(min(policy.backoff_base_seconds * 2**exponent, policy.backoff_max_seconds))


def poll_delay(
    policy: PollPolicy,
    *,
    failures: int = 0,
    retry_after: float | None = None,
    max_age: float | None = None,
    interval: float | None = None,
    rand: Callable[[], float],
) -> float:
    """Seconds to wait before the next poll; `failures` counts consecutive failures so far
    (0 after a success)."""
    if failures > 0:
        delay = backoff_seconds(failures, policy)
    else:
        delay = float(interval if interval is not None else policy.interval_seconds)
        if max_age is not None and max_age > 0:
            # Polling before the response goes stale cannot find anything new.
            delay = max(delay, min(max_age, policy.backoff_max_seconds))
    if retry_after is not None and retry_after > 0:
        delay = max(delay, retry_after)
    return delay * (1.0 + policy.jitter * min(max(rand(), 0.0), 1.0))


def next_poll_at(
    now: datetime,
    policy: PollPolicy,
    *,
    failures: int = 0,
    retry_after: float | None = None,
    max_age: float | None = None,
    interval: float | None = None,
    rand: Callable[[], float],
) -> datetime:
    """The time of the next poll, `now` plus `poll_delay`."""
    delay = poll_delay(
        policy,
        failures=failures,
        retry_after=retry_after,
        max_age=max_age,
        interval=interval,
        rand=rand,
    )
    return now + timedelta(seconds=delay)


@dataclass(slots=True)
class TimeBudget:
    """Seconds of request time one source may spend in one poll (polling.source_budget_seconds).

    The fetcher reports when each request starts running (after it got its slots: queueing is
    free, so a source waiting behind a big cycle loses nothing) and when it ends; requests still
    running count too, so two concurrent requests of a source cannot both be let through by a
    budget that one of them has already used. Once spent, the source's further requests are
    refused: twenty slow-drip links end after about budget / per-host concurrency seconds
    instead of twenty request deadlines, and their rest waits for the next poll. `now` values are
    any monotonic clock's seconds, passed in (the core reads no clock)."""

    seconds: float
    spent: float = 0.0
    running: dict[int, float] = field(default_factory=dict)  # ticket -> start
    _tickets: int = 0

    def remaining(self, now: float) -> float:
        return self.seconds - self.spent - sum(now - start for start in self.running.values())

    def exhausted(self, now: float) -> bool:
        return self.remaining(now) <= 0

    def begin(self, now: float) -> int:
        self._tickets += 1
        self.running[self._tickets] = now
        return self._tickets

    def end(self, ticket: int, now: float) -> None:
        start = self.running.pop(ticket, now)
        self.spent += max(0.0, now - start)
