"""Subscriptions: the subscriber operations every chat channel uses, over the SubscriberStore.

New subscribers get the configured defaults (delivery.default_time, default_timezone,
default_language); /start reactivates a subscriber the sender marked inactive (403).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from newsbot.config import Settings
from newsbot.core.models import KeywordChange, NewMessage, Subscriber, SubscriberCounts
from newsbot.core.replies import Message
from newsbot.errors import AlreadyStored
from newsbot.ports import Database, Outbox, SubscriberStore
from newsbot.service.channels import ChannelRegistry


class Subscriptions:
    def __init__(
        self,
        store: SubscriberStore,
        settings: Settings,
        database: Database,
        outbox: Outbox,
        channels: ChannelRegistry | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.database = database
        self.outbox = outbox
        self.channels = channels if channels is not None else ChannelRegistry()

    @property
    def max_keywords(self) -> int:
        return self.store.max_keywords

    def known_sections(self) -> tuple[str, ...]:
        """The sections of the configured sources, in config order."""
        names = (
            s.section.strip() for s in self.settings.sources if s.enabled and s.section.strip()
        )
        return tuple(dict.fromkeys(names))

    def open(
        self, channel: str, chat_id: str, chat_type: str = "private", name: str = ""
    ) -> tuple[Subscriber, bool]:
        """The chat's subscriber, created with the configured defaults on first contact."""
        delivery = self.settings.delivery
        return self.store.get_or_create(
            channel,
            chat_id,
            chat_type,
            name,
            language=delivery.default_language,
            timezone=delivery.default_timezone,
            digest_time=delivery.default_time,
        )

    def get(self, channel: str, chat_id: str) -> Subscriber | None:
        return self.store.get(channel, chat_id)

    def get_by_id(self, subscriber_id: int) -> Subscriber | None:
        return self.store.get_by_id(subscriber_id)

    def deactivate(self, subscriber: Subscriber) -> Subscriber:
        """The chat left or blocked the bot: no more digests until /start."""
        return self.store.deactivate(subscriber.id)

    def start(self, subscriber: Subscriber) -> Subscriber:
        """/start: active again (after a block) and subscribed to the digest."""
        if subscriber.active and subscriber.digest_enabled:
            return subscriber
        return self.store.update(subscriber.id, active=True, digest_enabled=True)

    def change(self, subscriber: Subscriber, **settings: Any) -> Subscriber:
        return self.store.update(subscriber.id, **settings)

    def add_keywords(self, subscriber: Subscriber, words: Iterable[str]) -> KeywordChange:
        return self.store.add_keywords(subscriber.id, words)

    def remove_keywords(
        self, subscriber: Subscriber, words: Iterable[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.store.remove_keywords(subscriber.id, words)

    def remember_query(self, subscriber: Subscriber, query: str | None) -> None:
        self.store.set_last_query(subscriber.id, query)

    def last_query(self, subscriber: Subscriber) -> str | None:
        return self.store.last_query(subscriber.id)

    def counts(self) -> SubscriberCounts:
        return self.store.counts()

    def active(self, channel: str | None = None) -> list[Subscriber]:
        """Every active subscriber (paged reads, so memory stays bounded per page)."""
        found: list[Subscriber] = []
        after = 0
        while page := self.store.list(channel=channel, after_id=after, limit=1000):
            found.extend(page)
            after = page[-1].id
        return found

    def broadcast(self, text: str, now: datetime) -> int:
        """Queue `text` for every active subscriber in the outbox (the sender paces it); the
        number of subscribers. The same text in the same minute is queued once (a double tap)."""
        message = Message.plain(*(p.strip() for p in text.split("\n\n") if p.strip()))
        stamp = f"{text}|{now:%Y-%m-%dT%H:%M}".encode()
        key = hashlib.sha256(stamp).hexdigest()[:16]
        rows = []
        subscribers = self.active()
        for subscriber in subscribers:
            for index, chunk in enumerate(self.channels.render(subscriber.channel, message)):
                rows.append(
                    NewMessage(
                        dedupe_key=f"broadcast:{key}:{subscriber.id}:{index}",
                        subscriber_id=subscriber.id,
                        channel=subscriber.channel,
                        chat_id=subscriber.chat_id,
                        kind="broadcast",
                        payload={
                            "text": chunk,
                            "link_preview": False,
                            "group": subscriber.is_group,
                        },
                    )
                )
        try:
            with self.database.transaction() as tx:
                self.outbox.enqueue(tx, rows, now)
        except AlreadyStored:  # this very broadcast was queued a moment ago
            return 0
        return len(subscribers)
