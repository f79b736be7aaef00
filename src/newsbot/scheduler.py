"""APScheduler wiring only: four interval jobs, each a one-line call into the Newsroom.

- poll tick (leader only): sources whose next poll time has come (Newsroom.poll_tick)
- delivery tick (leader only, every minute): digests that are due (Newsroom.delivery_tick)
- outbox tick (every process, every second): send due outbox rows (Newsroom.send_outbox)
- housekeeping (every process, hourly): expired rows deleted in bounded batches
  (service/housekeeping.py; idempotent, so several processes doing it is harmless)

Each job is guarded (`_guarded`): while the database is unreachable the ticks wait for the
supervisor's probe instead of failing every second (service/supervisor.py).

No job per subscriber: "who is due" lives in our tables and one tick decides, so a restart
never loses a digest the way a missed APScheduler date job would. Job defaults, on purpose:
coalesce=True (a backlog of missed ticks runs once), max_instances=1 (a slow tick is never run
twice at once), misfire_grace_time=None (a late tick still runs; it only decides, it does not
depend on its exact firing time).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

if TYPE_CHECKING:
    from newsbot.service import Newsroom
    from newsbot.service.housekeeping import Housekeeping

log = logging.getLogger(__name__)
OUTBOX_TICK_SECONDS = 1
HOUSEKEEPING_TICK_SECONDS = 3600


def build_scheduler(
    newsroom: Newsroom, housekeeping: Housekeeping | None = None
) -> AsyncIOScheduler:
    """The service's scheduler; CHAT's `newsbot run` starts it (scheduler.start()) and shuts it down."""
    settings = newsroom.settings.scheduler
    scheduler = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    # Run each tick once right at start (catch-up after downtime). APScheduler keeps wall-clock
    # time, so this is the system's now, not the newsroom's clock: an injected clock days away
    # (tests, the demo's fast clock) would make APScheduler step through every missed interval.
    first = datetime.now(UTC)
    jobs: list[tuple[str, Callable[[], Awaitable[object]], int]] = [
        ("poll", newsroom.poll_tick, settings.poll_tick_seconds),
        ("delivery", newsroom.delivery_tick, settings.delivery_tick_seconds),
        ("outbox", newsroom.send_outbox, OUTBOX_TICK_SECONDS),
    ]
    if housekeeping is not None:
        jobs.append(("housekeeping", housekeeping.tick, HOUSEKEEPING_TICK_SECONDS))
    for name, call, seconds in jobs:
        scheduler.add_job(
            _guarded(name, call, newsroom),
            "interval",
            seconds=seconds,
            id=name,
            next_run_time=first,
        )
    return scheduler


def _guarded(
    name: str, call: Callable[[], Awaitable[object]], newsroom: Newsroom
) -> Callable[[], Awaitable[None]]:
    """The top of a job. While the database is down the ticks wait for the supervisor's probe
    (capped backoff) instead of failing every second; an outage is one line, not a traceback."""

    async def job() -> None:
        with newsroom.running_job():  # so that a stop can give it its grace, then cancel it
            if not await newsroom.database_ready():
                return
            try:
                await call()
            except Exception as exc:  # the next tick tries again
                if newsroom.is_database_outage(exc):
                    newsroom.database_failed(exc)
                else:
                    log.exception("scheduled %s tick failed", name)

    job.__name__ = job.__qualname__ = f"{name}_tick"
    return job
