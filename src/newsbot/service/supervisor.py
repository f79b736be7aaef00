"""Supervision of the outside systems `newsbot run` depends on: the channels and the database.

One object keeps the condition of each component ("database", "channel:telegram") and decides
when to try again: a component that failed is retried after 1, 2, 4 ... seconds, at most
`supervision.backoff_cap_seconds`, while everything else keeps working. Each failure is one
line in the log (the reason, never a traceback: these are the world's faults, not ours); a
return is one line too. /healthz reads the conditions (health.py), so it says what is down and
why. Decisions: docs/operations.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newsbot.core.schedule import backoff_delay
from newsbot.errors import ConfigError, StorageError
from newsbot.ports import ChannelContext, Clock, Database, SystemClock
from newsbot.service.channels import ChannelRegistry

log = logging.getLogger("newsbot.supervisor")
DATABASE = "database"


def channel_component(name: str) -> str:
    return f"channel:{name}"


@dataclass(frozen=True, slots=True)
class Condition:
    """One component as last seen: up or down (with the reason), since when, failures in a row."""

    component: str
    up: bool
    reason: str = ""
    since: datetime | None = None
    failures: int = 0
    retry_at: datetime | None = None


def reason_of(exc: BaseException) -> str:
    """One short line naming what went wrong (the exception's class and its first line); for a
    storage error, of the driver's error it was translated from."""
    while isinstance(exc, StorageError) and exc.__cause__ is not None:
        exc = exc.__cause__
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
    return text[:300]


class Supervisor:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        backoff_cap: float = 300.0,
        database: Database | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.database = database
        self.backoff_cap = backoff_cap
        self._conditions: dict[str, Condition] = {}
        self._on_database_back: list[Callable[[], None]] = []
        self._probing = False
        self._jobs: set[asyncio.Task[Any]] = set()

    @contextlib.contextmanager
    def running_job(self) -> Iterator[None]:
        """Mark the current task as a scheduled job while it runs (see `jobs`)."""
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._jobs.add(task)
        try:
            yield
        finally:
            self._jobs.discard(task)

    def jobs(self) -> list[asyncio.Task[Any]]:
        """The scheduled jobs running now: what a stop waits for, then cancels."""
        return [task for task in self._jobs if not task.done()]

    def when_database_returns(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the database answers again (e.g. drop connections held open)."""
        self._on_database_back.append(callback)

    # --- conditions ---------------------------------------------------------------------------

    def failed(self, component: str, reason: str) -> float:
        """Record a failure; the seconds until the next try (capped exponential backoff)."""
        now = self.clock.now()
        before = self._conditions.get(component)
        failures = (before.failures if before and not before.up else 0) + 1
        delay = backoff_delay(failures, base=1.0, cap=self.backoff_cap)
        since = before.since if before and not before.up else now
        self._conditions[component] = Condition(
            component, False, reason, since, failures, now + timedelta(seconds=delay)
        )
        return delay

    def recovered(self, component: str) -> bool:
        """Record success; True (and one log line) when the component was down."""
        before = self._conditions.get(component)
        self._conditions[component] = Condition(component, True, since=self.clock.now())
        if before is None or before.up:
            return False
        log.warning("%s is back after %d failed attempts", component, before.failures)
        return True

    def condition(self, component: str) -> Condition | None:
        return self._conditions.get(component)

    def conditions(self) -> list[Condition]:
        return sorted(self._conditions.values(), key=lambda c: c.component)

    def down(self) -> list[Condition]:
        return [c for c in self.conditions() if not c.up]

    def is_down(self, component: str) -> bool:
        found = self._conditions.get(component)
        return found is not None and not found.up

    def due_for_retry(self, component: str) -> bool:
        """Down and its backoff has passed (or up: nothing to wait for)."""
        found = self._conditions.get(component)
        if found is None or found.up or found.retry_at is None:
            return True
        return self.clock.now() >= found.retry_at

    # --- the database -------------------------------------------------------------------------

    def is_database_outage(self, exc: BaseException) -> bool:
        """The database could not be reached, or the connection broke (not a bad query of ours);
        storage tells (ports.Database.is_outage)."""
        return self.database is not None and self.database.is_outage(exc)

    async def database_ready(self) -> bool:
        """May a job use the database now? While it is down, one probe per backoff step."""
        if self.database is None or not self.is_down(DATABASE):
            return True
        if self._probing or not self.due_for_retry(DATABASE):
            return False  # one probe at a time: the other ticks wait for its verdict
        self._probing = True
        try:
            await asyncio.to_thread(self.database.ping)
        except Exception as exc:
            self.database_failed(exc)
            return False
        finally:
            self._probing = False
        self.recovered(DATABASE)
        for callback in self._on_database_back:
            callback()
        return True

    def database_failed(self, exc: BaseException) -> None:
        reason = reason_of(exc)
        delay = self.failed(DATABASE, reason)
        log.warning("database unavailable: %s; next try in %.0f s", reason, delay)

    # --- channels -----------------------------------------------------------------------------

    async def keep_channel(
        self,
        registry: ChannelRegistry,
        context: ChannelContext,
        name: str,
        stopping: asyncio.Event,
    ) -> None:
        """Start channel `name`, retrying with backoff until it runs or the service stops.

        A ConfigError (e.g. the platform rejected the token) is the operator's to fix: it is
        raised, and `newsbot run` ends with one line and status 2.
        """
        component = channel_component(name)
        while not stopping.is_set():
            try:
                await registry.start(context, [name])
            except ConfigError:
                raise
            except Exception as exc:
                reason = reason_of(exc)
                delay = self.failed(component, reason)
                log.warning("channel %s cannot start: %s; retrying in %.0f s", name, reason, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)
                continue
            self.recovered(component)
            return

    def channel_trouble(self, registry: ChannelRegistry, name: str, problem: str | None) -> None:
        """A running channel's own report (e.g. Telegram's getUpdates failing, then working).

        While it is in trouble its sender is detached, so outbox rows wait without using up
        their attempts; they go out once it works again.
        """
        component = channel_component(name)
        if problem is None:
            if self.recovered(component):
                registry.resume(name)
            return
        first = not self.is_down(component)
        self.failed(component, problem)
        registry.pause(name)
        log.warning("channel %s: %s", name, problem)
        if first:
            log.info("channel %s: sending paused until it answers again", name)
