"""Storage for the WeChat and WeCom channels, shared by every process through the database:
the inbound dedupe ledger, API access tokens, numbered choices, reply windows.

Channels see these through the Protocols in ports/channel_stores.py (ChannelStores); app.py builds them.
The statements on a reply's path are built once per store (`_Statements`) and run with
parameters: building a SQLAlchemy statement costs more CPU than SQLite takes to run it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, and_, bindparam, case, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from newsbot.core.models import OutboxRow
from newsbot.ports import Offered, WindowGrant
from newsbot.storage.db import purge_batch
from newsbot.storage.outbox import take_held_in
from newsbot.storage.schema import (
    api_tokens,
    chat_choices,
    inbound_messages,
    reply_windows,
)

WORKING, ANSWERED = "working", "answered"
ledger_c = inbound_messages.c


@dataclass(frozen=True, slots=True)
class Inbound:
    first: bool  # this request is the first to see the message: it must answer it
    reply: str | None  # the answer already recorded (a retry gets the same), else None
    held: tuple[OutboxRow, ...] = ()  # taken for the reader with the record (take_held=True)


class _Statements:
    """The hot statements of one dialect, built once (bind parameters named as the columns)."""

    def __init__(self, dialect: str) -> None:
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        ledger = inbound_messages.c
        self.record = insert(inbound_messages)
        self.reply = select(ledger.reply).where(
            ledger.channel == bindparam("channel"), ledger.dedupe_key == bindparam("dedupe_key")
        )
        self.answer = (
            update(inbound_messages)
            .where(ledger.channel == bindparam("b_channel"), ledger.dedupe_key == bindparam("key"))
            .values(state=bindparam("state"), reply=bindparam("reply"))
        )
        window = upsert(reply_windows)
        new, old = window.excluded, reply_windows.c
        still_open = old.open_until > bindparam("now", type_=old.open_until.type)
        self.open_window = window.on_conflict_do_update(
            index_elements=[old.channel, old.chat_id],
            set_={  # grants do not add up: the larger quota and the later end win while open
                "quota_left": case(
                    (and_(still_open, old.quota_left > new.quota_left), old.quota_left),
                    else_=new.quota_left,
                ),
                "open_until": case(
                    (old.open_until > new.open_until, old.open_until), else_=new.open_until
                ),
                "updated_at": new.updated_at,
            },
        )
        choices = upsert(chat_choices)
        self.save_choices = choices.on_conflict_do_update(
            index_elements=[chat_choices.c.channel, chat_choices.c.chat_id],
            set_={"choices": choices.excluded.choices, "updated_at": choices.excluded.updated_at},
        )
        tokens = upsert(api_tokens)
        self.put_token = tokens.on_conflict_do_update(
            index_elements=[api_tokens.c.key],
            set_={name: tokens.excluded[name] for name in ("token", "expires_at", "updated_at")},
        )


@cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


def statements(engine: Engine) -> _Statements:
    return _statements(engine.dialect.name)


def _window_values(channel: str, grant: WindowGrant, now: datetime) -> dict[str, Any]:
    return {
        "channel": channel,
        "chat_id": grant.chat_id,
        "quota_left": grant.quota,
        "open_until": grant.until,
        "updated_at": now,
        "now": now,
    }


def _choice_values(
    channel: str, chat_id: str, choices: Sequence[tuple[str, str]], now: datetime
) -> dict[str, Any]:
    pairs = [[label, payload] for label, payload in choices]
    text = json.dumps(pairs, ensure_ascii=False)
    return {"channel": channel, "chat_id": chat_id, "choices": text, "updated_at": now}


class InboundLedger:
    """MsgId (or FromUserName:CreateTime) -> the one answer, so WeChat's retries are answered
    once and the same, whichever process they reach."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sql = statements(engine)

    def begin(
        self,
        channel: str,
        key: str,
        now: datetime,
        *,
        window: WindowGrant | None = None,
        take_held: bool = False,
    ) -> Inbound:
        """Record the message (the first request for `key` wins). With `window`, the reader's
        action also opens their reply window, and with `take_held` too the messages held for
        them are taken (marked sent, OutboxStore.take_held), in the same transaction: one
        commit per message. A retry takes nothing (its insert fails first)."""
        record = {"channel": channel, "dedupe_key": key, "state": WORKING, "created_at": now}
        held: list[OutboxRow] = []
        try:
            with self.engine.begin() as conn:
                conn.execute(self.sql.record, record)
                if window is not None:
                    conn.execute(self.sql.open_window, _window_values(channel, window, now))
                    if take_held:
                        held = take_held_in(conn, channel, window.chat_id, now)
            return Inbound(True, None, tuple(held))
        except IntegrityError:
            return Inbound(False, self.reply(channel, key))

    def reply(self, channel: str, key: str) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(self.sql.reply, {"channel": channel, "dedupe_key": key})
            return found.scalar()

    def answer(
        self,
        channel: str,
        key: str,
        reply: str,
        now: datetime,
        *,
        offered: Offered | None = None,
    ) -> None:
        """Store the answer (retries get it); with `offered`, the numbered choices that answer
        shows are saved for the chat in the same transaction."""
        values = {
            "b_channel": channel,
            "key": key,
            "state": ANSWERED,
            "reply": reply,
            "answered_at": now,
        }
        with self.engine.begin() as conn:
            conn.execute(self.sql.answer, values)
            if offered is not None:
                choices = _choice_values(channel, offered.chat_id, offered.choices, now)
                conn.execute(self.sql.save_choices, choices)

    def purge(self, before: datetime, *, limit: int = 1000) -> int:
        """Delete up to `limit` records made before `before` (WeChat retries within seconds)."""
        return purge_batch(self.engine, inbound_messages, ledger_c.created_at < before, limit)


