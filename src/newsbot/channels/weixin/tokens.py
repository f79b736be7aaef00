"""An API access token kept in the database, so every process shares one (WeChat and WeCom
allow only a few token requests a day, and a new token invalidates the old one after 5 minutes).

Refreshed `margin` before its stated expiry, and at once when the API says it is invalid or
expired (the caller passes the refused token to `refresh`, so two coroutines that both saw the
refusal fetch only one new token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from newsbot.ports import Clock, TokenCache

LEASE = timedelta(seconds=15)  # how long one process may take to fetch a token
Fetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, expires_in seconds)


class SharedToken:
    def __init__(
        self,
        key: str,
        cache: TokenCache,
        fetch: Fetch,
        clock: Clock,
        *,
        margin: timedelta = timedelta(minutes=5),
    ) -> None:
        self.key = key
        self.cache = cache
        self.fetch = fetch
        self.clock = clock
        self.margin = margin
        self._lock = asyncio.Lock()
        self.fetched = 0  # how many times this process asked the API (tests and logs)

    async def get(self) -> str:
        token = await asyncio.to_thread(self.cache.get, self.key, self.clock.now())
        if token is not None:
            return token
        async with self._lock:
            token = await asyncio.to_thread(self.cache.get, self.key, self.clock.now())
            return token if token is not None else await self._fetch()

    async def refresh(self, refused: str) -> str:
        """The API refused `refused` (40001/40014/42001): drop it and get a new one."""
        async with self._lock:
            await asyncio.to_thread(self.cache.forget, self.key, refused)
            token = await asyncio.to_thread(self.cache.get, self.key, self.clock.now())
            return token if token is not None else await self._fetch()

    async def _fetch(self) -> str:
        """Fetch a token, or wait for the process that is fetching one (a new token replaces
        the old one at the platform, so every process asking at once would churn them)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LEASE.total_seconds()
        while not await asyncio.to_thread(
            self.cache.claim_refresh, self.key, self.clock.now(), LEASE
        ):
            await asyncio.sleep(0.05)
            token = await asyncio.to_thread(self.cache.get, self.key, self.clock.now())
            if token is not None:
                return token
            if loop.time() > deadline:  # the other process died mid-fetch: its lease expires
                break
        try:  # a process that held the lease may have stored a token since we last looked
            token = await asyncio.to_thread(self.cache.get, self.key, self.clock.now())
            return token if token is not None else await self._fetch_now()
        finally:
            await asyncio.to_thread(self.cache.release_refresh, self.key)

    async def _fetch_now(self) -> str:
        token, expires_in = await self.fetch()
        self.fetched += 1
        now = self.clock.now()
        lifetime = max(timedelta(seconds=expires_in) - self.margin, timedelta(seconds=30))
        await asyncio.to_thread(self.cache.put, self.key, token, now + lifetime, now)
        return token
