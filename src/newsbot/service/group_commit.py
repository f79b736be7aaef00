"""Group commit: the writes asked for while one is under way go together in the next one.

The sender marks every message twice (`sending` before the API call, `sent` after it). One
transaction per mark cost ~2.6 ms of waiting on SQLite's WAL (0.3 ms of CPU) and capped the whole
process near 190 messages a second on one database thread, whatever the channels allowed. With
group commit a mark still returns only once its own row is committed (so `sending` is on disk
before the request, as before), but under load one transaction carries every mark that queued
up meanwhile; when idle a batch is a single mark and nothing waits longer than before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`await submit(item)` returns that item's result from `write(batch)` (results in order)."""

    def __init__(
        self, write: Callable[[list[Item]], Awaitable[Sequence[Result]]], *, max_batch: int = 500
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def submit(self, item: Item) -> Result:
        return await self.enqueue(item)

    def enqueue(self, item: Item) -> asyncio.Future[Result]:
        """Queue the item now (before anything submitted after it) and return its future:
        for a caller that goes on without waiting for the write (the future tells later)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return future

    async def _flush(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                self.batches += 1
                self.items += len(batch)
                try:
                    results = await self._write([item for item, _f in batch])
                except Exception as exc:  # every mark of the batch failed: each caller decides
                    for _item, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_item, future), result in zip(batch, results, strict=True):
                    if not future.done():  # its lane may have been cancelled meanwhile
                        future.set_result(result)
        except asyncio.CancelledError:  # the loop is shutting down: nobody gets an answer
            for _item, future in batch + self._queue:
                future.cancel()
            self._queue.clear()
            raise
        finally:
            self._flusher = None
