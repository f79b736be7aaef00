"""Digest pages in the database: created when a digest is queued, served at /d/<token>."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from newsbot.storage.db import purge_batch
from newsbot.storage.schema import digest_pages


@dataclass(frozen=True, slots=True)
class StoredPage:
    token: str
    local_date: str
    title: str
    description: str
    html: str
    created_at: datetime
    expires_at: datetime


def new_token() -> str:
    """192 random bits, URL-safe: a link that cannot be guessed or enumerated."""
    return secrets.token_urlsafe(24)


class DigestPageStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        *,
        subscriber_id: int | None,
        local_date: str,
        title: str,
        description: str,
        html: str,
        now: datetime,
        expires_at: datetime,
        token: str | None = None,
    ) -> str:
        token = token or new_token()
        with self.engine.begin() as conn:
            conn.execute(
                insert(digest_pages).values(
                    token=token,
                    subscriber_id=subscriber_id,
                    local_date=local_date,
                    title=title,
                    description=description,
                    html=html,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return token

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
        """Store the page in the caller's transaction unless one with this token exists
        (identical digests share one page). ON CONFLICT DO NOTHING keeps the transaction
        usable on PostgreSQL, where a failed INSERT would abort it."""
        values = {
            "token": token,
            "subscriber_id": None,
            "local_date": local_date,
            "title": title,
            "description": description,
            "html": html,
            "created_at": now,
            "expires_at": expires_at,
        }
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(dialect_insert(digest_pages).values(**values).on_conflict_do_nothing())

    def get(self, token: str) -> StoredPage | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(digest_pages).where(digest_pages.c.token == token)).first()
        if row is None:
            return None
        return StoredPage(
            row.token,
            row.local_date,
            row.title,
            row.description,
            row.html,
            row.created_at,
            row.expires_at,
        )

    def purge(self, before: datetime, *, limit: int = 1000) -> int:
        """Delete up to `limit` pages that expired before `before` (their tokens then read as
        unknown)."""
        return purge_batch(self.engine, digest_pages, digest_pages.c.expires_at < before, limit)
