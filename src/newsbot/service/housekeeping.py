"""Housekeeping: rows that outlive their use are deleted by a scheduled job, in bounded batches.

What expires, and when (app.py lists them; docs/operations.md):
- digest pages (/d/<token>), `http.expired_page_days` after they expired: until then the page
  says "expired", after that the token reads as unknown (404, "expired or not found");
- the inbound ledger of WeChat and WeCom MsgIds, a day after arrival (the platforms retry
  within seconds);
- numbered choices (回复 1、2、3) a week after they were offered;
- reply windows once closed (a closed window is the same as none), and API tokens (and
  refresh leases) a day after they expired.

Each batch is one short transaction of at most `batch` rows, so a large backlog never holds
SQLite's write lock (or PostgreSQL row locks) for long; a tick does at most `max_batches` per
kind and the next tick continues.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from newsbot.ports import Clock, Expiring

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Expiry:
    """One kind of expiring row: its store, and how long past its date a row is kept."""

    name: str
    rows: Expiring
    keep: timedelta = timedelta(0)


class Housekeeping:
    def __init__(
        self,
        kinds: Sequence[Expiry],
        clock: Clock,
        *,
        batch: int = 500,
        max_batches: int = 20,
    ) -> None:
        self.kinds = list(kinds)
        self.clock = clock
        self.batch = batch
        self.max_batches = max_batches

    async def tick(self) -> dict[str, int]:
        """Purge what has expired; rows deleted per kind."""
        deleted = {kind.name: await self._purge(kind) for kind in self.kinds}
        if any(deleted.values()):
            done = ", ".join(f"{name} {n}" for name, n in deleted.items() if n)
            log.info("housekeeping: deleted %s", done)
        return deleted

    async def _purge(self, kind: Expiry) -> int:
        before = self.clock.now() - kind.keep
        total = 0
        for _ in range(self.max_batches):
            n = await asyncio.to_thread(kind.rows.purge, before, limit=self.batch)
            total += n
            if n < self.batch:
                break
        return total
