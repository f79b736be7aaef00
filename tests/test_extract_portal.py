"""Extraction of every page of the bundled sample portal, and article 5849 against its capture."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest
from tests.conftest import ROOT, shared_path

from newsbot.config import load_settings
from newsbot.extract import decode_html, extract_article, profile_for
from newsbot.extract.boilerplate import is_boilerplate_line
from newsbot.sample_portal import article_pages, root

PAGES = article_pages()
FURNITURE = ("版权声明", "本文地址", "留言与评论", "验证码", "关于山西大院", "Copyright", "copyright",
             "上一篇", "下一篇", "分享到", "相关文章", "责任编辑", "当前位置", "热门文章", "网络编辑")  # fmt: skip


def test_the_portal_has_about_twenty_articles_some_in_gbk() -> None:
    assert 18 <= len(PAGES) <= 24
    gbk = [p for p in PAGES if b"charset=gb2312" in p.read_bytes()[:600]]
    assert len(gbk) >= 3
    for path in gbk:
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_every_article_page_extracts_without_furniture(path: Path) -> None:
    page = extract_article(path.read_bytes(), path.as_uri())
    assert page.title and page.title in decode_html(path.read_bytes(), None)
    assert page.published is not None and page.published.tzinfo is UTC
    assert len(page.paragraphs) >= 3
    for line in page.paragraphs:
        assert not is_boilerplate_line(line), line
        assert not any(word in line for word in FURNITURE), line
        assert "\ufffd" not in line
    for caption in page.image_captions:
        assert caption not in page.text


@pytest.mark.parametrize("path", PAGES[:6], ids=lambda p: p.stem)
def test_the_demo_profile_agrees_with_the_generic_extractor(path: Path) -> None:
    settings = load_settings(ROOT / "config" / "demo.toml", environ={})
    profile = profile_for(path.as_uri(), settings.extraction)
    assert profile is not None
    profiled = extract_article(path.read_bytes(), path.as_uri(), profile=profile)
    generic = extract_article(path.read_bytes(), path.as_uri())
    assert profiled.paragraphs == generic.paragraphs
    assert profiled.image_captions == generic.image_captions
    assert profiled.byline == "网络编辑"


def _captured_5849() -> tuple[list[str], list[str]]:
    """(body paragraphs, image captions) of the captured text of /gsyl/yangquan/5849.html."""
    lines = shared_path("portal", "article-5849.txt").read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("网络编辑"))
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line.strip() == "0":
            break
        if line.strip():
            body.append(" ".join(line.split()))  # the capture keeps &nbsp; as U+00A0
    captions = [
        line for line in body if line.startswith(("7月1日,高新区", "杨家庄乡在乡政府", "开创集团"))
    ]
    return [line for line in body if line not in captions], captions


def test_article_5849_matches_its_capture() -> None:
    path = root() / "gsyl" / "yangquan" / "5849.html"
    page = extract_article(path.read_bytes(), "http://www.shanxidayuan.com/gsyl/yangquan/5849.html")
    body, captions = _captured_5849()
    assert page.title == "党建赋能 激活高质量发展“红色引擎”"
    assert page.published == datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)  # 10:10:33 in Shanghai
    assert page.byline == "网络编辑 阳泉"
    assert list(page.paragraphs) == body
    assert list(page.image_captions) == captions
    assert page.lead_image == "http://www.shanxidayuan.com/uploads/2022/07/5849-1.png"
    assert "共计查摆出问题4804条" in page.text and "需化解债务3029.56万元" in page.text
    for word in ("版权声明", "验证码", "关于山西大院", "留言与评论", "本文地址"):
        assert word not in page.text
    for caption in captions:
        assert caption not in page.text


def test_links_inside_the_portal_are_relative() -> None:
    for path in root().rglob("*.html"):
        text = decode_html(path.read_bytes(), None)
        assert 'href="http' not in text and 'src="http' not in text and 'href="/' not in text, path
    assert "<link>http" not in (root() / "rss.xml").read_text("utf-8")


def test_every_link_inside_the_portal_resolves_to_a_bundled_file() -> None:
    import re

    for path in [*root().rglob("*.html"), root() / "rss.xml"]:
        text = decode_html(path.read_bytes(), None)
        targets = re.findall(r'(?:href|src)="([^"#]+)"', text) + re.findall(
            r"<link>([^<]+)</link>", text
        )
        for target in targets:
            base = root() if path.name == "rss.xml" else path.parent
            assert (base / target).resolve().is_file(), f"{path.relative_to(root())}: {target}"


class _LyingHandler(http.server.SimpleHTTPRequestHandler):
    """Announces every page as UTF-8, as misconfigured servers do, GBK pages included."""

    extensions_map: ClassVar[dict[str, str]] = {
        ".html": "text/html; charset=utf-8",
        ".xml": "application/rss+xml",
    }


@pytest.fixture
def portal_server() -> Iterator[str]:
    handler = partial(_LyingHandler, directory=str(root()))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_portal_served_on_loopback_resolves_its_links(portal_server: str) -> None:
    import httpx
    from lxml import html as lxml_html

    url = portal_server + "gsyl/yangquan/index.html"
    listing = httpx.get(url)
    doc = lxml_html.fromstring(listing.content, base_url=url)
    doc.make_links_absolute()
    first = doc.cssselect("ul.news-list > li a.t")[0].get("href")
    assert first.startswith(portal_server + "gsyl/yangquan/")
    response = httpx.get(first)
    page = extract_article(
        response.content, first, content_type=response.headers.get("content-type")
    )
    assert page.title == doc.cssselect("ul.news-list > li a.t")[0].text_content()
    assert page.lead_image is None or page.lead_image.startswith(portal_server)


@pytest.mark.parametrize("key", ["sample-yangquan", "sample-taiyuan", "sample-jingji"])
def test_demo_section_selectors_find_every_article_of_the_section(key: str) -> None:
    from lxml import html as lxml_html

    settings = load_settings(ROOT / "config" / "demo.toml", environ={})
    source = next(s for s in settings.sources if s.key == key)
    assert source.selectors is not None
    listing = Path(source.url)
    doc = lxml_html.fromstring(listing.read_bytes())
    items = doc.cssselect(source.selectors.item)
    assert len(items) >= 6
    for item in items:
        link = item.cssselect(source.selectors.link)[0].get("href")
        assert (listing.parent / link).is_file()
        assert item.cssselect(source.selectors.title or "a")[0].text_content().strip()
        date = item.cssselect(source.selectors.date or "span")[0].text_content()
        assert datetime.strptime(date, source.selectors.date_format or "%Y-%m-%d").year == 2022
    articles = {p for p in PAGES if p.parent == listing.parent}
    linked = {(listing.parent / i.cssselect("a.t")[0].get("href")).resolve() for i in items}
    assert linked == articles


def test_every_page_served_with_a_lying_charset_header_extracts_like_the_file(
    portal_server: str,
) -> None:
    import httpx

    with httpx.Client() as client:
        for path in PAGES:
            url = portal_server + path.relative_to(root()).as_posix()
            response = client.get(url)
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            served = extract_article(
                response.content, url, content_type=response.headers["content-type"]
            )
            local = extract_article(path.read_bytes(), path.as_uri())
            assert (served.title, served.paragraphs, served.published) == (
                local.title,
                local.paragraphs,
                local.published,
            )
            assert "\ufffd" not in served.text
