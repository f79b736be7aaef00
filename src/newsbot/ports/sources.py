"""The ingest pipeline's outside parts: fetching sources and article pages, and summarizing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from newsbot.core.models import FeedItem, Summary
from newsbot.core.polling import TimeBudget


class Fetched(Protocol):
    """A fetched resource as adapters.http.FetchResult presents it."""

    @property
    def url(self) -> str: ...
    @property
    def body(self) -> bytes: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def max_age(self) -> float | None: ...
    @property
    def not_modified(self) -> bool: ...
    @property
    def content_type(self) -> str | None: ...


class PageFetcher(Protocol):
    """Fetches a listing or an article page (adapters.http.Fetcher)."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        source_url: str | None = None,  # the configured URL whose origin may be private
        budget: TimeBudget | None = None,  # the source's request time for this poll
    ) -> Fetched: ...


class Listing(Protocol):
    """The items a feed or section page lists (adapters.sources.Listing)."""

    @property
    def items(self) -> list[FeedItem]: ...
    @property
    def note(self) -> str | None: ...


class Summarizer(Protocol):
    """Turns an extracted article into key points and figures. Pure and deterministic by default;
    an LLM-backed implementation may do I/O but must keep this signature."""

    def summarize(self, title: str, paragraphs: Sequence[str]) -> Summary: ...
