"""The seams between the service and the outside world, as Protocols.

Adapters implement these; tests put small fakes here (and only here).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from newsbot.core.channels import (
    ChannelProfile,
    Dialect,
    ErrorRule,
    Kind,
    Limits,
    Outbound,
    Pacing,
    Priority,
    RateWindow,
    SendOutcome,
    SizeUnit,
)
from newsbot.core.dedupe import SaveOutcome
from newsbot.core.groups import RobotTarget
from newsbot.core.incoming import Incoming, Response
from newsbot.core.models import (
    Article,
    ArticleDraft,
    KeywordChange,
    KnownArticle,
    NewMessage,
    OutboxRow,
    SourceState,
    Subscriber,
    SubscriberCounts,
    Summary,
)
from newsbot.front.routes import Route

__all__ = [
    "AlertMarks",
    "ArticleStore",
    "Channel",
    "ChannelContext",
    "ChannelProfile",
    "ChannelSender",
    "ChannelStores",
    "Clock",
    "Database",
    "Dialect",
    "DigestRecords",
    "ErrorRule",
    "Expiring",
    "Kind",
    "LeaderLock",
    "Limits",
    "Outbound",
    "Outbox",
    "Pacing",
    "Priority",
    "RateWindow",
    "RobotDirectory",
    "SendOutcome",
    "SizeUnit",
    "SourceStore",
    "SubscriberStore",
    "Summarizer",
    "SystemClock",
    "Transaction",
]


class Clock(Protocol):
    """Where 'now' comes from: the system in production, a settable clock in tests."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Summarizer(Protocol):
    """Turns an extracted article into key points and figures. Pure and deterministic by default;
    an LLM-backed implementation may do I/O but must keep this signature."""

    def summarize(self, title: str, paragraphs: Sequence[str]) -> Summary: ...


# --- channels ---------------------------------------------------------------------------------


class ChannelSender(Protocol):
    """Puts one rendered chunk on the wire. Returns the platform's message id; raises
    errors.SendError whose `outcome` (core.channels.SendOutcome) classifies the failure."""

    async def send(self, message: Outbound) -> str: ...


class ChannelContext(Protocol):
    """What a running channel may call: the conversation, and the paced way out."""

    async def handle(self, incoming: Incoming) -> Response:
        """The conversation's answer to one inbound message or button press."""
        ...

    async def chat_gone(self, channel: str, chat_id: str) -> None:
        """The platform says the recipient left or blocked us: stop sending to it."""
        ...

    async def deliver(self, channel: str, message: Outbound) -> str:
        """Send through the channel's pacer (replies and edits before digests); the remote id."""
        ...

    def request_stop(self) -> None:
        """The channel's user asked to end the service (the console's /quit)."""
        ...

    def secret(self, name: str) -> bytes:
        """A random key kept in the database under `name`, the same in every process."""
        ...

    def channel_trouble(self, channel: str, problem: str | None) -> None:
        """A running channel cannot reach its platform (`problem`, one line), or can again
        (None): the supervisor pauses its sending meanwhile and /healthz reports it."""
        ...

    def stores(self) -> ChannelStores:
        """Small state callback channels keep in the database (shared by every process)."""
        ...

    def take_held(self, channel: str, chat_id: str) -> list[Outbound]:
        """The messages held for this recipient (SendOutcome.HOLD_UNTIL_CONTACT), taken for
        the channel to deliver now (WeChat: as the passive reply); they count as sent."""
        ...

    def language(self, channel: str, chat_id: str) -> str:
        """The recipient's language ("zh" when unknown), for text the channel adds itself."""
        ...

    @property
    def groups(self) -> RobotDirectory:
        """The robot groups (webhooks, secrets, state) the robot channels post to."""
        ...


