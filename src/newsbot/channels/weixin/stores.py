"""What the WeChat/WeCom channels need from storage, as Protocols (storage/weixin.py implements
them; app.py builds them). Channels never import storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from newsbot.ports import StoreKey


class InboundLike(Protocol):
    @property
    def first(self) -> bool: ...
    @property
    def reply(self) -> str | None: ...


class InboundLedgerPort(Protocol):
    def begin(self, channel: str, key: str, now: datetime) -> InboundLike: ...
    def reply(self, channel: str, key: str) -> str | None: ...
    def answer(self, channel: str, key: str, reply: str, now: datetime) -> None: ...


class TokenCachePort(Protocol):
    def get(self, key: str, now: datetime) -> str | None: ...
    def put(self, key: str, token: str, expires_at: datetime, now: datetime) -> None: ...
    def forget(self, key: str, token: str) -> None: ...
    def claim_refresh(self, key: str, now: datetime, lease: timedelta) -> bool: ...
    def release_refresh(self, key: str) -> None: ...


class ChoiceStorePort(Protocol):
    def save(
        self, channel: str, chat_id: str, choices: Sequence[tuple[str, str]], now: datetime
    ) -> None: ...
    def get(self, channel: str, chat_id: str) -> list[tuple[str, str]]: ...


class ReplyWindowsPort(Protocol):
    def open(
        self, channel: str, chat_id: str, quota: int, until: datetime, now: datetime
    ) -> None: ...
    def take(self, channel: str, chat_id: str, now: datetime) -> bool: ...
    def give_back(self, channel: str, chat_id: str) -> None: ...
    def close(self, channel: str, chat_id: str, now: datetime) -> None: ...


class HeldMessagesPort(Protocol):
    def hold(
        self, channel: str, chat_id: str, kind: str, payload: dict[str, Any], now: datetime
    ) -> int: ...
    def take_all(self, channel: str, chat_id: str) -> list[tuple[str, dict[str, Any]]]: ...


class LanguagesPort(Protocol):
    def language_of(self, channel: str, chat_id: str) -> str: ...


# What a running channel asks its context for (ports.ChannelContext.store).
INBOUND_LEDGER: StoreKey[InboundLedgerPort] = StoreKey("inbound_ledger")
TOKEN_CACHE: StoreKey[TokenCachePort] = StoreKey("token_cache")
CHOICES: StoreKey[ChoiceStorePort] = StoreKey("choices")
LANGUAGES: StoreKey[LanguagesPort] = StoreKey("languages")
