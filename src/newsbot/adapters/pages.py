"""HTML section / list pages -> FeedItems, with CSS selectors (like an RSSHub route).

A source of kind "html" names an `item` selector (one match per listed article) and, inside each
item, selectors for the link, the title and the date. Links are resolved against the page URL.
The page arrives already decoded (newsbot.extract.decode_html does charsets for everyone).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from cssselect import SelectorError
from lxml.html import HtmlElement

from newsbot.config import SelectorSettings
from newsbot.core.models import FeedItem
from newsbot.errors import ParseError

PORTAL_TZ = ZoneInfo("Asia/Shanghai")  # the portal prints local times without a zone
_DATE_PATTERNS = (
    (re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?"), 6),
    (re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})"), 3),
)


def parse_list_page(
    text: str, url: str, selectors: SelectorSettings, *, tz: tzinfo = PORTAL_TZ
) -> list[FeedItem]:
    """The listed articles of one section page, in page order, without repeats."""
    document = _document(text, url)
    try:
        nodes = document.cssselect(selectors.item)
    except SelectorError as exc:
        raise ParseError(url, f"bad item selector {selectors.item!r}: {exc}") from None
    items: list[FeedItem] = []
    seen: set[str] = set()
    for node in nodes:
        item = _item(node, url, selectors, tz)
        if item is not None and item.url not in seen:
            seen.add(item.url)
            items.append(item)
    if not items:
        raise ParseError(url, f"no items matched selector {selectors.item!r} with a link")
    return items


def _document(text: str, url: str) -> HtmlElement:
    if not text.strip():
        raise ParseError(url, "empty page")
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ParseError(url, f"not parseable as HTML: {exc}") from None


def _first(node: HtmlElement, selector: str | None, url: str) -> HtmlElement | None:
    if not selector:
        return None
    try:
        found = node.cssselect(selector)
    except SelectorError as exc:
        raise ParseError(url, f"bad selector {selector!r}: {exc}") from None
    return found[0] if found else None


def _item(node: HtmlElement, url: str, selectors: SelectorSettings, tz: tzinfo) -> FeedItem | None:
    link_node = node if node.tag == "a" and selectors.link in ("", "a") else None
    link_node = link_node if link_node is not None else _first(node, selectors.link, url)
    href = (link_node.get("href") or "").strip() if link_node is not None else ""
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return None
    title_node = _first(node, selectors.title, url) if selectors.title else link_node
    title = _text(title_node) if title_node is not None else ""
    if title_node is not None and not title:
        title = (title_node.get("title") or "").strip()
    date_node = _first(node, selectors.date, url)
    published = (
        parse_date(_text(date_node), selectors.date_format, tz) if date_node is not None else None
    )
    return FeedItem(url=urljoin(url, href), title=title, published=published)


def _text(node: HtmlElement) -> str:
    return " ".join(node.text_content().split())


def parse_date(
    text: str, date_format: str | None = None, tz: tzinfo = PORTAL_TZ
) -> datetime | None:
    """A listed date in local time `tz`, as aware UTC; None when it cannot be read."""
    text = text.strip().strip("[]()（）【】")
    if not text:
        return None
    if date_format:
        try:
            return datetime.strptime(text, date_format).replace(tzinfo=tz).astimezone(UTC)
        except ValueError:
            pass  # fall back to the common shapes below
    for pattern, groups in _DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            y, mo, d, h, mi, s = ([int(g) if g else 0 for g in match.groups()[:groups]] + [0] * 3)[
                :6
            ]
            try:
                return datetime(y, mo, d, h, mi, s, tzinfo=tz).astimezone(UTC)
            except ValueError:
                return None
    return None
