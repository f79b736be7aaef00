"""The search index as the service's Searcher sees it (storage.search.SearchIndex in production)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from newsbot.core.query import SearchResults


class IndexState(Protocol):
    """The index's stored version against the one this code expects (rebuild when not current)."""

    @property
    def stored_version(self) -> str | None: ...
    @property
    def expected_version(self) -> str: ...
    @property
    def current(self) -> bool: ...


class SearchIndexPort(Protocol):
    @property
    def generation(self) -> int:
        """Changes whenever this process writes to the index."""
        ...

    def search(
        self, query: str, *, page: int = 1, page_size: int | None = None, now: datetime
    ) -> SearchResults: ...
    def status(self) -> IndexState: ...
    def rebuild(
        self, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> int: ...
