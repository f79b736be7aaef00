"""Robot groups in the database: a `robot_groups` row plus the subscriber row it delivers through.

Adding a group writes both (and its keywords) in one transaction. The subscriber's `active`
follows the group's state, so the digest tick and alerts skip paused and rejected groups without
knowing about groups. Webhooks and secrets are stored as given (the database is where secrets
live besides the environment) and leave this module only inside a RobotTarget for the sender.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from newsbot.core.groups import (
    GroupSpec,
    GroupState,
    GroupView,
    RobotTarget,
    chat_id_of,
    mask_webhook,
)
from newsbot.core.models import DEFAULT_LANGUAGE
from newsbot.errors import StorageError
from newsbot.storage.schema import keywords, outbox, robot_groups, subscribers


class GroupExists(StorageError):
    """The name or the webhook is already used by a group."""


class GroupStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"robot groups: {exc}") from exc

    def add(self, spec: GroupSpec, now: datetime) -> int:
        """Create the group and its subscriber; the subscriber id."""
        try:
            with self._tx() as conn:
                taken = self._taken_by(conn, spec)
                if taken:
                    raise GroupExists(taken)
                subscriber_id = self._insert_subscriber(conn, spec, now)
                conn.execute(
                    insert(robot_groups).values(
                        subscriber_id=subscriber_id,
                        name=spec.name,
                        kind=spec.kind.value,
                        webhook=spec.webhook,
                        secret=spec.secret,
                        state=GroupState.ACTIVE.value,
                        created_at=now,
                        updated_at=now,
                    )
                )
                return subscriber_id
        except IntegrityError as exc:  # a concurrent add won the race
            raise GroupExists(f"group {spec.name!r} or its webhook already exists") from exc

    def _taken_by(self, conn: Connection, spec: GroupSpec) -> str | None:
        row = conn.execute(
            select(robot_groups.c.name, robot_groups.c.webhook).where(
                (robot_groups.c.name == spec.name) | (robot_groups.c.webhook == spec.webhook)
            )
        ).first()
        if row is None:
            return None
        if row.name == spec.name:
            return f"a group named {spec.name!r} already exists"
        return f"this webhook is already used by group {row.name!r} (one robot per group)"

    def _insert_subscriber(self, conn: Connection, spec: GroupSpec, now: datetime) -> int:
        result = conn.execute(
            insert(subscribers)
            .values(
                channel=spec.kind.channel,
                chat_id=chat_id_of(spec.name),
                chat_type="group",
                display_name=spec.name,
                language=DEFAULT_LANGUAGE,
                timezone=spec.timezone,
                digest_time=spec.digest_time,
                digest_enabled=True,
                sections=",".join(spec.sections),
                alert_mode=spec.alert_mode,
                quiet_start=spec.quiet_start,
                quiet_end=spec.quiet_end,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .returning(subscribers.c.id)
        )
        subscriber_id = int(result.scalar_one())
        words = list(dict.fromkeys(w.strip().casefold() for w in spec.keywords if w.strip()))
        if words:
            rows = [
                {"subscriber_id": subscriber_id, "keyword": w, "created_at": now} for w in words
            ]
            conn.execute(insert(keywords), rows)
        return subscriber_id

    # --- state ----------------------------------------------------------------------------------

    def set_state(self, name: str, state: GroupState, reason: str | None, now: datetime) -> bool:
        """Pause, reject or resume; the subscriber's `active` follows. False if no such group."""
        with self._tx() as conn:
            subscriber_id = conn.execute(
                select(robot_groups.c.subscriber_id).where(robot_groups.c.name == name)
            ).scalar()
            if subscriber_id is None:
                return False
            conn.execute(
                update(robot_groups)
                .where(robot_groups.c.name == name)
                .values(state=state.value, state_reason=reason, updated_at=now)
            )
            conn.execute(
                update(subscribers)
                .where(subscribers.c.id == subscriber_id)
                .values(active=state is GroupState.ACTIVE, updated_at=now)
            )
            return True

    def reject(self, channel: str, chat_id: str, reason: str, now: datetime) -> None:
        """The platform refused this group's key, token or signature: pause it with the reason."""
        name = self._name_of(channel, chat_id)
        if name is not None:
            self.set_state(name, GroupState.REJECTED, reason[:500], now)
            self.note_error(channel, chat_id, reason, now)

    def note_error(self, channel: str, chat_id: str, reason: str, now: datetime) -> None:
        """The last send error of a group (shown by `groups list`)."""
        with self._tx() as conn:
            conn.execute(
                update(robot_groups)
                .where(robot_groups.c.subscriber_id == _subscriber_of(channel, chat_id))
                .values(last_error=reason[:500], last_error_at=now)
            )

    def remove(self, name: str) -> bool:
        """Delete the group, its subscriber, keywords, digest records and unsent messages."""
        with self._tx() as conn:
            subscriber_id = conn.execute(
                select(robot_groups.c.subscriber_id).where(robot_groups.c.name == name)
            ).scalar()
            if subscriber_id is None:
                return False
            conn.execute(delete(outbox).where(outbox.c.subscriber_id == subscriber_id))
            conn.execute(delete(robot_groups).where(robot_groups.c.subscriber_id == subscriber_id))
            conn.execute(delete(subscribers).where(subscribers.c.id == subscriber_id))
            return True

    # --- reading --------------------------------------------------------------------------------

    def target(self, channel: str, chat_id: str) -> RobotTarget | None:
        """Where to post for this group (None: no such group)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(robot_groups.c.webhook, robot_groups.c.secret).where(
                    robot_groups.c.subscriber_id == _subscriber_of(channel, chat_id)
                )
            ).first()
        return None if row is None else RobotTarget(row.webhook, row.secret)

    def names(self) -> dict[str, str]:
        """name -> kind of every group."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(robot_groups.c.name, robot_groups.c.kind))
            return {str(name): str(kind) for name, kind in rows}

    def views(self, name: str | None = None) -> list[GroupView]:
        """Every group (or one) with its schedule, keywords, state and last delivery, masked."""
        last_sent = (
            select(outbox.c.subscriber_id, func.max(outbox.c.sent_at).label("last_sent"))
            .where(outbox.c.state == "sent")
            .group_by(outbox.c.subscriber_id)
            .subquery()
        )
        s = subscribers.c
        query = (
            select(
                *robot_groups.c,
                s.digest_time,
                s.timezone,
                s.sections,
                s.alert_mode,
                s.quiet_start,
                s.quiet_end,
                last_sent.c.last_sent,
            )
            .join(subscribers, subscribers.c.id == robot_groups.c.subscriber_id)
            .outerjoin(last_sent, last_sent.c.subscriber_id == robot_groups.c.subscriber_id)
            .order_by(robot_groups.c.name)
        )
        if name is not None:
            query = query.where(robot_groups.c.name == name)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
            words = _keywords(conn, [int(r.subscriber_id) for r in rows])
        return [_view(row, words.get(int(row.subscriber_id), ())) for row in rows]

    def _name_of(self, channel: str, chat_id: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(robot_groups.c.name).where(
                    robot_groups.c.subscriber_id == _subscriber_of(channel, chat_id)
                )
            ).scalar()
        return None if value is None else str(value)


