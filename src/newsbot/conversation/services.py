"""What the conversation asks of the service: typed calls on the Newsroom facade, off the loop.

When search or /digest fails with one of newsbot's own errors (the database refused, the
search index is missing), the subscriber gets a clear "unavailable" reply instead of an error.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from newsbot.config import Settings
from newsbot.core.models import Article, Subscriber
from newsbot.core.query import SearchResults
from newsbot.core.replies import Message
from newsbot.errors import NewsbotError, QueryError
from newsbot.service import Newsroom


class Unavailable(Exception):
    """The part of newsbot this needs cannot answer now (a newsbot error, not a bug)."""


class Services:
    def __init__(self, newsroom: Newsroom) -> None:
        self.newsroom = newsroom

    @property
    def settings(self) -> Settings:
        return self.newsroom.settings

    def now(self) -> datetime:
        return self.newsroom.now()

    async def search(self, query: str, page: int) -> SearchResults:
        try:
            return await self.newsroom.search_async(
                query, page=page, page_size=self.settings.search.page_size
            )
        except QueryError:
            raise
        except NewsbotError as exc:  # e.g. StorageError
            raise Unavailable(str(exc)) from exc

    async def digest(self, subscriber: Subscriber) -> Message | None:
        """Today's digest for the subscriber, now (Newsroom.digest_now: one digest builder)."""
        try:
            return await asyncio.to_thread(self.newsroom.digest_now, subscriber)
        except NewsbotError as exc:
            raise Unavailable(str(exc)) from exc

    async def latest(self, limit: int) -> list[Article]:
        return await asyncio.to_thread(self.newsroom.latest_articles, limit)

    async def article_count(self) -> int:
        return await asyncio.to_thread(self.newsroom.article_count)

    def is_database_outage(self, exc: BaseException) -> bool:
        return self.newsroom.is_database_outage(exc)

    async def broadcast(self, text: str) -> int:
        return await asyncio.to_thread(self.newsroom.broadcast, text)
