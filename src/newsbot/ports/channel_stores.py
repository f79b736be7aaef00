"""State of the callback channels (WeChat, WeCom), kept in the database: shared by every process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from newsbot.core.models import OutboxRow


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

    @property
    def held(self) -> Sequence[OutboxRow]:
        """The outbox rows held for the recipient, taken with the record (take_held=True)."""
        ...


class InboundLedger(Protocol):
    """Each inbound message id once: retries of a platform get the first answer."""

    def begin(
        self,
        channel: str,
        key: str,
        now: datetime,
        *,
        window: WindowGrant | None = None,
        take_held: bool = False,
    ) -> InboundRecord:
        """Record the message; the first request for `key` gets first=True. With `window`, the
        reader's reply window opens in the same transaction, and with `take_held` the messages
        held for them (SendOutcome.HOLD_UNTIL_CONTACT) are taken there too, counting as sent
        (ChannelContext.held_messages makes them Outbound)."""
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


class ChannelStores(Protocol):
    @property
    def inbound(self) -> InboundLedger: ...
    @property
    def tokens(self) -> TokenCache: ...
    @property
    def choices(self) -> ChoiceStore: ...
    @property
    def windows(self) -> ReplyWindows: ...
