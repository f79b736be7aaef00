"""Subscribers and groups, and what is sent to them: digest records, alert marks, the outbox
and the digest pages."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from newsbot.core.groups import GroupSpec, GroupState, GroupView
from newsbot.core.models import KeywordChange, NewMessage, OutboxRow, Subscriber, SubscriberCounts
from newsbot.core.shares import Member
from newsbot.ports.storage import Transaction


class SubscriberStore(Protocol):
    """Subscribers and their keywords: the one store the chats and the delivery share."""

    @property
    def max_keywords(self) -> int: ...
    def get_or_create(
        self,
        channel: str,
        chat_id: str,
        chat_type: str = "private",
        name: str | None = None,
        **defaults: Any,
    ) -> tuple[Subscriber, bool]: ...
    def get(self, channel: str, chat_id: str) -> Subscriber | None: ...
    def get_by_id(self, subscriber_id: int) -> Subscriber | None: ...
    def update(self, subscriber_id: int, **changes: Any) -> Subscriber: ...
    def deactivate(self, subscriber_id: int) -> Subscriber: ...
    def set_last_query(self, subscriber_id: int, query: str | None) -> None: ...
    def last_query(self, subscriber_id: int) -> str | None: ...
    def list(
        self,
        *,
        channel: str | None = None,
        active_only: bool = True,
        after_id: int = 0,
        limit: int = 1000,
    ) -> builtins.list[Subscriber]: ...
    def counts(self) -> SubscriberCounts: ...
    def add_keywords(self, subscriber_id: int, words: Iterable[str]) -> KeywordChange: ...
    def remove_keywords(
        self, subscriber_id: int, words: Iterable[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]: ...
    # the delivery's bulk reads and the sender's updates
    def active(
        self, *, with_keywords_only: bool = False, ids: Sequence[int] | None = None
    ) -> builtins.list[Subscriber]: ...
    def set_last_digest(
        self, tx: Transaction, subscriber_ids: Sequence[int], now: datetime
    ) -> None: ...
    def mark_inactive(self, channel: str, chat_id: str, now: datetime) -> int: ...
    def update_chat_id(
        self, channel: str, old_chat_id: str, new_chat_id: str, now: datetime
    ) -> int: ...


class DigestRecords(Protocol):
    """One record per (subscriber, local date): whoever claims it owns that digest."""

    def claim(
        self, tx: Transaction, subscriber_id: int, local_date: str, status: str, now: datetime
    ) -> int | None: ...
    def claim_many(
        self, tx: Transaction, wanted: Sequence[tuple[int, str]], status: str, now: datetime
    ) -> dict[int, int]: ...
    def finish_many(
        self, tx: Transaction, outcomes: Sequence[tuple[int, str, int]], now: datetime
    ) -> None: ...
    def recorded_dates(self, dates: Iterable[str]) -> dict[int, set[str]]: ...


class AlertMarks(Protocol):
    """Which stored articles keyword alerts have looked at already."""

    def take_new(self, limit: int = 1000) -> builtins.list[int]: ...


class Senders(Protocol):
    """The processes that send outbox rows, with their pace (partitioned sending, core/shares.py).
    Each method returns the members in their order, as recorded."""

    @property
    def shared(self) -> bool:
        """May several processes send (PostgreSQL)? False: this process always sends alone."""
        ...

    def beat(
        self, token: str, label: str, pace: int, now: datetime, expiry: timedelta
    ) -> builtins.list[Member]: ...
    def repace(self, token: str, pace: int) -> builtins.list[Member]: ...
    def leave(self, token: str) -> None: ...


class Outbox(Protocol):
    """The persistent outbox (one row per rendered chunk) and the delivery ledger beside it."""

    token: str  # this process's claim token

    def enqueue(
        self, tx: Transaction, messages: Sequence[NewMessage], now: datetime
    ) -> builtins.list[int]:
        """Insert rows and their ledger rows in the caller's transaction; a dedupe key that is
        taken raises errors.AlreadyStored when the transaction ends."""
        ...

    def alerts_sent_between(self, subscriber_id: int, start: datetime, end: datetime) -> int: ...
    def delivered_since(self, since: datetime) -> dict[int, set[int]]:
        """subscriber -> articles sent to them (digest or alert) since `since`."""
        ...

    def claim(
        self,
        now: datetime,
        limit: int,
        channels: Sequence[str] | None = None,
        *,
        shared: bool = False,
    ) -> builtins.list[OutboxRow]:
        """Lease due rows; `shared`: only this process's share of the chats (Senders)."""
        ...

    def sent_by_others(
        self, chats: Sequence[tuple[str, str]], since: datetime
    ) -> builtins.list[tuple[str, str, datetime]]:
        """(channel, chat, sent at) of these chats' rows another process sent since `since`."""
        ...

    def mark_sending(self, row_id: int, now: datetime) -> bool: ...
    def mark_sent(self, row_id: int, remote_id: str, now: datetime) -> None: ...
    def mark_sending_many(
        self, row_ids: Sequence[int], now: datetime
    ) -> builtins.set[int]:  # the ids whose lease held, in one transaction
        ...
    def mark_sent_many(self, sent: Sequence[tuple[int, str]], now: datetime) -> None: ...
    def mark_many(
        self, sending: Sequence[int], sent: Sequence[tuple[int, str]], now: datetime
    ) -> builtins.set[int]:  # both kinds of marks in one transaction; the `sending` ids held
        ...
    def retry(
        self,
        row_id: int,
        not_before: datetime,
        error: str,
        *,
        count_attempt: bool = True,
    ) -> None: ...
    def release(self, row_ids: Sequence[int], not_before: datetime | None = None) -> None: ...
    def release_own(self) -> int: ...
    def postpone_chat(self, chat_id: str, after_id: int, not_before: datetime) -> None: ...
    def release_chat_until(
        self, chat_id: str, row_ids: Sequence[int], not_before: datetime
    ) -> None: ...
    def fail(self, row_id: int, error: str) -> None: ...
    def fail_chat(self, chat_id: str, error: str) -> int: ...
    def hold_chat(self, channel: str, chat_id: str, error: str) -> int: ...
    def take_held(self, channel: str, chat_id: str, now: datetime) -> builtins.list[OutboxRow]: ...
    def release_held(self, channel: str, chat_id: str, now: datetime) -> int: ...
    def move_chat(self, old_chat_id: str, new_chat_id: str) -> int: ...
    def replace_payload(self, row_id: int, payload: dict[str, Any]) -> None: ...
    def recover(self, now: datetime, *, everything: bool = False) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def reconnect(self) -> None: ...
    def close(self) -> None: ...


class GroupDirectory(Protocol):
    """The stored groups (storage/groups.GroupStore)."""

    def add(self, spec: GroupSpec, now: datetime) -> int: ...

    def set_state(
        self, name: str, state: GroupState, reason: str | None, now: datetime
    ) -> bool: ...

    def remove(self, name: str) -> bool: ...

    def views(self, name: str | None = None) -> list[GroupView]: ...


class PageStore(Protocol):
    """Digest pages (storage/pages.PageStore), one per distinct digest content."""

    def put(
        self,
        conn: Any,
        token: str,
        *,
        local_date: str,
        title: str,
        description: str,
        html: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store the page in the caller's transaction unless one with this token exists."""
        ...
