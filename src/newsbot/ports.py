"""The seams between the service and the outside world, as Protocols.

Adapters implement these; tests put small fakes here (and only here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

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
from newsbot.core.groups import RobotTarget
from newsbot.core.incoming import Incoming, Response
from newsbot.core.models import Summary
from newsbot.front.routes import Route

__all__ = [
    "Channel",
    "ChannelContext",
    "ChannelProfile",
    "ChannelSender",
    "ChannelStores",
    "Clock",
    "Dialect",
    "ErrorRule",
    "Expiring",
    "Kind",
    "Limits",
    "Outbound",
    "Pacing",
    "Priority",
    "RateWindow",
    "RobotDirectory",
    "SendOutcome",
    "SizeUnit",
    "Summarizer",
    "SystemClock",
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
