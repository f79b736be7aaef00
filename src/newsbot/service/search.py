"""Search for the chat channels and the CLI: one call, the clock injected, the index behind a
small Protocol (storage.search.SearchIndex in production).

The same query asked again within the same 10 seconds of the clock (and before this process
wrote to the index) gets the results computed the first time, from a small memory: when a
post to the WeChat account says "回复 党建", hundreds of readers send the same word within
seconds, and each search costs more than everything else in their reply. Results are at most
one slot (10 s) older than a fresh search: an article stored by another process meanwhile
appears on the next slot.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from newsbot.core.query import InvalidQuery, Note, Query, SearchHit, SearchResults, matches
from newsbot.ports import Clock, IndexState, SearchIndexPort

__all__ = [
    "InvalidQuery",
    "Note",
    "Query",
    "SearchHit",
    "SearchResults",
    "Searcher",
    "matches",
]
log = logging.getLogger(__name__)
SLOT_SECONDS = 10  # how long the same query may be answered from memory
REMEMBERED = 256  # queries remembered (least recently used forgotten)


class Searcher:
    """Runs queries against the index at the clock's 'now'."""

    def __init__(self, index: SearchIndexPort, clock: Clock) -> None:
        self.index = index
        self.clock = clock
        self._recent: OrderedDict[tuple[object, ...], SearchResults] = OrderedDict()
        self._lock = threading.Lock()

    def search(self, query: str, page: int = 1, page_size: int | None = None) -> SearchResults:
        """One page of results; raises InvalidQuery (key + params) for a query that cannot run."""
        now = self.clock.now()
        slot = int(now.timestamp() // SLOT_SECONDS)
        key = (query, page, page_size, self.index.generation, slot)
        with self._lock:
            found = self._recent.get(key)
            if found is not None:
                self._recent.move_to_end(key)
                return found
        results = self.index.search(query, page=page, page_size=page_size, now=now)
        with self._lock:
            self._recent[key] = results
            while len(self._recent) > REMEMBERED:
                self._recent.popitem(last=False)
        return results

    async def search_async(
        self, query: str, page: int = 1, page_size: int | None = None
    ) -> SearchResults:
        """The same, off the event loop (the database calls are synchronous)."""
        return await asyncio.to_thread(self.search, query, page, page_size)

    def check_version(self) -> IndexState:
        """Report (once, at start) an index built by another tokenizer version."""
        state = self.index.status()
        if not state.current:
            log.warning(
                "search index version %s differs from %s: run `newsbot search --reindex`",
                state.stored_version,
                state.expected_version,
            )
        return state

    def reindex(self, progress: Callable[[int], None] | None = None) -> int:
        return self.index.rebuild(progress=progress)
