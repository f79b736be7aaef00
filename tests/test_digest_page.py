"""/d/<token>: the digest page over HTTP, and in real headless Chromium at a phone's width."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from fakes.chat_world import NOW, build_world
from fakes.chromium import Browser, chromium_path
from newsbot.app import engine_of
from newsbot.core.digest import Digest, DigestItem
from newsbot.core.digest_page import PageInfo, digest_page_html
from newsbot.front import HttpFront
from newsbot.front.digest_pages import DigestPages
from newsbot.service import Newsroom
from newsbot.storage.pages import DigestPageStore

pytestmark = pytest.mark.timeout(120)
SCREENSHOTS = os.environ.get("NEWSBOT_SCREENSHOTS")  # e.g. docs/screenshots: keep the PNGs
LONG = "https://www.shanxidayuan.com/" + "a" * 120 + ".html"


def sample_digest() -> Digest:
    """Items as the digest builder makes them, with hostile and unbreakable text on purpose."""
    items = (
        DigestItem(
            1,
            "阳泉市党建工作推进会召开 <b>&amp; <script>alert(1)</script>",
            "https://www.shanxidayuan.com/a/1.html",
            "阳泉",
            ("会议强调，要抓好党建工作。", "查摆出问题4804条，已整改4512条。"),
            ("查摆出问题 4804条", "已整改 4512条"),
            1.0,
        ),
        DigestItem(
            2,
            "高新区化解债务3029.56万元",
            "https://www.shanxidayuan.com/debt.html",
            "要闻",
            ("高新区需化解债务3029.56万元。",),
            ("需化解债务 3029.56万元",),
            0.9,
        ),
        DigestItem(
            3,
            "超长链接" + "Ｘ" * 3 + "x" * 90,
            LONG,
            "经济",
            ("数字" + "1234567890" * 8 + "元。",),
            ("投资 156.3亿元", "增长 7.6%"),
            0.5,
        ),
        DigestItem(4, "javascript 链接不会成为链接", "javascript:alert(1)", "经济", (), (), 0.1),
    )
    return Digest(subscriber_id=0, local_date="2026-03-02", items=items)


@dataclass
class Pages:
    newsroom: Newsroom
    store: DigestPageStore
    base: str
    token: str
    digest: Digest


@pytest.fixture
async def pages(sqlite_url: str) -> AsyncIterator[Pages]:
    newsroom = build_world(sqlite_url)
    store = DigestPageStore(engine_of(newsroom))
    digest = sample_digest()
    html = digest_page_html(digest, PageInfo(expires_on="2026-03-09"))
    token = store.create(
        subscriber_id=None,
        local_date=digest.local_date,
        title="每日摘要",
        description="",
        html=html,
        now=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    front = HttpFront("127.0.0.1", 0)
    front.add(DigestPages(store, newsroom.clock, ttl_days=7).routes())
    await front.start()
    try:
        yield Pages(newsroom, store, f"http://127.0.0.1:{front.port}", token, digest)
    finally:
        await front.stop()
        newsroom.close()


async def test_page_is_escaped_cached_and_script_free(pages: Pages) -> None:
    async with httpx.AsyncClient(base_url=pages.base) as client:
        page = await client.get(f"/d/{pages.token}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<script" not in page.text and "&lt;script&gt;" in page.text
        assert 'href="javascript' not in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "max-age=" in page.headers["cache-control"]
        again = await client.get(
            f"/d/{pages.token}", headers={"If-None-Match": page.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        for bad in ("/d/short", "/d/" + "z" * 40, "/d/..%2F..%2Fetc"):
            missing = await client.get(bad)
            assert missing.status_code == 404 and "摘要已过期或不存在" in missing.text


async def test_expired_page_says_so(pages: Pages) -> None:
    pages.newsroom.clock.current = NOW + timedelta(days=7, seconds=1)
    async with httpx.AsyncClient(base_url=pages.base) as client:
        expired = await client.get(f"/d/{pages.token}")
    assert expired.status_code == 410
    assert "摘要已过期" in expired.text and "保留 7 天" in expired.text
    assert "4804" not in expired.text


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (make test installs it with apt-get)")
    chrome = await Browser.launch()
    try:
        yield chrome
    finally:
        await chrome.close()


async def test_renders_at_375_px_without_overflow_and_with_the_stored_figures(
    pages: Pages, browser: Browser
) -> None:
    view = await browser.open(f"{pages.base}/d/{pages.token}", width=375)
    layout = view.layout
    assert layout["viewport"] == 375
    assert layout["scroll"] <= 375 and layout["bodyScroll"] <= 375, layout
    assert layout["overflowing"] == []
    stored = [figure for item in pages.digest.items for figure in item.figures]
    assert layout["figures"] == stored  # every figure shown is the stored one, in order
    assert layout["titles"][0] == "阳泉市党建工作推进会召开 <b>&amp; <script>alert(1)</script>"
    assert layout["scripts"] == 0
    assert all(link.startswith("https://www.shanxidayuan.com/") for link in layout["links"])
    assert view.screenshot.startswith(b"\x89PNG")
    _keep(view.screenshot, "digest-page-375.png")


async def test_expired_page_in_the_browser(pages: Pages, browser: Browser) -> None:
    pages.newsroom.clock.current = NOW + timedelta(days=8)
    view = await browser.open(f"{pages.base}/d/{pages.token}", width=375)
    assert view.layout["heading"] == "摘要已过期" and view.layout["scroll"] <= 375
    _keep(view.screenshot, "digest-page-expired-375.png")


def _keep(png: bytes, name: str) -> None:
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png)
