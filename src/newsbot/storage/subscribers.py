"""Subscribers and their keywords, in the database (SQLite or PostgreSQL); nothing in memory.

A subscriber is one chat on one channel (unique channel + chat_id). Sections are stored
comma-separated (section names never contain commas; the delivery reader splits them the same
way). Keywords live in their own table, capped per subscriber (settings.delivery.max_keywords).
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from newsbot.core.models import (
    DEFAULT_ALERT_MODE,
    DEFAULT_DIGEST_TIME,
    DEFAULT_LANGUAGE,
    DEFAULT_TIMEZONE,
    MAX_KEYWORD_CHARS,
    KeywordChange,
    Subscriber,
    SubscriberCounts,
    hhmm,
)
from newsbot.core.schedule import parse_hhmm
from newsbot.errors import StorageError
from newsbot.ports import Clock, SystemClock
from newsbot.storage.schema import keywords, meta, subscribers

# Columns a caller may change with update(); the rest are managed here.
SETTINGS_COLUMNS = frozenset(
    {
        "language",
        "timezone",
        "digest_time",
        "digest_enabled",
        "sections",
        "alert_mode",
        "quiet_start",
        "quiet_end",
        "active",
        "chat_type",
        "display_name",
        "last_query",
    }
)


def normalize_keyword(word: str) -> str:
    """Keywords compare case-insensitively and without surrounding space or quotes."""
    return word.strip().strip("\"'“”‘’「」").strip().casefold()


class SubscriberStore:
    """Create, read and change subscribers; every method is one short transaction."""

    def __init__(
        self, engine: Engine, *, clock: Clock | None = None, max_keywords: int = 50
    ) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.max_keywords = max_keywords

    # --- subscribers -----------------------------------------------------------------------

    def get_or_create(
        self,
        channel: str,
        chat_id: str,
        chat_type: str = "private",
        name: str | None = None,
        **defaults: Any,
    ) -> tuple[Subscriber, bool]:
        """The subscriber for this chat, created with `defaults` if new; (subscriber, created).

        One transaction: the read, and for a new chat the insert (ON CONFLICT DO NOTHING ...
        RETURNING: when another process created it meanwhile, it is read again, in the same
        transaction, which sees the other's commit on both backends)."""
        key = {"channel": channel, "chat_id": str(chat_id)}
        with self.engine.begin() as conn:
            found = _one_in(conn, _BY_CHAT, key)
            if found is not None:
                return found, False
            values = self._new_values(channel, str(chat_id), chat_type, name, defaults)
            try:
                row = conn.execute(_create(conn.dialect.name), values).first()
            except SQLAlchemyError as exc:
                raise StorageError(f"cannot create subscriber {channel}:{chat_id}: {exc}") from exc
            if row is not None:  # RETURNING: the new row without reading it again
                return subscriber_from_row(row, ()), True
            created = _one_in(conn, _BY_CHAT, key)  # another process's, committed meanwhile
        assert created is not None
        return created, False

    def _new_values(
        self,
        channel: str,
        chat_id: str,
        chat_type: str,
        name: str | None,
        defaults: dict[str, Any],
    ) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "channel": channel,
            "chat_id": chat_id,
            "chat_type": chat_type,
            "display_name": (name or "")[:200] or None,
            "language": DEFAULT_LANGUAGE,
            "timezone": DEFAULT_TIMEZONE,
            "digest_time": hhmm(DEFAULT_DIGEST_TIME),
            "digest_enabled": True,
            "sections": "",
            "alert_mode": DEFAULT_ALERT_MODE,
            "active": True,
            "created_at": now,
            "updated_at": now,
            **_column_values(defaults),
        }

    def get(self, channel: str, chat_id: str) -> Subscriber | None:
        return self._one(_BY_CHAT, {"channel": channel, "chat_id": str(chat_id)})

    def get_by_id(self, subscriber_id: int) -> Subscriber | None:
        return self._one(_BY_ID, {"id": subscriber_id})

    def update(self, subscriber_id: int, **changes: Any) -> Subscriber:
        """Change settings (see SETTINGS_COLUMNS); the updated subscriber."""
        unknown = set(changes) - SETTINGS_COLUMNS
        if unknown:
            raise ValueError(f"not a subscriber setting: {sorted(unknown)}")
        values = {**_column_values(changes), "updated_at": self.clock.now()}
        with self.engine.begin() as conn:  # RETURNING: the changed row without reading it again
            row = conn.execute(
                update(subscribers)
                .where(subscribers.c.id == subscriber_id)
                .values(**values)
                .returning(subscribers)
            ).first()
            if row is None:
                raise StorageError(f"subscriber {subscriber_id} does not exist")
            return subscriber_from_row(row, _keywords_of(conn, [row.id]).get(row.id, ()))

    def activate(self, subscriber_id: int) -> Subscriber:
        return self.update(subscriber_id, active=True)

    def deactivate(self, subscriber_id: int) -> Subscriber:
        return self.update(subscriber_id, active=False)

    def set_last_query(self, subscriber_id: int, query: str | None) -> None:
        """One UPDATE, no re-read (None forgets it)."""
        with self.engine.begin() as conn:
            values = {"b_id": subscriber_id, "last_query": query, "updated_at": self.clock.now()}
            conn.execute(_SET_LAST_QUERY, values)

    def last_query(self, subscriber_id: int) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(subscribers.c.last_query).where(subscribers.c.id == subscriber_id)
            ).scalar()
        return None if value is None else str(value)

    def list(
        self,
        *,
        channel: str | None = None,
        active_only: bool = True,
        after_id: int = 0,
        limit: int = 1000,
    ) -> builtins.list[Subscriber]:
        """Subscribers in id order, a page at a time (pass the last id as after_id)."""
        query = (
            select(subscribers)
            .where(subscribers.c.id > after_id)
            .order_by(subscribers.c.id)
            .limit(limit)
        )
        if channel is not None:
            query = query.where(subscribers.c.channel == channel)
        if active_only:
            query = query.where(subscribers.c.active.is_(True))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
            words = _keywords_of(conn, [row.id for row in rows])
        return [subscriber_from_row(row, words.get(row.id, ())) for row in rows]

    def counts(self) -> SubscriberCounts:
        with self.engine.connect() as conn:
            total, active, digest = conn.execute(
                select(
                    func.count(),
                    func.count().filter(subscribers.c.active.is_(True)),
                    func.count().filter(
                        subscribers.c.active.is_(True), subscribers.c.digest_enabled.is_(True)
                    ),
                ).select_from(subscribers)
            ).one()
            words = conn.execute(select(func.count()).select_from(keywords)).scalar() or 0
            channels = conn.execute(
                select(subscribers.c.channel, func.count()).group_by(subscribers.c.channel)
            ).all()
        return SubscriberCounts(
            int(total), int(active), int(digest), int(words), {str(c): int(n) for c, n in channels}
        )

    # --- keywords --------------------------------------------------------------------------

    def keywords(self, subscriber_id: int) -> tuple[str, ...]:
        with self.engine.connect() as conn:
            return _keywords_of(conn, [subscriber_id]).get(subscriber_id, ())

    def add_keywords(self, subscriber_id: int, words: Iterable[str]) -> KeywordChange:
        """Add new keywords up to the cap; report what was added and what was not (and why)."""
        wanted = _unique(normalize_keyword(w) for w in words)
        too_long = tuple(w for w in wanted if len(w) > MAX_KEYWORD_CHARS)
        wanted = [w for w in wanted if len(w) <= MAX_KEYWORD_CHARS]
        now = self.clock.now()
        with self.engine.begin() as conn:
            have = _keywords_of(conn, [subscriber_id]).get(subscriber_id, ())
            new = [w for w in wanted if w not in have]
            room = max(0, self.max_keywords - len(have))
            added, over = new[:room], new[room:]
            if added:
                rows = [
                    {"subscriber_id": subscriber_id, "keyword": w, "created_at": now} for w in added
                ]
                conn.execute(insert(keywords), rows)
        existing = tuple(w for w in wanted if w in have)
        return KeywordChange(tuple(added), existing, tuple(over), too_long, len(have) + len(added))

    def remove_keywords(
        self, subscriber_id: int, words: Iterable[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Remove keywords; (removed, not found)."""
        wanted = _unique(normalize_keyword(w) for w in words)
        with self.engine.begin() as conn:
            have = set(_keywords_of(conn, [subscriber_id]).get(subscriber_id, ()))
            gone = [w for w in wanted if w in have]
            if gone:
                conn.execute(
                    delete(keywords).where(
                        keywords.c.subscriber_id == subscriber_id, keywords.c.keyword.in_(gone)
                    )
                )
        return tuple(gone), tuple(w for w in wanted if w not in have)

    # --- what delivery reads in bulk (one query per tick, not per chat) and the sender changes

    def active(
        self, *, with_keywords_only: bool = False, ids: Sequence[int] | None = None
    ) -> builtins.list[Subscriber]:
        query = select(subscribers).where(subscribers.c.active.is_(True)).order_by(subscribers.c.id)
        if ids is not None:
            query = query.where(subscribers.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
            words = _all_keywords(conn)
        found = [subscriber_from_row(row, words.get(row.id, ())) for row in rows]
        return [s for s in found if s.keywords] if with_keywords_only else found

    def set_last_digest(self, tx: Any, subscriber_ids: Sequence[int], now: datetime) -> None:
        """Inside the caller's transaction (the digest's claim and outbox rows)."""
        if subscriber_ids:
            tx.execute(
                update(subscribers)
                .where(subscribers.c.id.in_(list(subscriber_ids)))
                .values(last_digest_at=now)
            )

    def mark_inactive(self, channel: str, chat_id: str, now: datetime) -> int:
        """The chat blocked the bot or is gone (403); /start makes it active again."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(subscribers)
                .where(subscribers.c.channel == channel, subscribers.c.chat_id == chat_id)
                .values(active=False, updated_at=now)
            )
            return int(result.rowcount)

    def update_chat_id(
        self, channel: str, old_chat_id: str, new_chat_id: str, now: datetime
    ) -> int:
        """A group migrated to a supergroup; keep the subscriber, change its address."""
        with self.engine.begin() as conn:
            taken = conn.execute(
                select(subscribers.c.id).where(
                    subscribers.c.channel == channel, subscribers.c.chat_id == new_chat_id
                )
            ).first()
            if taken is not None:  # the new chat subscribed by itself already: retire the old row
                values: dict[str, Any] = {"active": False, "updated_at": now}
            else:
                values = {"chat_id": new_chat_id, "chat_type": "supergroup", "updated_at": now}
            result = conn.execute(
                update(subscribers)
                .where(subscribers.c.channel == channel, subscribers.c.chat_id == old_chat_id)
                .values(**values)
            )
            return int(result.rowcount)

    # --- helpers ---------------------------------------------------------------------------

    def _one(self, query: Any, params: dict[str, Any]) -> Subscriber | None:
        with self.engine.connect() as conn:
            return _one_in(conn, query, params)


