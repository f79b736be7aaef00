"""The composition root: the only place that knows every concrete part and wires them together."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from newsbot.adapters.http import Fetcher
from newsbot.adapters.sources import PageExtractor, list_items
from newsbot.config import Settings
from newsbot.conversation import Conversation
from newsbot.core.channels import Outbound
from newsbot.core.incoming import Incoming, Response
from newsbot.core.summarize import ExtractiveSummarizer
from newsbot.ports import Channel, Clock, StoreKey, Summarizer, SystemClock
from newsbot.service import Newsroom
from newsbot.service.channels import ChannelRegistry
from newsbot.service.delivery import DeliveryService
from newsbot.service.ingest import Ingestor, IngestParts
from newsbot.service.search import Searcher
from newsbot.storage import db
from newsbot.storage.articles import ArticleIndexer, ArticleStore
from newsbot.storage.search import SearchIndex
from newsbot.storage.sources import SourceStore

ChannelFactory = Callable[[Settings], Channel]

# The channel registry: one line per channel package, whose `build(settings)` makes the channel
# (docs/channels.md).
CHANNELS: tuple[str, ...] = (
    "newsbot.channels.console",
    "newsbot.channels.telegram",
    "newsbot.channels.wecom",
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
    """Create the engine (migrating it unless told not to) and the Newsroom over it."""
    engine = db.create_db_engine(settings.storage.database_url, echo=settings.storage.echo_sql)
    if migrate:
        db.upgrade(engine)
    clock = clock or SystemClock()
    index = SearchIndex(engine, settings.search)
    summarizer = ExtractiveSummarizer(settings.summary)  # summaries are made once, at ingest
    ingestor = build_ingestor(settings, engine, clock, indexer=index, summarizer=summarizer)
    if migrate:
        ingestor.sync_sources()  # the configured sources are in the table from the start
    searcher = Searcher(index, clock)
    if migrate:
        searcher.check_version()  # logs a warning when `newsbot search --reindex` is needed
    registry = channel_registry if channel_registry is not None else build_channels(settings)
    delivery = DeliveryService(settings, engine, clock, ingestor.articles, registry)
    return Newsroom(
        settings=settings,
        engine=engine,
        clock=clock,
        ingestor=ingestor,
        searcher=searcher,
        delivery=delivery,
        channels=registry,
    )


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


@dataclass
class ChannelHost:
    """ports.ChannelContext for the running channels: the conversation, the paced path out of
    the registry, and a way for a channel (the console's /quit) to end the service."""

    conversation: Conversation
    newsroom: Newsroom
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _stores: dict[str, Any] = field(default_factory=dict)

    @property
    def registry(self) -> ChannelRegistry:
        return self.newsroom.channels

    async def handle(self, incoming: Incoming) -> Response:
        if self.registry.profile(incoming.channel).reply_window_hours is not None:
            # a channel that reaches people only after they write: what waited goes out now
            await asyncio.to_thread(
                self.newsroom.recipient_wrote, incoming.channel, incoming.chat_id
            )
        return await self.conversation.handle(incoming)

    async def chat_gone(self, channel: str, chat_id: str) -> None:
        await self.conversation.chat_gone(channel, chat_id)

    async def deliver(self, channel: str, message: Outbound) -> str:
        return await self.registry.deliver(channel, message)

    def request_stop(self) -> None:
        self.stopping.set()

    def secret(self, name: str) -> bytes:
        return self.newsroom.secret(name)

    def store(self, key: StoreKey[Any]) -> Any:
        """The storage port a channel names (channels/weixin/stores.py), one per host."""
        found = self._stores.get(key.name)
        if found is None:
            found = self._stores[key.name] = channel_store(key.name, self.newsroom)
        return found


def channel_store(name: str, newsroom: Newsroom) -> Any:
    """The database-backed implementations of the channels' storage ports, by key name."""
    from newsbot.storage import weixin

    engine = newsroom.engine
    stores: dict[str, Callable[[], Any]] = {
        "inbound_ledger": lambda: weixin.InboundLedger(engine),
        "token_cache": lambda: weixin.TokenCache(engine),
        "choices": lambda: weixin.ChoiceStore(engine),
        "languages": lambda: SubscriberLanguages(newsroom),
    }
    if name not in stores:
        raise KeyError(f"no storage port {name!r} for channels")
    return stores[name]()


@dataclass(frozen=True)
class SubscriberLanguages:
    """channels.weixin.stores.LanguagesPort: a chat's language, "zh" until it chose one."""

    newsroom: Newsroom

    def language_of(self, channel: str, chat_id: str) -> str:
        subscriber = self.newsroom.subscriptions.store.get(channel, chat_id)
        return subscriber.language if subscriber is not None else "zh"


def channel_host(newsroom: Newsroom) -> ChannelHost:
    return ChannelHost(Conversation.for_newsroom(newsroom), newsroom)
