"""The composition root: the only place that knows every concrete part and wires them together."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from newsbot.adapters.http import Fetcher
from newsbot.adapters.sources import PageExtractor, list_items
from newsbot.channels.robots.sender import RobotSender
from newsbot.config import Settings
from newsbot.conversation import Conversation
from newsbot.core.channels import Outbound
from newsbot.core.incoming import Incoming, Response
from newsbot.core.models import OutboxRow
from newsbot.core.summarize import ExtractiveSummarizer
from newsbot.front.digest_pages import DigestPages
from newsbot.front.routes import Route
from newsbot.ports import ArticleReader, Channel, ChannelStores, Clock, Summarizer, SystemClock
from newsbot.service import Newsroom
from newsbot.service.admin_reports import AdminReports
from newsbot.service.channels import ChannelRegistry
from newsbot.service.delivery import DeliveryService, DeliveryStores
from newsbot.service.groups import GroupService, TestSend
from newsbot.service.housekeeping import Expiry, Housekeeping
from newsbot.service.ingest import Ingestor, IngestParts
from newsbot.service.pages import DigestPublisher
from newsbot.service.search import Searcher
from newsbot.service.subscriptions import Subscriptions
from newsbot.service.supervisor import Supervisor
from newsbot.storage import db
from newsbot.storage.articles import ArticleIndexer, ArticleStore
from newsbot.storage.database import Database
from newsbot.storage.digests import AlertWatermark, DigestRecords
from newsbot.storage.groups import GroupStore
from newsbot.storage.leader import LeaderLock
from newsbot.storage.outbox import OutboxStore
from newsbot.storage.pages import DigestPageStore
from newsbot.storage.search import SearchIndex
from newsbot.storage.senders import SenderTable
from newsbot.storage.sources import SourceStore
from newsbot.storage.subscribers import SubscriberStore
from newsbot.storage.weixin import ChoiceStore, InboundLedger, ReplyWindows, TokenCache

ChannelFactory = Callable[[Settings], Channel]
LEDGER_KEEP = timedelta(days=1)  # WeChat and WeCom retry a message within seconds
CHOICES_KEEP = timedelta(days=7)  # a week-old "回复 1" is not what the reader means now

# The channel registry: one line per channel package, whose `build(settings)` makes the channel
# (docs/channels.md).
# The group robots (push only; `newsbot groups` tests through their senders).
ROBOT_CHANNELS: tuple[str, ...] = (
    "newsbot.channels.wecom_robot",
    "newsbot.channels.dingtalk",
    "newsbot.channels.feishu",
)
CHANNELS: tuple[str, ...] = (
    "newsbot.channels.console",
    "newsbot.channels.telegram",
    "newsbot.channels.wechat",
    "newsbot.channels.wecom",
    *ROBOT_CHANNELS,
)


def channel_factories(packages: Sequence[str] = CHANNELS) -> list[ChannelFactory]:
    return [importlib.import_module(name).build for name in packages]


def build_channels(
    settings: Settings, factories: Sequence[ChannelFactory] | None = None
) -> ChannelRegistry:
    """Every channel, configured or not (an unconfigured one still renders for its subscribers)."""
    chosen = channel_factories() if factories is None else factories
    return ChannelRegistry(factory(settings) for factory in chosen)


def build_newsroom(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    channel_registry: ChannelRegistry | None = None,
) -> Newsroom:
    """Create the engine (migrating it unless told not to), the stores, and the Newsroom."""
    engine = db.create_db_engine(settings.storage.database_url, echo=settings.storage.echo_sql)
    if migrate:
        db.upgrade(engine)
    return newsroom_over(
        settings, engine, clock=clock, prepare=migrate, channel_registry=channel_registry
    )


def newsroom_over(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock | None = None,
    prepare: bool = False,
    channel_registry: ChannelRegistry | None = None,
) -> Newsroom:
    """The Newsroom over an engine that exists (and is migrated); with `prepare`, the configured
    sources are synced to their table and the search index version is checked."""
    clock = clock or SystemClock()
    database = Database(engine)
    index = SearchIndex(engine, settings.search)
    summarizer = ExtractiveSummarizer(settings.summary)  # summaries are made once, at ingest
    ingestor = build_ingestor(settings, engine, clock, indexer=index, summarizer=summarizer)
    if prepare:
        ingestor.sync_sources()  # the configured sources are in the table from the start
    searcher = Searcher(index, clock)
    if prepare:
        searcher.check_version()  # logs a warning when `newsbot search --reindex` is needed
    registry = channel_registry if channel_registry is not None else build_channels(settings)
    pages = digest_publisher(settings, engine)
    delivery = build_delivery(settings, engine, clock, ingestor.articles, registry, pages=pages)
    supervisor = Supervisor(
        clock, backoff_cap=settings.supervision.backoff_cap_seconds, database=database
    )
    supervisor.when_database_returns(delivery.outbox.reconnect)
    subscriptions = Subscriptions(
        delivery.subscribers, settings, database, delivery.outbox, registry
    )
    return Newsroom(
        settings=settings,
        clock=clock,
        database=database,
        ingestor=ingestor,
        searcher=searcher,
        delivery=delivery,
        subscriptions=subscriptions,
        admin_reports=AdminReports(settings, database, delivery.outbox, registry),
        channels=registry,
        supervisor=supervisor,
    )


def engine_of(newsroom: Newsroom) -> Engine:
    """The SQLAlchemy engine under a Newsroom built here: for the parts only the composition
    root wires (health, the callback channels' stores, robot groups) and for tests."""
    database = newsroom._database
    if not isinstance(database, Database):
        raise TypeError("this Newsroom's database was not built by newsbot.app")
    return database.engine


def build_delivery(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    articles: ArticleReader,
    channels: ChannelRegistry | None = None,
    **options: Any,
) -> DeliveryService:
    """The delivery service over its stores (the digest tick, alerts, the outbox sender)."""
    stores = DeliveryStores(
        database=Database(engine),
        records=DigestRecords(engine),
        outbox=OutboxStore(engine),
        subscribers=SubscriberStore(
            engine, clock=clock, max_keywords=settings.delivery.max_keywords
        ),
        leader=LeaderLock(engine),
        watermark=AlertWatermark(engine),
        senders=SenderTable(engine),
    )
    return DeliveryService(settings, stores, clock, articles, channels, **options)


def digest_publisher(settings: Settings, engine: Engine) -> DigestPublisher | None:
    """Digest web pages (/d/<token>) when the front has a public address to link to."""
    public_url = settings.http.public_url
    if not public_url:
        return None
    from newsbot.storage.subscribers import load_or_create_secret

    def key() -> bytes:
        return load_or_create_secret(engine, "digest_pages")

    return DigestPublisher(DigestPageStore(engine), public_url, settings.http.page_ttl_days, key)


def build_ingestor(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    *,
    indexer: ArticleIndexer | None = None,
    summarizer: Summarizer | None = None,
) -> Ingestor:
    """Ingest over the real fetcher, parsers and extractor."""
    articles = ArticleStore(engine, indexer, max_updates=settings.polling.max_updates_per_article)
    parts = IngestParts(
        open_fetcher=lambda: Fetcher(settings.polling, clock=clock),
        list_items=list_items,  # type: ignore[arg-type]
        extract=PageExtractor(settings.extraction),
    )
    return Ingestor(settings, SourceStore(engine), articles, clock, parts, summarizer=summarizer)


def indexed_articles(newsroom: Newsroom) -> ArticleStore:
    """The Newsroom's articles as ingest stores them (search index kept in step): for seeding
    a database in tests and benchmarks."""
    settings, engine = newsroom.settings, engine_of(newsroom)
    return ArticleStore(
        engine,
        SearchIndex(engine, settings.search),
        max_updates=settings.polling.max_updates_per_article,
    )


@dataclass
class ChannelHost:
    """ports.ChannelContext for the running channels: the conversation, the paced path out of
    the registry, and a way for a channel (the console's /quit) to end the service."""

    conversation: Conversation
    newsroom: Newsroom
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _stores: ChannelStores | None = None
    _groups: GroupStore | None = None

    async def handle(self, incoming: Incoming) -> Response:
        profile = self.newsroom.channel_profile(incoming.channel)
        if profile.reply_window_hours is not None and not profile.takes_held:
            # a channel that reaches people only after they write: what waited goes out now
            await asyncio.to_thread(
                self.newsroom.recipient_wrote, incoming.channel, incoming.chat_id
            )
        return await self.conversation.handle(incoming)

    async def chat_gone(self, channel: str, chat_id: str) -> None:
        await self.conversation.chat_gone(channel, chat_id)

    async def deliver(self, channel: str, message: Outbound) -> str:
        return await self.newsroom.deliver(channel, message)

    def request_stop(self) -> None:
        self.stopping.set()

    def secret(self, name: str) -> bytes:
        return self.newsroom.secret(name)

    def channel_trouble(self, channel: str, problem: str | None) -> None:
        self.newsroom.channel_trouble(channel, problem)

    def stores(self) -> ChannelStores:
        if self._stores is None:
            self._stores = channel_stores(engine_of(self.newsroom))
        return self._stores

    def take_held(self, channel: str, chat_id: str) -> list[Outbound]:
        return self.newsroom.take_held(channel, chat_id)

    def held_messages(self, rows: Sequence[OutboxRow]) -> list[Outbound]:
        return self.newsroom.held_messages(rows)

    def language(self, channel: str, chat_id: str) -> str:
        return self.newsroom.language_of(channel, chat_id)

    @property
    def groups(self) -> GroupStore:
        """The robot groups: the robot channels read webhooks here and report refusals."""
        if self._groups is None:
            self._groups = GroupStore(engine_of(self.newsroom))
        return self._groups


@dataclass(frozen=True)
class DatabaseChannelStores:
    inbound: InboundLedger
    tokens: TokenCache
    choices: ChoiceStore
    windows: ReplyWindows


def channel_stores(engine: Engine) -> DatabaseChannelStores:
    """What callback channels (WeChat, WeCom) keep in the database, shared by every process."""
    return DatabaseChannelStores(
        InboundLedger(engine), TokenCache(engine), ChoiceStore(engine), ReplyWindows(engine)
    )


def housekeeping(newsroom: Newsroom) -> Housekeeping:
    """The scheduled purge of rows that outlived their use (service/housekeeping.py)."""
    engine, http = engine_of(newsroom), newsroom.settings.http
    stores = channel_stores(engine)
    kinds = [
        Expiry("digest pages", DigestPageStore(engine), timedelta(days=http.expired_page_days)),
        Expiry("inbound ledger", stores.inbound, LEDGER_KEEP),
        Expiry("numbered choices", stores.choices, CHOICES_KEEP),
        Expiry("reply windows", stores.windows),
        Expiry("api tokens", stores.tokens, timedelta(days=1)),
    ]
    return Housekeeping(kinds, newsroom.clock)


def digest_pages(newsroom: Newsroom) -> DigestPages:
    """GET /d/<token> for the HTTP front."""
    settings = newsroom.settings
    return DigestPages(
        DigestPageStore(engine_of(newsroom)),
        newsroom.clock,
        ttl_days=settings.http.page_ttl_days,
        language=settings.delivery.default_language,
    )


def health_routes(newsroom: Newsroom) -> list[Route]:
    """GET /healthz and /metrics for the HTTP front, over the Newsroom's database."""
    from newsbot.health import health_routes as routes

    return routes(
        engine_of(newsroom),
        newsroom.clock,
        newsroom._supervisor,  # the composition root wires /healthz to the supervisor's view
        timeout=newsroom.settings.supervision.health_timeout_seconds,
    )


def channel_host(newsroom: Newsroom) -> ChannelHost:
    return ChannelHost(Conversation.for_newsroom(newsroom), newsroom)


# --- robot groups ------------------------------------------------------------------------------


def build_groups(settings: Settings, engine: Engine, clock: Clock) -> GroupService:
    """Group subscriptions as operators manage them, with a one-off test send per kind."""
    store = GroupStore(engine)
    testers: dict[str, TestSend] = {}
    for package in ROBOT_CHANNELS:
        channel = importlib.import_module(package).build(settings)
        testers[channel.kind] = _tester(channel.sender, store)
    return GroupService(
        store,
        clock,
        default_time=settings.delivery.default_time,
        default_timezone=settings.delivery.default_timezone,
        testers=testers,
    )


def _tester(sender: RobotSender, store: GroupStore) -> TestSend:
    async def send_once(chat_id: str, text: str) -> tuple[bool, str]:
        sender.directory = store
        try:
            answer = await sender.post(chat_id, text, plain=True)
        finally:
            await sender.close()
        return answer.ok, answer.reason

    return send_once


def open_groups(settings: Settings, *, clock: Clock | None = None) -> tuple[GroupService, Engine]:
    """For the CLI: a migrated engine and the group service over it (dispose the engine after)."""
    engine = db.create_db_engine(settings.storage.database_url, echo=settings.storage.echo_sql)
    db.upgrade(engine)
    return build_groups(settings, engine, clock or SystemClock()), engine