def _one_in(conn: Connection, query: Any, params: dict[str, Any]) -> Subscriber | None:
    row = conn.execute(query, params).first()
    if row is None:
        return None
    words = conn.execute(_KEYWORDS_OF_ONE, {"id": row.id}).scalars()
    return subscriber_from_row(row, tuple(str(word) for word in words))


# The reads and the write on every chat turn, built once (building a statement costs more CPU
# than running it).
_BY_CHAT = select(subscribers).where(
    subscribers.c.channel == bindparam("channel"), subscribers.c.chat_id == bindparam("chat_id")
)
_BY_ID = select(subscribers).where(subscribers.c.id == bindparam("id"))
_KEYWORDS_OF_ONE = (
    select(keywords.c.keyword)
    .where(keywords.c.subscriber_id == bindparam("id"))
    .order_by(keywords.c.id)
)
_SET_LAST_QUERY = update(subscribers).where(subscribers.c.id == bindparam("b_id"))


@cache
def _create(dialect: str) -> Any:
    """A new chat's row, or nothing when it exists already (no error, no aborted transaction)."""
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = upsert(subscribers).on_conflict_do_nothing(
        index_elements=[subscribers.c.channel, subscribers.c.chat_id]
    )
    return statement.returning(subscribers)


def load_or_create_secret(engine: Engine, name: str) -> bytes:
    """A random secret kept in the meta table (created once, shared by every process)."""
    key = f"secret:{name}"
    with engine.begin() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    if value is None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(meta).values(key=key, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process won the race; read its value
        with engine.begin() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one()
    return bytes.fromhex(str(value))


def _column_values(changes: dict[str, Any]) -> dict[str, Any]:
    values = dict(changes)
    if isinstance(values.get("digest_time"), time):  # kept as 'HH:MM', read back as a time
        values["digest_time"] = hhmm(values["digest_time"])
    if "sections" in values:
        values["sections"] = ",".join(s.strip() for s in values["sections"] if s.strip())
    return values


def _unique(words: Iterable[str]) -> builtins.list[str]:
    return [w for w in dict.fromkeys(words) if w]


def _all_keywords(conn: Connection) -> dict[int, tuple[str, ...]]:
    words: dict[int, list[str]] = {}
    for subscriber_id, keyword in conn.execute(
        select(keywords.c.subscriber_id, keywords.c.keyword).order_by(keywords.c.id)
    ):
        words.setdefault(int(subscriber_id), []).append(str(keyword))
    return {k: tuple(v) for k, v in words.items()}


def _keywords_of(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    if not ids:
        return {}
    query = select(keywords.c.subscriber_id, keywords.c.keyword).where(
        keywords.c.subscriber_id.in_(list(ids))
    )
    for subscriber_id, word in conn.execute(query.order_by(keywords.c.id)):
        found.setdefault(int(subscriber_id), []).append(str(word))
    return {k: tuple(v) for k, v in found.items()}


def subscriber_from_row(row: Any, words: tuple[str, ...]) -> Subscriber:
    """A subscribers row (all columns) and its keywords as a core Subscriber."""
    extra = {"display_name": row.display_name} if row.display_name else {}
    return Subscriber(
        id=int(row.id),
        channel=row.channel,
        chat_id=row.chat_id,
        chat_type=row.chat_type,
        language=row.language,
        timezone=row.timezone,
        digest_time=parse_hhmm(row.digest_time),
        digest_enabled=bool(row.digest_enabled),
        sections=tuple(s for s in (row.sections or "").split(",") if s.strip()),
        keywords=words,
        alert_mode=row.alert_mode,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        active=bool(row.active),
        last_digest_at=row.last_digest_at,
        created_at=row.created_at,
        extra=extra,
        last_query=row.last_query,
    )
