"""Search for the chat channels and the CLI: one call, the clock injected, the index behind a
small Protocol (storage.search.SearchIndex in production)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from newsbot.core.query import InvalidQuery, Note, Query, SearchHit, SearchResults, matches
from newsbot.ports import Clock

__all__ = [
    "IndexState",
    "InvalidQuery",
    "Note",
    "Query",
    "SearchHit",
    "SearchIndexPort",
    "SearchResults",
    "Searcher",
    "matches",
]
log = logging.getLogger(__name__)


class IndexState(Protocol):
    @property
    def stored_version(self) -> str | None: ...
    @property
    def expected_version(self) -> str: ...
    @property
    def current(self) -> bool: ...


class SearchIndexPort(Protocol):
    def search(
        self, query: str, *, page: int = 1, page_size: int | None = None, now: datetime
    ) -> SearchResults: ...
    def status(self) -> IndexState: ...
    def rebuild(
        self, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> int: ...


class Searcher:
    """Runs queries against the index at the clock's 'now'."""

    def __init__(self, index: SearchIndexPort, clock: Clock) -> None:
        self.index = index
        self.clock = clock

    def search(self, query: str, page: int = 1, page_size: int | None = None) -> SearchResults:
        """One page of results; raises InvalidQuery (key + params) for a query that cannot run."""
        return self.index.search(query, page=page, page_size=page_size, now=self.clock.now())

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
