"""The live demo portal: the bundled sample portal served on loopback, moved into the present.

Listing pages and rss.xml show only the articles the timeline has published by now, each dated
as the timeline says (in the format the page already uses); an article page not yet published
is a 404, exactly like a story that does not exist yet. Dates are ASCII in every page (some
pages are GBK), so pages are rewritten as bytes and their encoding is left alone.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web

from newsbot.demo.timeline import PORTAL_ZONE, Timeline

_LI = re.compile(rb"<li>.*?</li>", re.S)
_ITEM = re.compile(rb"<item>.*?</item>", re.S)
_HREF = re.compile(rb'href="([^"#]+)"')
_DATE = re.compile(rb'(<span class="date">)([^<]*)(</span>)')
_TIME = re.compile(rb'(<span class="time">)([^<]*)(</span>)')
_LINK = re.compile(rb"<link>([^<]+)</link>")
_PUB = re.compile(rb"<pubDate>[^<]*</pubDate>")
_TODAY = re.compile(rb'(<span class="today">)([^<]*)(</span>)')
_WEEKDAYS = "一二三四五六日"


def _local(when: datetime) -> datetime:
    return when.astimezone(PORTAL_ZONE)


def _like(original: bytes, when: datetime) -> bytes:
    """`when` in the format of the date it replaces (2022-07-06, 07-06, or with the time)."""
    local = _local(when)
    formats = {19: "%Y-%m-%d %H:%M:%S", 16: "%Y-%m-%d %H:%M", 10: "%Y-%m-%d", 5: "%m-%d"}
    return local.strftime(formats.get(len(original.strip()), "%Y-%m-%d")).encode()


def rewrite_article(body: bytes, when: datetime) -> bytes:
    return _TIME.sub(lambda m: m[1] + _like(m[2], when) + m[3], body, count=1)


def rewrite_listing(
    body: bytes, page_dir: str, shown: Mapping[str, datetime], now: datetime
) -> bytes:
    """Drop list entries of unpublished articles; re-date the others; today in the header."""

    def entry(match: re.Match[bytes]) -> bytes:
        href = _HREF.search(match[0])
        if href is None:
            return match[0]
        path = posixpath.normpath(posixpath.join(page_dir, href[1].decode()))
        if not re.search(r"/\d+\.html$", "/" + path):
            return match[0]  # navigation, not an article
        when = shown.get(path)
        if when is None:
            return b""
        return _DATE.sub(lambda m: m[1] + _like(m[2], when) + m[3], match[0])

    local = _local(now)
    today = f"{local:%Y年%m月%d日} 星期{_WEEKDAYS[local.weekday()]}".encode()
    body = _TODAY.sub(lambda m: m[1] + today + m[3], body)
    return _LI.sub(entry, body)


def rewrite_rss(body: bytes, shown: Mapping[str, datetime]) -> bytes:
    def item(match: re.Match[bytes]) -> bytes:
        link = _LINK.search(match[0])
        when = shown.get(link[1].decode().strip()) if link else None
        if when is None:
            return b""
        pub = f"<pubDate>{format_datetime(_local(when))}</pubDate>".encode()
        return _PUB.sub(lambda _m: pub, match[0])

    return _ITEM.sub(item, body)


class DemoPortal:
    """Serves the sample portal under `root` on loopback, as `timeline` says at `now()`."""

    def __init__(
        self,
        root: Path,
        timeline: Timeline,
        now: Callable[[], datetime],
        *,
        listen: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.root = root.resolve()
        self.timeline = timeline
        self.now = now
        self.listen = listen
        self._wanted_port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        if self._runner is not None:
            for address in self._runner.addresses:
                return int(address[1])
        return self._wanted_port

    @property
    def base_url(self) -> str:
        return f"http://{self.listen}:{self.port}"

    def page(self, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) of one request path, e.g. 'gsyl/yangquan/index.html'."""
        path = posixpath.normpath(path.lstrip("/") or "index.html")
        file = (self.root / path).resolve()
        if path.startswith("..") or not file.is_relative_to(self.root) or not file.is_file():
            return 404, b"not found\n", "text/plain"
        now = self.now()
        shown = self.timeline.visible(now)
        body = file.read_bytes()
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.name == "rss.xml":
            return 200, rewrite_rss(body, shown), "application/rss+xml"
        if file.suffix == ".html" and file.stem.isdigit():
            when = shown.get(path)
            if when is None:
                return 404, b"not found\n", "text/plain"
            return 200, rewrite_article(body, when), kind
        if file.suffix == ".html":
            return 200, rewrite_listing(body, posixpath.dirname(path), shown, now), kind
        return 200, body, kind

    async def start(self) -> None:
        async def handle(request: web.Request) -> web.Response:
            status, body, kind = self.page(request.path)
            return web.Response(status=status, body=body, content_type=kind)

        app = web.Application()
        app.router.add_get("/{path:.*}", handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self._wanted_port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