class TokenCache:
    """API access tokens by key, shared by every process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sql = statements(engine)

    def get(self, key: str, now: datetime) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_tokens.c.token, api_tokens.c.expires_at).where(api_tokens.c.key == key)
            ).first()
        return str(row.token) if row is not None and row.expires_at > now else None

    def put(self, key: str, token: str, expires_at: datetime, now: datetime) -> None:
        values = {"key": key, "token": token, "expires_at": expires_at, "updated_at": now}
        with self.engine.begin() as conn:
            conn.execute(self.sql.put_token, values)

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

    def purge(self, before: datetime, *, limit: int = 1000) -> int:
        """Delete up to `limit` tokens (and refresh leases) that expired before `before`."""
        return purge_batch(self.engine, api_tokens, api_tokens.c.expires_at < before, limit)

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
        self.sql = statements(engine)

    def save(
        self, channel: str, chat_id: str, choices: Sequence[tuple[str, str]], now: datetime
    ) -> None:
        """(label, payload) pairs, numbered from 1 in this order."""
        with self.engine.begin() as conn:
            conn.execute(self.sql.save_choices, _choice_values(channel, chat_id, choices, now))

    def purge(self, before: datetime, *, limit: int = 1000) -> int:
        """Forget up to `limit` chats' choices last offered before `before` (a "1" then is
        just text again)."""
        return purge_batch(self.engine, chat_choices, chat_choices.c.updated_at < before, limit)

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
        self.sql = statements(engine)

    def open(self, channel: str, chat_id: str, quota: int, until: datetime, now: datetime) -> None:
        """A reader action grants `quota` messages until `until`; grants do not add up, the
        larger quota and the later end win (the platform's rule). One statement."""
        values = _window_values(channel, WindowGrant(chat_id, quota, until), now)
        with self.engine.begin() as conn:
            conn.execute(self.sql.open_window, values)

    def purge(self, before: datetime, *, limit: int = 1000) -> int:
        """Delete up to `limit` windows that closed before `before` (the same as no row)."""
        return purge_batch(self.engine, reply_windows, reply_windows.c.open_until < before, limit)

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
