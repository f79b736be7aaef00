"""The seams between the service and the outside world, as Protocols.

Adapters implement these; tests put small fakes here (and only here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

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
from newsbot.core.incoming import Incoming, Response
from newsbot.core.models import Summary
from newsbot.front.routes import Route

__all__ = [
    "Channel",
    "ChannelContext",
    "ChannelProfile",
    "ChannelSender",
    "Clock",
    "Dialect",
    "ErrorRule",
    "Kind",
    "Limits",
    "Outbound",
    "Pacing",
    "Priority",
    "RateWindow",
    "SendOutcome",
    "SizeUnit",
    "StoreKey",
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

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoreKey(Generic[T]):
    """Names a storage port a channel needs (declared beside its Protocol, e.g.
    channels.weixin.stores.TOKEN_CACHE); `ChannelContext.store(key)` returns the database-backed
    implementation, so a channel never imports storage."""

    name: str


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

    def store(self, key: StoreKey[T]) -> T:
        """The database-backed implementation of a channel's storage port (shared by every
        process); KeyError for a port the composition root does not provide."""
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