def _subscriber_of(channel: str, chat_id: str) -> Any:
    return (
        select(subscribers.c.id)
        .where(subscribers.c.channel == channel, subscribers.c.chat_id == chat_id)
        .scalar_subquery()
    )


def _keywords(conn: Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    if ids:
        query = select(keywords.c.subscriber_id, keywords.c.keyword).where(
            keywords.c.subscriber_id.in_(ids)
        )
        for subscriber_id, word in conn.execute(query.order_by(keywords.c.id)):
            found.setdefault(int(subscriber_id), []).append(str(word))
    return {k: tuple(v) for k, v in found.items()}


def _view(row: Any, words: tuple[str, ...]) -> GroupView:
    quiet = f"{row.quiet_start}-{row.quiet_end}" if row.quiet_start and row.quiet_end else None
    return GroupView(
        name=row.name,
        kind=row.kind,
        webhook_masked=mask_webhook(row.webhook),
        has_secret=bool(row.secret),
        digest_time=row.digest_time,
        timezone=row.timezone,
        sections=tuple(s for s in (row.sections or "").split(",") if s),
        keywords=words,
        alert_mode=row.alert_mode,
        quiet=quiet,
        state=row.state,
        state_reason=row.state_reason,
        last_delivery_at=row.last_sent,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        subscriber_id=int(row.subscriber_id),
    )
