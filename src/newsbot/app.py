"""The composition root: the only place that knows every concrete part and wires them together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Engine

from newsbot.adapters.http import Fetcher
from newsbot.adapters.sources import PageExtractor, list_items
from newsbot.channels.robots.profile import Outcome
from newsbot.channels.robots.sender import RobotSender
from newsbot.config import Settings
from newsbot.core.summarize import ExtractiveSummarizer
from newsbot.ports import Clock, Summarizer, SystemClock
from newsbot.service import Newsroom
from newsbot.service.delivery import DeliveryService
from newsbot.service.groups import GroupService
from newsbot.service.ingest import Ingestor, IngestParts
from newsbot.service.search import Searcher
from newsbot.storage import db
from newsbot.storage.articles import ArticleIndexer, ArticleStore
from newsbot.storage.groups import GroupStore
from newsbot.storage.search import SearchIndex
from newsbot.storage.sources import SourceStore


def build_newsroom(
    settings: Settings, *, clock: Clock | None = None, migrate: bool = True
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
    delivery = DeliveryService(settings, engine, clock, ingestor.articles)  # senders: channels
    return Newsroom(
        settings=settings,
        engine=engine,
        clock=clock,
        ingestor=ingestor,
        searcher=searcher,
        delivery=delivery,
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


# --- robot groups ------------------------------------------------------------------------------


def robot_senders(engine: Engine, clock: Clock) -> dict[str, RobotSender]:
    """One sender per robot channel (WeCom, DingTalk, Feishu), all reading the stored groups."""
    from newsbot.channels import dingtalk, feishu, wecom_robot

    store = GroupStore(engine)
    return {
        package.PROFILE.name: package.build_sender(store, clock=clock)
        for package in (wecom_robot, dingtalk, feishu)
    }


def build_groups(settings: Settings, engine: Engine, clock: Clock) -> GroupService:
    """Group subscriptions as operators manage them, with a one-off test send per kind."""
    from newsbot.channels import dingtalk, feishu, wecom_robot

    store = GroupStore(engine)
    testers = {}
    for package in (wecom_robot, dingtalk, feishu):
        testers[package.PROFILE.kind] = _tester(package.build_sender, store, clock)
    return GroupService(
        store,
        clock,
        default_time=settings.delivery.default_time,
        default_timezone=settings.delivery.default_timezone,
        testers=testers,
    )


def _tester(
    build: Callable[..., RobotSender], store: GroupStore, clock: Clock
) -> Callable[[str, str], Awaitable[tuple[bool, str]]]:
    async def send_once(chat_id: str, text: str) -> tuple[bool, str]:
        sender = build(store, clock=clock)
        try:
            answer = await sender.post(chat_id, text, plain=True)
        finally:
            await sender.close()
        return answer.outcome is Outcome.SENT, answer.reason

    return send_once


def open_groups(settings: Settings, *, clock: Clock | None = None) -> tuple[GroupService, Engine]:
    """For the CLI: a migrated engine and the group service over it (dispose the engine after)."""
    engine = db.create_db_engine(settings.storage.database_url, echo=settings.storage.echo_sql)
    db.upgrade(engine)
    clock = clock or SystemClock()
    return build_groups(settings, engine, clock), engine
