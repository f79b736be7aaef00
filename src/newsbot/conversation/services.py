"""What the conversation asks of the service, taken from the Newsroom facade.

Search and broadcast are looked up on the facade; when a part is not wired (a Newsroom built
without a search index), the subscriber gets a clear "unavailable" reply instead of an error.
"""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime, timedelta
from typing import Any

from newsbot.core import digest as digests
from newsbot.core.i18n import t
from newsbot.core.models import Article, Subscriber
from newsbot.core.query import SearchResults, matches
from newsbot.core.replies import Message, text_block
from newsbot.errors import NewsbotError, QueryError
from newsbot.service import Newsroom
from newsbot.service.subscriptions import Subscriptions

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Unavailable(Exception):
    """The part of newsbot this needs is not wired (e.g. search before its index exists)."""


class Services:
    def __init__(self, newsroom: Newsroom) -> None:
        self.newsroom = newsroom
        self.subscriptions: Subscriptions = newsroom.subscriptions

    @property
    def settings(self) -> Any:
        return self.newsroom.settings

    def now(self) -> Any:
        return self.newsroom.clock.now()

    async def search(self, query: str, page: int) -> SearchResults:
        search = getattr(self.newsroom, "search", None)
        if search is None:
            raise Unavailable("search")
        try:
            found = await _call(search, query, page=page, page_size=self.settings.search.page_size)
        except QueryError:
            raise
        except NewsbotError as exc:  # e.g. "search is not wired"
            raise Unavailable(str(exc)) from exc
        assert isinstance(found, SearchResults)
        return found

    async def digest(self, subscriber: Subscriber) -> Message | None:
        """Today's digest for the subscriber, now (None when there is nothing at all): the
        delivery service's (Newsroom.build_digest, nothing recorded) when there is news in the
        window; on a quiet day the newest stored articles instead."""
        build = getattr(self.newsroom, "build_digest", None)
        if build is not None and await asyncio.to_thread(self._has_news, subscriber):
            try:
                message = await _call(build, subscriber)
            except NewsbotError:  # delivery not wired: build it here
                message = None
            if isinstance(message, Message):
                return message
        return await asyncio.to_thread(self._digest_from_articles, subscriber)

    def _has_news(self, subscriber: Subscriber) -> bool:
        since = self.now() - timedelta(hours=self.settings.delivery.window_hours)
        return bool(self._articles().recent(since, 1, subscriber.sections))

    def _digest_from_articles(self, subscriber: Subscriber) -> Message | None:
        """The digest over the window; on a quiet day, the newest stored articles instead, so
        /digest is never a dead end (the offline demo's sample articles are years old)."""
        delivery = self.settings.delivery
        now = self.now()
        window = timedelta(hours=delivery.window_hours)
        recent = self._articles().recent(now - window, 500, subscriber.sections)
        message = self._digest_message(subscriber, recent, now - window, now, window)
        if message is not None:
            return message
        wanted = set(subscriber.sections)
        latest = [
            a
            for a in self._articles().latest(delivery.max_items * 3)
            if not wanted or a.section in wanted
        ]
        message = self._digest_message(subscriber, latest, EPOCH, now, now - EPOCH)
        if message is None:
            return None
        note = text_block(
            t(subscriber.language, "digest.latest_instead", hours=delivery.window_hours)
        )
        return Message((note, *message.blocks), message.buttons, message.link_preview)

    def _digest_message(
        self,
        subscriber: Subscriber,
        articles: list[Article],
        since: datetime,
        now: datetime,
        window: timedelta,
    ) -> Message | None:
        digest = digests.build_digest(
            subscriber,
            articles,
            since=since,
            now=now,
            local_date=digests_local_date(subscriber, now),
            max_items=self.settings.delivery.max_items,
            matcher=matches,
            window=window,
        )
        return None if digest.empty else digests.digest_message(digest, empty_day="skip")

    async def latest(self, limit: int) -> list[Article]:
        return await asyncio.to_thread(self._articles().latest, limit)

    async def article_count(self) -> int:
        return await asyncio.to_thread(self._articles().count)

    async def broadcast(self, text: str) -> int:
        broadcast = getattr(self.newsroom, "broadcast", None)
        if broadcast is None:
            raise Unavailable("broadcast")
        return int(await _call(broadcast, text))

    def _articles(self) -> Any:
        ingestor = getattr(self.newsroom, "ingestor", None)
        if ingestor is not None:
            return ingestor.articles
        from newsbot.storage.articles import ArticleStore

        return ArticleStore(self.newsroom.engine)


def digests_local_date(subscriber: Subscriber, now: Any) -> str:
    from zoneinfo import ZoneInfo

    return str(now.astimezone(ZoneInfo(subscriber.timezone)).date().isoformat())


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Await a coroutine function; run a blocking (database) one in a thread."""
    if inspect.iscoroutinefunction(func):
        return await func(*args, **kwargs)
    return await _maybe_await(await asyncio.to_thread(func, *args, **kwargs))