class Channel(Protocol):
    """One outside messaging system, as the rest of the house sees it.

    `profile` says everything else needs to know (rendering, limits, pacing, error rules) as
    data; `configured` is False when the settings lack what it needs to run (e.g. a token), in
    which case it is never started but its profile still renders for its subscribers.
    """

    @property
    def name(self) -> str: ...

    @property
    def profile(self) -> ChannelProfile: ...

    @property
    def configured(self) -> bool: ...

    @property
    def sender(self) -> ChannelSender: ...

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        """Inbound HTTP routes for the one HTTP front (webhooks, callbacks); asked before the
        front starts, so before `start`. Most channels that only push return []."""
        ...

    async def start(self, context: ChannelContext) -> None:
        """Begin receiving (polling, stdin; webhooks arrive on the routes); return once running."""
        ...

    async def stop(self) -> None: ...


class RobotDirectory(Protocol):
    """Where the group robots' recipients live (storage.groups.GroupStore): the webhook and
    signing secret of a group, and what the platform said about it."""

    def target(self, channel: str, chat_id: str) -> RobotTarget | None: ...

    def reject(self, channel: str, chat_id: str, reason: str, now: datetime) -> None:
        """The platform refused the key, token or signature: pause the group with the reason."""
        ...

    def note_error(self, channel: str, chat_id: str, reason: str, now: datetime) -> None: ...


# --- state of callback channels (WeChat, WeCom), kept in the database -------------------------


@dataclass(frozen=True, slots=True)
class WindowGrant:
    """A reader action's customer-service allowance: `quota` messages to `chat_id` until `until`."""

    chat_id: str
    quota: int
    until: datetime


@dataclass(frozen=True, slots=True)
class Offered:
    """The numbered choices an answer shows to `chat_id`: (label, signed payload), from 1."""

    chat_id: str
    choices: Sequence[tuple[str, str]]


class InboundRecord(Protocol):
    @property
    def first(self) -> bool:
        """This request is the first to see the message: it must answer it."""
        ...

    @property
    def reply(self) -> str | None:
        """The answer already recorded (a retry gets the same), else None."""
        ...


class InboundLedger(Protocol):
    """Each inbound message id once: retries of a platform get the first answer."""

    def begin(
        self, channel: str, key: str, now: datetime, *, window: WindowGrant | None = None
    ) -> InboundRecord:
        """Record the message; the first request for `key` gets first=True. With `window`, the
        reader's reply window opens in the same transaction."""
        ...

    def reply(self, channel: str, key: str) -> str | None: ...
    def answer(
        self, channel: str, key: str, reply: str, now: datetime, *, offered: Offered | None = None
    ) -> None:
        """Store the answer for retries; with `offered`, save the choices it shows, together."""
        ...

    def purge(self, before: datetime) -> int: ...


class TokenCache(Protocol):
    """API access tokens shared by every process, with a lease so one process fetches."""

    def get(self, key: str, now: datetime) -> str | None: ...
    def put(self, key: str, token: str, expires_at: datetime, now: datetime) -> None: ...
    def forget(self, key: str, token: str) -> None: ...
    def claim_refresh(self, key: str, now: datetime, lease: timedelta) -> bool: ...
    def release_refresh(self, key: str) -> None: ...


class ChoiceStore(Protocol):
    """The numbered choices (label, button payload) last offered to a chat without buttons."""

    def save(
        self, channel: str, chat_id: str, choices: Sequence[tuple[str, str]], now: datetime
    ) -> None: ...
    def get(self, channel: str, chat_id: str) -> list[tuple[str, str]]: ...


class ReplyWindows(Protocol):
    """How many messages a platform still allows to a recipient, and until when (WeChat)."""

    def open(
        self, channel: str, chat_id: str, quota: int, until: datetime, now: datetime
    ) -> None: ...
    def take(self, channel: str, chat_id: str, now: datetime) -> bool: ...
    def give_back(self, channel: str, chat_id: str) -> None: ...
    def close(self, channel: str, chat_id: str, now: datetime) -> None: ...


class Expiring(Protocol):
    """Rows that outlive their use (digest pages, the inbound ledger, numbered choices, reply
    windows, API tokens): the housekeeping job deletes them in bounded batches."""

    def purge(self, before: datetime, *, limit: int) -> int:
        """Delete at most `limit` rows whose date is before `before`; how many were deleted."""
        ...


