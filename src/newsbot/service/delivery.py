"""Delivery: the digest tick, keyword alerts, and the outbox sender behind them.

deliver_due (every minute, on the scheduler leader only):
  1. read active subscribers and their digest records for today/yesterday (local dates), decide
     with core.schedule who is due, who was missed (past the grace window: recorded 'skipped' and
     logged once, never sent late);
  2. read the candidate articles once for everybody, build each digest (core.digest), render it per
     channel, and in ONE transaction per batch: claim the (subscriber, local date) record, write
     the outbox rows and the ledger, move last_digest_at. A crash leaves all of it or none.
send_outbox (every few seconds, on every process): claim due outbox rows and send them paced.
queue_alerts (after ingest): keyword matches pushed now (capped per local day, held until quiet
  hours end), or folded into the next digest for subscribers whose alert_mode is "digest".
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsbot.config import Settings
from newsbot.core import schedule
from newsbot.core.digest import (
    Digest,
    Matcher,
    build_digest,
    digest_message,
)
from newsbot.core.i18n import t
from newsbot.core.models import EMPTY, QUEUED, SKIPPED, Article, NewMessage, Subscriber
from newsbot.core.replies import Message, text_block
from newsbot.ports import (
    AlertMarks,
    ArticleReader,
    Clock,
    Database,
    DigestRecords,
    LeaderLock,
    Outbox,
    Senders,
    SubscriberStore,
    Transaction,
)
from newsbot.service import digest_out
from newsbot.service.alerts import AlertQueue
from newsbot.service.channels import ChannelRegistry
from newsbot.service.pages import DigestPublisher
from newsbot.service.sending import OutboxSender, SendReport
from newsbot.service.shares import SendingShares

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLAIM_BATCH = 200  # subscribers per transaction in the digest tick
MAX_CANDIDATES = 2000  # articles read per tick; a day of the portal is a few hundred


Slotted = tuple[Subscriber, schedule.DigestSlot]


def default_matcher() -> Matcher:
    """The search engine's matcher (same semantics as /search), memoised for one tick."""
    try:
        from newsbot.core.query import matches
    except ImportError:  # pragma: no cover - only before the search module existed

        def matches(keyword_or_query: str, title: str, text: str) -> bool:
            return keyword_or_query in title or keyword_or_query in text

    return functools.lru_cache(maxsize=100_000)(matches)


@dataclass(frozen=True)
class DeliveryStores:
    """What delivery keeps in the database, each behind its port (built in app.py)."""

    database: Database
    records: DigestRecords
    outbox: Outbox
    subscribers: SubscriberStore
    leader: LeaderLock
    watermark: AlertMarks
    senders: Senders | None = None  # partitioned sending among processes (service/shares.py)


@dataclass
class DeliveryReport:
    due: int = 0
    queued: int = 0
    empty: int = 0
    skipped: int = 0
    already_claimed: int = 0
    messages: int = 0


