"""Storage for the WeChat and WeCom channels, shared by every process through the database:
the inbound dedupe ledger, API access tokens, numbered choices, reply windows.

Channels see these through the Protocols in ports.py (ChannelStores); app.py builds them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from newsbot.storage.schema import (
    api_tokens,
    chat_choices,
    inbound_messages,
    reply_windows,
)

WORKING, ANSWERED = "working", "answered"


@dataclass(frozen=True, slots=True)
class Inbound:
    first: bool  # this request is the first to see the message: it must answer it
    reply: str | None  # the answer already recorded (a retry gets the same), else None


class InboundLedger:
    """MsgId (or FromUserName:CreateTime) -> the one answer, so WeChat's retries are answered
    once and the same, whichever process they reach."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def begin(self, channel: str, key: str, now: datetime) -> Inbound:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(inbound_messages).values(
                        channel=channel, dedupe_key=key, state=WORKING, created_at=now
                    )
                )
            return Inbound(True, None)
        except IntegrityError:
            return Inbound(False, self.reply(channel, key))

    def reply(self, channel: str, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(inbound_messages.c.reply).where(
                    inbound_messages.c.channel == channel, inbound_messages.c.dedupe_key == key
                )
            ).scalar()

    def answer(self, channel: str, key: str, reply: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(inbound_messages)
                .where(inbound_messages.c.channel == channel, inbound_messages.c.dedupe_key == key)
                .values(state=ANSWERED, reply=reply, answered_at=now)
            )

    def purge(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            return conn.execute(
                delete(inbound_messages).where(inbound_messages.c.created_at < before)
            ).rowcount


class TokenCache:
    """API access tokens by key, shared by every process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str, now: datetime) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_tokens.c.token, api_tokens.c.expires_at).where(api_tokens.c.key == key)
            ).first()
        return str(row.token) if row is not None and row.expires_at > now else None

    def put(self, key: str, token: str, expires_at: datetime, now: datetime) -> None:
        values = {"token": token, "expires_at": expires_at, "updated_at": now}
        _upsert(self.engine, api_tokens, {"key": key}, values)

    def claim_refresh(self, key: str, now: datetime, lease: timedelta) -> bool:
        """One process at a time asks the API for a new token: the one that inserts (or takes
        over an expired) `key#refresh` row. The others wait for the token it stores."""
        lock = f"{key}#refresh"
        values = {"token": "", "expires_at": now + lease, "updated_at": now}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(api_tokens).values(key=lock, **values))
            return True
        except IntegrityError:
            with self.engine.begin() as conn:
                taken = conn.execute(
                    update(api_tokens)
                    .where(api_tokens.c.key == lock, api_tokens.c.expires_at <= now)
                    .values(**values)
                ).rowcount
            return bool(taken)

    def release_refresh(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(api_tokens).where(api_tokens.c.key == f"{key}#refresh"))

    def forget(self, key: str, token: str) -> None:
        """Drop `token` (refused by the API) unless another process already replaced it."""
        with self.engine.begin() as conn:
            conn.execute(
                delete(api_tokens).where(api_tokens.c.key == key, api_tokens.c.token == token)
            )


class ChoiceStore:
    """The numbered choices last offered to a chat (回复 1、2、3): button payloads in order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self, channel: str, chat_id: str, choices: Sequence[tuple[str, str]], now: datetime
    ) -> None:
        """(label, payload) pairs, numbered from 1 in this order."""
        pairs = [[label, payload] for label, payload in choices]
        values = {"choices": json.dumps(pairs, ensure_ascii=False), "updated_at": now}
        _upsert(self.engine, chat_choices, {"channel": channel, "chat_id": chat_id}, values)

    def get(self, channel: str, chat_id: str) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            text = conn.execute(
                select(chat_choices.c.choices).where(
                    chat_choices.c.channel == channel, chat_choices.c.chat_id == chat_id
                )
            ).scalar()
        return [(str(label), str(payload)) for label, payload in json.loads(text)] if text else []


class ReplyWindows:
    """How many customer-service messages a chat may still get, and until when."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, channel: str, chat_id: str, quota: int, until: datetime, now: datetime) -> None:
        """A reader action grants `quota` messages until `until`; grants do not add up, the
        larger quota and the later end win (the platform's rule). One transaction."""
        key = {"channel": channel, "chat_id": chat_id}
        with self.engine.begin() as conn:
            row = conn.execute(
                select(reply_windows.c.quota_left, reply_windows.c.open_until).where(
                    *_match(reply_windows, key)
                )
            ).first()
            if row is None:
                values = {**key, "quota_left": quota, "open_until": until, "updated_at": now}
                inserted = conn.execute(_insert_ignoring_conflict(conn, reply_windows, values))
                if inserted.rowcount:
                    return  # else another process opened it meanwhile: update theirs
            elif row.open_until > now:
                quota, until = max(quota, row.quota_left), max(until, row.open_until)
            conn.execute(
                update(reply_windows)
                .where(*_match(reply_windows, key))
                .values(quota_left=quota, open_until=until, updated_at=now)
            )

    def take(self, channel: str, chat_id: str, now: datetime) -> bool:
        """Use one message of the window; False when it is closed or used up."""
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(reply_windows)
                .where(
                    reply_windows.c.channel == channel,
                    reply_windows.c.chat_id == chat_id,
                    reply_windows.c.open_until > now,
                    reply_windows.c.quota_left > 0,
                )
                .values(quota_left=reply_windows.c.quota_left - 1, updated_at=now)
            ).rowcount
        return bool(taken)

    def give_back(self, channel: str, chat_id: str) -> None:
        """A message taken but not sent for a reason other than the window (a network error)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(reply_windows)
                .where(reply_windows.c.channel == channel, reply_windows.c.chat_id == chat_id)
                .values(quota_left=reply_windows.c.quota_left + 1)
            )

    def close(self, channel: str, chat_id: str, now: datetime) -> None:
        """The platform said the window is closed or used up (45015, 45047)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(reply_windows)
                .where(reply_windows.c.channel == channel, reply_windows.c.chat_id == chat_id)
                .values(quota_left=0, updated_at=now)
            )


def _insert_ignoring_conflict(conn: Any, table: Any, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING: keeps the transaction usable on PostgreSQL."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(table).values(**values).on_conflict_do_nothing()


def _match(table: Any, key: dict[str, Any]) -> list[Any]:
    return [table.c[name] == value for name, value in key.items()]


def _upsert(engine: Engine, table: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Update the row with `key`, or insert it; a racing insert from another process is retried
    as an update."""

    def attempt() -> int:
        with engine.begin() as conn:
            changed = conn.execute(update(table).where(*_match(table, key)).values(**values))
            if changed.rowcount:
                return 1
            conn.execute(insert(table).values(**key, **values))
            return 1

    try:
        attempt()
    except IntegrityError:
        attempt()
