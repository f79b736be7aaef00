"""Keyword alerts: an article matching a subscriber's keywords, pushed soon after ingest.

Subscribers with alert_mode "digest" get nothing here: core.digest ranks their matches up and
groups them first in the next digest. For "push": at most `alert_cap_per_day` alerts per
subscriber per LOCAL day (counted in the delivery ledger; over the cap the article simply waits
for the digest), held until the end of quiet hours (the outbox row's not_before), and never twice
for the same article (the ledger's unique (subscriber, article, kind)).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from newsbot.config import DeliverySettings
from newsbot.core import schedule
from newsbot.core.digest import Matcher, alert_message, keyword_hits
from newsbot.core.models import Article, NewMessage, Subscriber
from newsbot.core.replies import Message
from newsbot.errors import AlreadyStored
from newsbot.ports import ArticleGetter, Clock, Database, Outbox, SubscriberStore

log = logging.getLogger(__name__)
Render = Callable[[str, Message], list[str]]  # (channel name, message) -> chunks


class AlertQueue:
    def __init__(
        self,
        settings: DeliverySettings,
        clock: Clock,
        articles: ArticleGetter,
        database: Database,
        outbox: Outbox,
        subscribers: SubscriberStore,
        matcher_factory: Callable[[], Matcher],
        render: Render,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.articles = articles
        self.database = database
        self.outbox = outbox
        self.subscribers = subscribers
        self.matcher_factory = matcher_factory
        self.render = render

    def queue(self, article_ids: Iterable[int]) -> int:
        """Queue push alerts for these articles; returns how many were queued."""
        now = self.clock.now()
        found = [self.articles.get(i) for i in article_ids]
        articles = [a for a in found if a is not None and a.duplicate_of is None]
        if not articles:
            return 0
        matcher = self.matcher_factory()
        queued = 0
        for subscriber in self.subscribers.active(with_keywords_only=True):
            if subscriber.alert_mode != "push":
                continue  # "digest": folded into the next digest; "off" (groups): none
            for article in articles:
                hits = keyword_hits(article, subscriber.keywords, matcher)
                if hits and self._queue_one(subscriber, article, hits, now):
                    queued += 1
        return queued

    def _queue_one(
        self, subscriber: Subscriber, article: Article, hits: Sequence[str], now: datetime
    ) -> bool:
        start, end = schedule.local_day_bounds(now, subscriber.timezone)
        sent = self.outbox.alerts_sent_between(subscriber.id, start, end)
        if schedule.alerts_allowed(self.settings.alert_cap_per_day, sent, 1) == 0:
            log.info("alert cap reached for subscriber %s; article %s waits for the digest",
                     subscriber.id, article.id)  # fmt: skip
            return False
        message = alert_message(article, hits, subscriber.language)
        not_before = schedule.quiet_hours_end(subscriber, now)
        rows = [
            NewMessage(
                dedupe_key=f"alert:{subscriber.id}:{article.id}:{index}",
                subscriber_id=subscriber.id,
                channel=subscriber.channel,
                chat_id=subscriber.chat_id,
                kind="alert",
                payload={"text": chunk, "link_preview": index == 0, "group": subscriber.is_group},
                article_ids=(article.id,) if index == 0 else (),
                not_before=not_before,
            )
            for index, chunk in enumerate(self.render(subscriber.channel, message))
        ]
        try:
            with self.database.transaction() as tx:
                self.outbox.enqueue(tx, rows, now)
        except AlreadyStored:
            return False  # already alerted about this article
        return True
