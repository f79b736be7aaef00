"""The facade: one object (Newsroom) whose few methods every channel and scheduled job calls.

Each concern lives in its own module here (ingest, search, subscriptions, delivery); Newsroom
holds them and exposes the operations. Construct it in newsbot.app (the composition root).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Engine

from newsbot.config import Settings
from newsbot.core.models import Article, SourceState, Subscriber
from newsbot.core.replies import Message
from newsbot.errors import NewsbotError
from newsbot.ports import ChannelSender, Clock, Outbound
from newsbot.service.admin_reports import AdminReports
from newsbot.service.channels import ChannelRegistry
from newsbot.service.delivery import DeliveryReport, DeliveryService
from newsbot.service.ingest import Ingestor, SourceReport
from newsbot.service.search import Searcher, SearchResults
from newsbot.service.sending import SendReport, outbound_of
from newsbot.service.subscriptions import Subscriptions
from newsbot.service.supervisor import Supervisor


@dataclass
class Newsroom:
    """Everything the outside (CLI, chat channels, scheduler) may ask of newsbot."""

    settings: Settings
    engine: Engine
    clock: Clock
    ingestor: Ingestor | None = None
    searcher: Searcher | None = None
    delivery: DeliveryService | None = None
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    # the condition of the outside systems (service/supervisor.py): /healthz and the ticks read it
    supervisor: Supervisor = field(default_factory=Supervisor)
    # one poll at a time in this process: `newsbot run`'s first poll runs in the background
    # while the scheduler's poll tick starts; the later one waits and finds less due
    _polling: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    # --- ingest (service/ingest.py) -------------------------------------------------------------

    def _ingest(self) -> Ingestor:
        if self.ingestor is None:
            raise NewsbotError("ingest is not wired; build the Newsroom with newsbot.app")
        return self.ingestor

    async def poll_due(
        self, progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll every enabled source whose next poll time has come."""
        ingestor = self._ingest()
        async with self._polling:  # after a poll that ran meanwhile, fewer sources are due
            due = await ingestor.due_keys()
            return await ingestor.poll(due, progress)

    async def poll_all(
        self, progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll every enabled source now, whatever its schedule."""
        ingestor = self._ingest()
        async with self._polling:
            return await ingestor.poll(list(ingestor.configured), progress)

    async def due_source_keys(self) -> list[str]:
        return await self._ingest().due_keys()

    async def all_source_keys(self) -> list[str]:
        return list(self._ingest().configured)

    async def poll_sources(
        self, keys: list[str], progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll the given sources now (the CLI's progress bar passes `progress`)."""
        return await self._ingest().poll(keys, progress)

    async def poll_source(self, key: str) -> SourceReport:
        return await self._ingest().poll_source(key)

    async def next_poll_at(self) -> datetime | None:
        """The earliest scheduled poll among the enabled sources."""
        return await self._ingest().next_due_at()

    def latest_articles(self, limit: int) -> list[Article]:
        return self._ingest().articles.latest(limit)

    def source_states(self) -> list[SourceState]:
        return self._ingest().sources.all()

    @cached_property
    def admin_reports(self) -> AdminReports:
        from newsbot.storage.database import Database
        from newsbot.storage.outbox import OutboxStore

        database, outbox = Database(self.engine), OutboxStore(self.engine)
        return AdminReports(self.settings, database, outbox, self.channels)

    def report_sources(self, reports: Sequence[SourceReport]) -> None:
        """Log failed polls; tell the admin chats when a source starts or stops failing."""
        self.admin_reports.after_poll(reports, self.clock.now())

    # --- search (service/search.py) -------------------------------------------------------------

    def _search(self) -> Searcher:
        if self.searcher is None:
            raise NewsbotError("search is not wired; build the Newsroom with newsbot.app")
        return self.searcher

    def search(self, query: str, page: int = 1, page_size: int | None = None) -> SearchResults:
        """One page of search results; raises core.query.InvalidQuery (key + params) for a query
        that cannot be run."""
        return self._search().search(query, page, page_size)

    async def search_async(
        self, query: str, page: int = 1, page_size: int | None = None
    ) -> SearchResults:
        """search() off the event loop, for the chat channels."""
        return await self._search().search_async(query, page, page_size)

    def reindex_search(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index (after a dictionary or tokenizer change)."""
        return self._search().reindex(progress)

    # --- subscriptions (service/subscriptions.py) -----------------------------------------------

    @cached_property
    def subscriptions(self) -> Subscriptions:
        """Subscribers, their settings and keywords (the chat channels' operations)."""
        from newsbot.storage.database import Database
        from newsbot.storage.outbox import OutboxStore
        from newsbot.storage.subscribers import SubscriberStore

        max_keywords = self.settings.delivery.max_keywords
        store = SubscriberStore(self.engine, clock=self.clock, max_keywords=max_keywords)
        database, outbox = Database(self.engine), OutboxStore(self.engine)
        return Subscriptions(store, self.settings, database, outbox, self.channels)

    def is_database_outage(self, exc: BaseException) -> bool:
        """`exc` says the database is unreachable (the world's fault, not a bug)."""
        if self.supervisor.database is None:
            from newsbot.storage.database import Database

            self.supervisor.database = Database(self.engine)
        return self.supervisor.is_database_outage(exc)

    def broadcast(self, text: str) -> int:
        """Queue an admin's message for every active subscriber (through the outbox)."""
        return self.subscriptions.broadcast(text, self.clock.now())

    # --- delivery (service/delivery.py; the scheduler's ticks) ----------------------------------

    def _delivery(self) -> DeliveryService:
        if self.delivery is None:
            raise NewsbotError("delivery is not wired; build the Newsroom with newsbot.app")
        return self.delivery

    def secret(self, name: str) -> bytes:
        """A random key kept in the database under `name` (button signing, webhook secrets)."""
        from newsbot.storage.subscribers import load_or_create_secret

        return load_or_create_secret(self.engine, name)

    def take_held(self, channel: str, chat_id: str) -> list[Outbound]:
        """The recipient's held messages, for the channel to deliver now (WeChat's passive
        reply); they count as sent."""
        rows = self._delivery().outbox.take_held(channel, chat_id, self.clock.now())
        return [outbound_of(row) for row in rows]

    def language_of(self, channel: str, chat_id: str) -> str:
        subscriber = self.subscriptions.store.get(channel, chat_id)
        return subscriber.language if subscriber is not None else "zh"

    def recipient_wrote(self, channel: str, chat_id: str) -> int:
        """The recipient wrote to us: messages held until they did (WeChat's 48 h window) are
        due again. Returns how many."""
        return self._delivery().outbox.release_held(channel, chat_id, self.clock.now())

    def register_sender(self, channel: str, sender: ChannelSender) -> None:
        """Let the outbox deliver on `channel` (the channels call this when they start)."""
        self.channels.attach(channel, sender)

    async def poll_tick(self) -> None:
        """Scheduler leader only: poll the due sources, then queue keyword alerts for new articles."""
        delivery = self._delivery()
        reports = await delivery.if_leader(self.poll_due)
        if isinstance(reports, list):
            await asyncio.to_thread(self.report_sources, reports)
        if delivery.leader.held:
            await asyncio.to_thread(delivery.queue_new_alerts)

    async def delivery_tick(self) -> DeliveryReport | None:
        """Scheduler leader only: claim and queue every digest that is due."""
        return await self._delivery().delivery_tick()

    async def deliver_due(self) -> DeliveryReport:
        """Claim and queue every digest that is due now (whatever the leadership)."""
        return await self._delivery().deliver_due()

    async def send_outbox(self) -> SendReport:
        """Every process: send the outbox rows that are due, paced."""
        return await self._delivery().send_outbox()

    def queue_alerts(self, article_ids: Sequence[int]) -> int:
        """Keyword alerts for these articles (pushed, capped, quiet hours respected)."""
        return self._delivery().queue_alerts(article_ids)

    def digest_now(self, subscriber: Subscriber) -> Message | None:
        """/digest: the window's digest now, or on a quiet day the newest articles (with a note);
        None when nothing is stored at all. Nothing is recorded: the daily digest still comes."""
        return self._delivery().digest_now(subscriber, self.clock.now())

    def article_count(self) -> int:
        return self._ingest().articles.count()

    def build_digest(self, subscriber: Subscriber, now: datetime | None = None) -> Message:
        """The digest of the last window for /digest (nothing recorded)."""
        return self._delivery().build_digest(subscriber, now or self.clock.now())
