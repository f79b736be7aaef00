"""Digest pages: each sent digest also becomes a web page (/d/<token>) when [http] public_url
is set; WeChat's digest card links to it and Telegram's digest ends with its link.

The token is an HMAC of the digest's content under a key kept in the database: unguessable,
and the same for subscribers whose digests are identical (a fan-out of 10,000 readers of the
same sections stores one page, not 10,000).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from newsbot.core import schedule
from newsbot.core.digest import Digest
from newsbot.core.digest_compact import card_description, digest_title
from newsbot.core.digest_page import PageInfo, digest_page_html
from newsbot.ports import PageStore


class DigestPublisher:
    def __init__(
        self, store: PageStore, public_url: str, ttl_days: float, key: Callable[[], bytes]
    ) -> None:
        self.store = store
        self.public_url = public_url.rstrip("/")
        self.ttl = timedelta(days=ttl_days)
        self._key = key
        self._cached: bytes | None = None

    @property
    def key(self) -> bytes:
        """Read from the database on first use (shared by every process)."""
        if self._cached is None:
            self._cached = self._key()
        return self._cached

    def publish(self, conn: Any, digest: Digest, timezone: str, now: datetime) -> str:
        """Store the digest's page (once per distinct content) in the transaction that queues
        the digest, and return its URL. Read `key` before opening that transaction."""
        content = repr(replace(digest, subscriber_id=0)).encode("utf-8")
        mac = hmac.new(self.key, content, hashlib.sha256).digest()[:24]
        token = base64.urlsafe_b64encode(mac).decode("ascii")
        expires = now + self.ttl
        info = PageInfo(expires_on=schedule.local_date(expires, timezone).isoformat())
        self.store.put(
            conn,
            token,
            local_date=digest.local_date,
            title=digest_title(digest),
            description=card_description(digest),
            html=digest_page_html(digest, info),
            now=now,
            expires_at=expires,
        )
        return f"{self.public_url}/d/{token}"