class DeliveryService:
    def __init__(
        self,
        settings: Settings,
        stores: DeliveryStores,
        clock: Clock,
        articles: ArticleReader,
        channels: ChannelRegistry | None = None,
        *,
        matcher_factory: Callable[[], Matcher] = default_matcher,
        pages: DigestPublisher | None = None,
        share_sending: bool = True,
    ) -> None:
        self.settings = settings.delivery
        self.database = stores.database
        self.clock = clock
        self.articles = articles
        self.records = stores.records
        self.outbox = stores.outbox
        self.subscribers = stores.subscribers
        self.matcher_factory = matcher_factory
        self.pages = pages  # digest web pages, when [http] public_url is set
        self.leader = stores.leader
        self.watermark = stores.watermark
        self.channels = channels if channels is not None else ChannelRegistry()
        self.alerts = AlertQueue(
            settings.delivery,
            clock,
            articles,
            self.database,
            self.outbox,
            self.subscribers,
            matcher_factory,
            self.channels.render,
        )
        self._recovered = False
        d = self.settings
        senders = stores.senders
        self.shares = (
            SendingShares(senders, self.outbox, self.channels, clock)
            if share_sending and senders is not None and senders.shared
            else None  # SQLite: one process, paced alone (share_sending=False: benchmarks)
        )
        self.sender = OutboxSender(
            self.outbox,
            self.subscribers,
            self.channels,
            clock,
            max_attempts=d.max_attempts,
            batch_size=max(500, int(d.rate_per_second * 4)),  # many chats: every channel busy
            db_threads=4 if self.database.concurrent else 1,
            shares=self.shares,
        )

    # --- the digest tick ------------------------------------------------------------------------

    async def deliver_due(self) -> DeliveryReport:
        return await asyncio.to_thread(self.deliver_due_at, self.clock.now())

    def deliver_due_at(self, now: datetime) -> DeliveryReport:
        report = DeliveryReport()
        due, missed = self._slots(now)
        for subscriber, slot in missed:
            if self._record_only(subscriber, slot, SKIPPED, now):
                report.skipped += 1
                log.warning(
                    "digest for subscriber %s on %s skipped: due at %s, more than %.1f h ago",
                    subscriber.id,
                    slot.local_date_key,
                    slot.due_at.isoformat(),
                    self.settings.grace_hours,
                )
        report.due = len(due)
        if not due:
            return report
        window = timedelta(hours=self.settings.window_hours)
        candidates = self.articles.recent(now - window, MAX_CANDIDATES)
        seen = self.outbox.delivered_since(now - window)
        matcher = self.matcher_factory()
        for start in range(0, len(due), CLAIM_BATCH):
            self._queue_batch(
                due[start : start + CLAIM_BATCH], candidates, seen, matcher, now, report
            )
        return report

    def _slots(self, now: datetime) -> tuple[list[Slotted], list[Slotted]]:
        subscribers = [s for s in self.subscribers.active() if s.digest_enabled]
        dates = {d for s in subscribers for d in schedule.dates_to_check(now, s.timezone)}
        recorded = self.records.recorded_dates(dates)
        grace = timedelta(hours=self.settings.grace_hours)
        due: list[Slotted] = []
        missed: list[Slotted] = []
        for subscriber in subscribers:
            slot = schedule.digest_slot(subscriber, now, recorded.get(subscriber.id, set()), grace)
            if slot is None:
                continue
            (due if slot.verdict is schedule.Verdict.DUE else missed).append((subscriber, slot))
        return due, missed

    def _record_only(
        self, subscriber: Subscriber, slot: schedule.DigestSlot, status: str, now: datetime
    ) -> bool:
        with self.database.transaction() as tx:
            return (
                self.records.claim(tx, subscriber.id, slot.local_date_key, status, now) is not None
            )

    def _queue_batch(
        self,
        batch: Sequence[Slotted],
        candidates: Sequence[Article],
        seen: Mapping[int, set[int]],
        matcher: Matcher,
        now: datetime,
        report: DeliveryReport,
    ) -> None:
        if self.pages is not None:
            _ = self.pages.key  # read (or create) it before this process holds the writer
        with self.database.transaction() as tx:
            wanted = [(subscriber.id, slot.local_date_key) for subscriber, slot in batch]
            claimed = self.records.claim_many(tx, wanted, "claimed", now)
            report.already_claimed += len(batch) - len(claimed)  # another tick or process has them
            messages: list[NewMessage] = []
            outcomes: list[tuple[int, str, int]] = []
            for subscriber, slot in batch:
                if subscriber.id not in claimed:
                    continue
                fresh = [a for a in candidates if a.id not in seen.get(subscriber.id, set())]
                digest = self._digest(subscriber, fresh, slot.local_date_key, now, matcher)
                chunks = self._digest_messages(tx, subscriber, digest)
                messages.extend(chunks)
                outcomes.append(
                    (claimed[subscriber.id], QUEUED if chunks else EMPTY, len(digest.items))
                )
                report.queued += 1 if chunks else 0
                report.empty += 0 if chunks else 1
            self.outbox.enqueue(tx, messages, now)
            self.records.finish_many(tx, outcomes, now)
            self.subscribers.set_last_digest(tx, list(claimed), now)
            report.messages += len(messages)

    def _digest(
        self,
        subscriber: Subscriber,
        articles: Sequence[Article],
        local_date: str,
        now: datetime,
        matcher: Matcher,
        *,
        since: datetime | None = None,
        window: timedelta | None = None,
    ) -> Digest:
        """The one digest builder: the daily digest, /digest and the quiet-day fallback."""
        window = window or timedelta(hours=self.settings.window_hours)
        return build_digest(
            subscriber,
            articles,
            since=since or schedule.digest_since(subscriber.last_digest_at, now, window),
            now=now,
            local_date=local_date,
            max_items=self.settings.max_items,
            matcher=matcher,
            window=window,
        )

    def _digest_messages(
        self, tx: Transaction, subscriber: Subscriber, digest: Digest
    ) -> list[NewMessage]:
        profile = self.channels.profile(subscriber.channel)
        page_url = None
        if self.pages is not None and not digest.empty:
            page_url = self.pages.publish(tx, digest, subscriber.timezone, self.clock.now())
        rendered = digest_out.rendered(profile, digest, self.settings.empty_day, page_url)
        if rendered is None:
            return []
        return [
            NewMessage(
                dedupe_key=f"digest:{subscriber.id}:{digest.local_date}:{index}",
                subscriber_id=subscriber.id,
                channel=subscriber.channel,
                chat_id=subscriber.chat_id,
                kind="digest",
                payload={
                    "text": chunk,
                    "link_preview": rendered.link_preview,
                    "group": subscriber.is_group,
                    **({"card": rendered.card} if rendered.card else {}),
                },
                article_ids=tuple(a for a, owner in rendered.owners.items() if owner == index),
            )
            for index, chunk in enumerate(rendered.chunks)
        ]

    # --- on demand and alerts -----------------------------------------------------------------

    def build_digest(self, subscriber: Subscriber, now: datetime) -> Message:
        """The last window's digest now, "no news today" included (nothing recorded)."""
        window = timedelta(hours=self.settings.window_hours)
        articles = self.articles.recent(now - window, MAX_CANDIDATES, subscriber.sections)
        local = schedule.local_date(now, subscriber.timezone).isoformat()
        digest = self._digest(
            subscriber, articles, local, now, self.matcher_factory(), since=now - window
        )
        message = digest_message(digest, "notice")
        assert message is not None  # "notice" always gives a message
        return message

    def digest_now(self, subscriber: Subscriber, now: datetime) -> Message | None:
        """/digest: the last window's digest (nothing recorded: the daily one still comes); on
        a quiet day the newest stored articles instead, with a note saying so, so /digest is
        never a dead end. None only when nothing is stored at all."""
        window = timedelta(hours=self.settings.window_hours)
        local = schedule.local_date(now, subscriber.timezone).isoformat()
        matcher = self.matcher_factory()
        recent = self.articles.recent(now - window, MAX_CANDIDATES, subscriber.sections)
        digest = self._digest(subscriber, recent, local, now, matcher, since=now - window)
        if not digest.empty:
            return digest_message(digest, "skip")
        wanted = set(subscriber.sections)
        latest = [
            a
            for a in self.articles.latest(self.settings.max_items * 3)
            if not wanted or a.section in wanted
        ]
        everything = now - EPOCH
        digest = self._digest(
            subscriber, latest, local, now, matcher, since=EPOCH, window=everything
        )
        message = digest_message(digest, "skip")
        if message is None:
            return None
        hours = self.settings.window_hours
        note = text_block(t(subscriber.language, "digest.latest_instead", hours=hours))
        return Message((note, *message.blocks), message.buttons, message.link_preview)

    def queue_new_alerts(self) -> int:
        """Alerts for every article stored since the last call (run after each poll tick)."""
        return self.alerts.queue(self.watermark.take_new())

    def queue_alerts(self, article_ids: Iterable[int]) -> int:
        """Push keyword alerts for these articles; returns how many were queued."""
        return self.alerts.queue(article_ids)

    # --- the sender -----------------------------------------------------------------------------

    async def send_outbox(self) -> SendReport:
        """Every process: put crashed sends back (all of them at a single-process start, expired
        leases on PostgreSQL), then send whatever is due. Sends the database missed during an
        outage are recorded first, so recovery does not take them for crashed ones."""
        await self.sender.record_sent()
        if not self._recovered or self.database.concurrent:
            everything = not self._recovered and not self.database.concurrent
            await asyncio.to_thread(self.recover, everything=everything)
            self._recovered = True
        return await self.sender.send_due()

    async def delivery_tick(self) -> DeliveryReport | None:
        """The digest tick, on the scheduler leader only (None elsewhere)."""
        if not await asyncio.to_thread(self.leader.try_acquire):
            return None
        return await self.deliver_due()

    async def if_leader(self, job: Callable[[], Awaitable[object]]) -> object | None:
        """Run `job` (e.g. the poll tick) only on the scheduler leader."""
        if not await asyncio.to_thread(self.leader.try_acquire):
            return None
        return await job()

    def close(self) -> None:
        self.sender.close()
        self.release()

    def release(self) -> None:
        """The process stops: give up the scheduler leadership and this process's share of the
        sending (the other processes take both at once)."""
        if self.shares is not None:
            self.shares.stop()
        self.leader.release()

    def recover(self, *, everything: bool) -> int:
        """At start: rows left in 'sending' by a crash go back to pending (see storage/outbox)."""
        count = self.outbox.recover(self.clock.now(), everything=everything)
        if count:
            log.warning(
                "%d outbox message(s) were in flight at a crash; resending (may duplicate)", count
            )
        return count
