"""GET /d/<token>: a stored digest page, or a clear page when it expired or never existed.

Pages are immutable once stored, so they are cached twice: in memory here (a small LRU, so a
digest opened by many readers at 8:00 costs one database read) and by the browser (ETag and
a max-age that never outlives the page). The token is the only key: 192 random bits, never
listed anywhere; Referrer-Policy keeps it out of the portal's logs when a reader follows a link.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from datetime import datetime
from typing import Protocol

from newsbot.core.digest_page import notice_page_html
from newsbot.front.routes import HttpRequest, HttpResponse, Route
from newsbot.ports import Clock

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CACHED_PAGES = 256
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https:",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class StoredPageLike(Protocol):
    @property
    def html(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...


class PageReader(Protocol):
    def get(self, token: str) -> StoredPageLike | None: ...


class DigestPages:
    def __init__(
        self, pages: PageReader, clock: Clock, *, ttl_days: float, language: str = "zh"
    ) -> None:
        self.pages = pages
        self.clock = clock
        self.ttl_days = ttl_days
        self.language = language
        self._cache: OrderedDict[str, StoredPageLike] = OrderedDict()

    def routes(self) -> list[Route]:
        return [Route("GET", "/d/{token}", self.serve, max_body=0, name="digest pages")]

    async def serve(self, request: HttpRequest) -> HttpResponse:
        token = request.params.get("token", "")
        page = await self._page(token) if _TOKEN.match(token) else None
        if page is None:
            return self._notice("missing", 404)
        now = self.clock.now()
        if page.expires_at <= now:
            self._cache.pop(token, None)
            return self._notice("expired", 410)
        etag = f'"{token[:16]}"'
        max_age = int(min(3600.0, (page.expires_at - now).total_seconds()))
        headers = {**_HEADERS, "ETag": etag, "Cache-Control": f"private, max-age={max_age}"}
        if request.headers.get("If-None-Match") == etag:
            return HttpResponse(304, b"", "text/html; charset=utf-8", headers)
        return HttpResponse(200, page.html.encode("utf-8"), "text/html; charset=utf-8", headers)

    async def _page(self, token: str) -> StoredPageLike | None:
        page = self._cache.get(token)
        if page is not None:
            self._cache.move_to_end(token)
            return page
        page = await asyncio.to_thread(self.pages.get, token)
        if page is not None:
            self._cache[token] = page
            while len(self._cache) > _CACHED_PAGES:
                self._cache.popitem(last=False)
        return page

    def _notice(self, kind: str, status: int) -> HttpResponse:
        html = notice_page_html(self.language, kind, days=self.ttl_days)
        return HttpResponse.html(html, status, **_HEADERS, **{"Cache-Control": "no-store"})
