"""The facade: one object (Newsroom) whose methods every channel, scheduled job and command calls.

Each concern lives in its own module here (ingest, search, subscriptions, delivery); Newsroom
holds them as private, required parts and exposes the operations. The parts and the stores under
them are built in newsbot.app (the composition root); nothing outside reaches a part
(tests/test_layering.py fails on `newsroom._part` outside service/ and app.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from newsbot.config import Settings
from newsbot.core.channels import ChannelProfile
from newsbot.core.models import (
    Article,
    KeywordChange,
    OutboxRow,
    SourceState,
    Subscriber,
    SubscriberCounts,
)
from newsbot.core.replies import Message
from newsbot.front.routes import Route
from newsbot.ports import Channel, ChannelContext, ChannelSender, Clock, Database, Outbound
from newsbot.service.admin_reports import AdminReports
from newsbot.service.channels import ChannelRegistry
from newsbot.service.delivery import DeliveryReport, DeliveryService
from newsbot.service.ingest import Ingestor, SourceReport
from newsbot.service.search import Searcher, SearchResults
from newsbot.service.sending import SendReport, outbound_of
from newsbot.service.subscriptions import Subscriptions
from newsbot.service.supervisor import Supervisor


class Newsroom:
    """Everything the outside (CLI, chat channels, scheduler, health) may ask of newsbot."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        database: Database,
        ingestor: Ingestor,
        searcher: Searcher,
        delivery: DeliveryService,
        subscriptions: Subscriptions,
        admin_reports: AdminReports,
        channels: ChannelRegistry,
        supervisor: Supervisor,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._database = database
        self._ingestor = ingestor
        self._searcher = searcher
        self._delivery = delivery
        self._subscriptions = subscriptions
        self._admin_reports = admin_reports
        self._channels = channels
        self._supervisor = supervisor
        # one poll at a time in this process: `newsbot run`'s first poll runs in the background
        # while the scheduler's poll tick starts; the later one waits and finds less due
        self._polling = asyncio.Lock()

    # --- configuration and time (values, not parts) ---------------------------------------------

    @property
    def settings(self) -> Settings:
        """The validated configuration (read only)."""
        return self._settings

    @property
    def clock(self) -> Clock:
        return self._clock

    def now(self) -> datetime:
        return self._clock.now()

    # --- ingest (service/ingest.py) -------------------------------------------------------------

    async def poll_due(
        self, progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll every enabled source whose next poll time has come."""
        async with self._polling:  # after a poll that ran meanwhile, fewer sources are due
            due = await self._ingestor.due_keys()
            return await self._ingestor.poll(due, progress)

    async def poll_all(
        self, progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll every enabled source now, whatever its schedule."""
        async with self._polling:
            return await self._ingestor.poll(list(self._ingestor.configured), progress)

    async def due_source_keys(self) -> list[str]:
        return await self._ingestor.due_keys()

    async def all_source_keys(self) -> list[str]:
        return list(self._ingestor.configured)

    async def poll_sources(
        self, keys: list[str], progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll the given sources now (the CLI's progress bar passes `progress`)."""
        return await self._ingestor.poll(keys, progress)

    async def poll_source(self, key: str) -> SourceReport:
        return await self._ingestor.poll_source(key)

    async def next_poll_at(self) -> datetime | None:
        """The earliest scheduled poll among the enabled sources."""
        return await self._ingestor.next_due_at()

    def latest_articles(self, limit: int) -> list[Article]:
        return self._ingestor.articles.latest(limit)

    def article_count(self) -> int:
        return self._ingestor.articles.count()

    def source_states(self) -> list[SourceState]:
        return self._ingestor.sources.all()

    def report_sources(self, reports: Sequence[SourceReport]) -> None:
        """Log failed polls; tell the admin chats when a source starts or stops failing."""
        self._admin_reports.after_poll(reports, self._clock.now())

    # --- search (service/search.py) -------------------------------------------------------------

    def search(self, query: str, page: int = 1, page_size: int | None = None) -> SearchResults:
        """One page of search results; raises core.query.InvalidQuery (key + params) for a query
        that cannot be run."""
        return self._searcher.search(query, page, page_size)

    async def search_async(
        self, query: str, page: int = 1, page_size: int | None = None
    ) -> SearchResults:
        """search() off the event loop, for the chat channels."""
        return await self._searcher.search_async(query, page, page_size)

    def reindex_search(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index (after a dictionary or tokenizer change)."""
        return self._searcher.reindex(progress)

    # --- subscribers (service/subscriptions.py) -------------------------------------------------

    def open_subscriber(
        self, channel: str, chat_id: str, chat_type: str = "private", name: str = ""
    ) -> tuple[Subscriber, bool]:
        """The chat's subscriber, created with the configured defaults on first contact."""
        return self._subscriptions.open(channel, chat_id, chat_type, name)

    def subscriber(self, channel: str, chat_id: str) -> Subscriber | None:
        return self._subscriptions.get(channel, chat_id)

    def subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        return self._subscriptions.get_by_id(subscriber_id)

    def start_subscriber(self, subscriber: Subscriber) -> Subscriber:
        """/start: active again (after a block) and subscribed to the digest."""
        return self._subscriptions.start(subscriber)

    def change_subscriber(self, subscriber: Subscriber, **settings: Any) -> Subscriber:
        return self._subscriptions.change(subscriber, **settings)

    def deactivate_subscriber(self, subscriber: Subscriber) -> Subscriber:
        """The chat left or blocked the bot: no more digests until /start."""
        return self._subscriptions.deactivate(subscriber)

    def active_subscribers(self, channel: str | None = None) -> list[Subscriber]:
        return self._subscriptions.active(channel)

    def subscriber_counts(self) -> SubscriberCounts:
        return self._subscriptions.counts()

    @property
    def max_keywords(self) -> int:
        return self._subscriptions.max_keywords

    def add_keywords(self, subscriber: Subscriber, words: Iterable[str]) -> KeywordChange:
        return self._subscriptions.add_keywords(subscriber, words)

    def remove_keywords(
        self, subscriber: Subscriber, words: Iterable[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self._subscriptions.remove_keywords(subscriber, words)

    def remember_query(self, subscriber: Subscriber, query: str | None) -> None:
        """Keep `query` as the subscriber's last search (None: a search short enough for its
        buttons to carry it, so no hash button matches any more)."""
        self._subscriptions.remember_query(subscriber, query)

    def last_query(self, subscriber: Subscriber) -> str | None:
        return self._subscriptions.last_query(subscriber)

    def known_sections(self) -> tuple[str, ...]:
        """The sections of the configured sources, in config order."""
        return self._subscriptions.known_sections()

    def broadcast(self, text: str) -> int:
        """Queue an admin's message for every active subscriber (through the outbox)."""
        return self._subscriptions.broadcast(text, self._clock.now())

    def language_of(self, channel: str, chat_id: str) -> str:
        subscriber = self._subscriptions.get(channel, chat_id)
        return subscriber.language if subscriber is not None else "zh"

    def secret(self, name: str) -> bytes:
        """A random key kept in the database under `name` (button signing, webhook secrets)."""
        return self._database.secret(name)

    # --- channels (service/channels.py) ---------------------------------------------------------

    def channel(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def channel_profile(self, name: str) -> ChannelProfile:
        return self._channels.profile(name)

    def channel_routes(self, context: ChannelContext, names: Iterable[str]) -> list[Route]:
        """The inbound HTTP routes of these channels, for the one HTTP front."""
        return self._channels.routes(context, names)

    async def start_channels(
        self, context: ChannelContext, names: Iterable[str] | None = None
    ) -> None:
        await self._channels.start(context, names)

    async def keep_channel(
        self, context: ChannelContext, name: str, stopping: asyncio.Event
    ) -> None:
        """Start channel `name`, retrying with backoff until it runs or the service stops."""
        await self._supervisor.keep_channel(self._channels, context, name, stopping)

    async def stop_channels(self) -> None:
        await self._channels.stop()

    def register_sender(self, channel: str, sender: ChannelSender) -> None:
        """Let the outbox deliver on `channel` (the channels call this when they start)."""
        self._channels.attach(channel, sender)

    async def deliver(self, channel: str, message: Outbound) -> str:
        """Send through the channel's pacer (replies and edits before digests); the remote id."""
        return await self._channels.deliver(channel, message)

    def channel_trouble(self, channel: str, problem: str | None) -> None:
        """A running channel cannot reach its platform (or can again): pause or resume it."""
        self._supervisor.channel_trouble(self._channels, channel, problem)

    def take_held(self, channel: str, chat_id: str) -> list[Outbound]:
        """The recipient's held messages, for the channel to deliver now (WeChat's passive
        reply); they count as sent."""
        rows = self._delivery.outbox.take_held(channel, chat_id, self._clock.now())
        return self.held_messages(rows)

    def held_messages(self, rows: Sequence[OutboxRow]) -> list[Outbound]:
        """Held rows a channel took itself (with its inbound record), as messages to deliver."""
        return [outbound_of(row) for row in rows]

    def recipient_wrote(self, channel: str, chat_id: str) -> int:
        """The recipient wrote to us: messages held until they did (WeChat's 48 h window) are
        due again. Returns how many."""
        return self._delivery.outbox.release_held(channel, chat_id, self._clock.now())

    # --- supervision (service/supervisor.py): the scheduler's guard and `newsbot run` ----------

    def is_database_outage(self, exc: BaseException) -> bool:
        """`exc` says the database is unreachable (the world's fault, not a bug)."""
        return self._supervisor.is_database_outage(exc)

    async def database_ready(self) -> bool:
        """May a job use the database now? While it is down, one probe per backoff step."""
        return await self._supervisor.database_ready()

    def database_failed(self, exc: BaseException) -> None:
        self._supervisor.database_failed(exc)

    @contextlib.contextmanager
    def running_job(self) -> Iterator[None]:
        """Mark the current task as a scheduled job while it runs (a stop waits for it)."""
        with self._supervisor.running_job():
            yield

    def running_jobs(self) -> list[asyncio.Task[Any]]:
        return self._supervisor.jobs()

    @property
    def database_dialect(self) -> str:
        return self._database.dialect

    # --- delivery (service/delivery.py; the scheduler's ticks) ----------------------------------

    async def poll_tick(self) -> None:
        """Scheduler leader only: poll the due sources, then queue keyword alerts for new articles."""
        delivery = self._delivery
        reports = await delivery.if_leader(self.poll_due)
        if isinstance(reports, list):
            await asyncio.to_thread(self.report_sources, reports)
        if delivery.leader.held:
            await asyncio.to_thread(delivery.queue_new_alerts)

    async def delivery_tick(self) -> DeliveryReport | None:
        """Scheduler leader only: claim and queue every digest that is due."""
        return await self._delivery.delivery_tick()

    async def deliver_due(self) -> DeliveryReport:
        """Claim and queue every digest that is due now (whatever the leadership)."""
        return await self._delivery.deliver_due()

    def deliver_due_at(self, now: datetime) -> DeliveryReport:
        """deliver_due() at `now`, on the caller's thread (the CLI and tests)."""
        return self._delivery.deliver_due_at(now)

    async def send_outbox(self) -> SendReport:
        """Every process: send the outbox rows that are due, paced."""
        return await self._delivery.send_outbox()

    def queue_alerts(self, article_ids: Sequence[int]) -> int:
        """Keyword alerts for these articles (pushed, capped, quiet hours respected)."""
        return self._delivery.queue_alerts(article_ids)

    def digest_now(self, subscriber: Subscriber) -> Message | None:
        """/digest: the window's digest now, or on a quiet day the newest articles (with a note);
        None when nothing is stored at all. Nothing is recorded: the daily digest still comes."""
        return self._delivery.digest_now(subscriber, self._clock.now())

    def build_digest(self, subscriber: Subscriber, now: datetime | None = None) -> Message:
        """The digest of the last window for /digest (nothing recorded)."""
        return self._delivery.build_digest(subscriber, now or self._clock.now())

    def close(self) -> None:
        """At the end of the process's work: give up the scheduler leadership (another process
        takes over at once) and close the database pool. Threads still inside a database call
        are not waited for, so a stop stays prompt when the database hangs."""
        self._delivery.release()
        self._database.dispose()