class ChannelStores(Protocol):
    @property
    def inbound(self) -> InboundLedger: ...
    @property
    def tokens(self) -> TokenCache: ...
    @property
    def choices(self) -> ChoiceStore: ...
    @property
    def windows(self) -> ReplyWindows: ...


# --- storage (newsbot.storage implements these; app.py builds them) ---------------------------


class Transaction(Protocol):
    """An open database transaction: opaque to the service, handed back to the stores' write
    methods so several of them commit together (a digest's claim, outbox rows and ledger)."""


class Database(Protocol):
    """The database itself. Its errors reach the service as errors.StorageError (AlreadyStored
    for a unique key that is taken); whether one means "the database is down" only storage
    knows (`is_outage`)."""

    @property
    def concurrent(self) -> bool:
        """Several processes may write at once (PostgreSQL), so leases and locks matter."""
        ...

    @property
    def dialect(self) -> str: ...

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    def ping(self) -> None:
        """One round trip; raises when the database cannot be reached."""
        ...

    def is_outage(self, exc: BaseException) -> bool:
        """`exc` (or what it was raised from) says the database is unreachable, not a bug."""
        ...

    def secret(self, name: str) -> bytes:
        """A random key kept under `name`, created once and the same in every process."""
        ...

    def dispose(self) -> None: ...


class SourceStore(Protocol):
    """The configured sources and their polling state."""

    def sync(self, configured: Sequence[Any]) -> None: ...
    def get(self, key: str) -> SourceState | None: ...
    def all(self) -> list[SourceState]: ...
    def due(self, now: datetime, keys: Sequence[str]) -> list[SourceState]: ...
    def next_due_at(self, keys: Sequence[str]) -> datetime | None: ...
    def record_success(
        self,
        key: str,
        *,
        status: str,
        polled_at: datetime,
        next_poll_at: datetime,
        etag: str | None,
        last_modified: str | None,
        keep_validators: bool = False,
        error: str | None = None,
    ) -> None: ...
    def record_not_modified(
        self, key: str, *, polled_at: datetime, next_poll_at: datetime
    ) -> None: ...
    def record_failure(
        self,
        key: str,
        *,
        status: str,
        error: str,
        polled_at: datetime,
        next_poll_at: datetime,
        failures: int,
    ) -> None: ...


class ArticleStore(Protocol):
    """Articles: ingest saves them (the decisions are core.dedupe's), every reader reads them."""

    def held_open(self) -> AbstractContextManager[None]: ...
    def known(self, keys: Sequence[str]) -> dict[str, KnownArticle]: ...
    def adopt_section(self, keys: Sequence[str], section: str) -> int: ...
    def save(self, draft: ArticleDraft, now: datetime) -> tuple[SaveOutcome, int]: ...
    def get(self, article_id: int) -> Article | None: ...
    def recent(
        self, since: datetime, limit: int, sections: Sequence[str] = ()
    ) -> list[Article]: ...
    def latest(self, limit: int) -> list[Article]: ...
    def count(self) -> int: ...


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
    def set_last_query(self, subscriber_id: int, query: str) -> None: ...
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


class LeaderLock(Protocol):
    """One scheduler leader among the processes sharing the database."""

    @property
    def held(self) -> bool: ...
    def try_acquire(self) -> bool: ...
    def release(self) -> None: ...


class Outbox(Protocol):
    """The persistent outbox (one row per rendered chunk) and the delivery ledger beside it."""

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
        self, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> builtins.list[OutboxRow]: ...
    def mark_sending(self, row_id: int, now: datetime) -> bool: ...
    def mark_sent(self, row_id: int, remote_id: str, now: datetime) -> None: ...
    def mark_sending_many(
        self, row_ids: Sequence[int], now: datetime
    ) -> builtins.set[int]:  # the ids whose lease held, in one transaction
        ...
    def mark_sent_many(self, sent: Sequence[tuple[int, str]], now: datetime) -> None: ...
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
