"""Article metadata: title, publication time, byline, lead image.

Chinese portals put the date in a meta line right above the body ("网络编辑 阳泉 2022-07-06
10:10:33 ..."), but many also show today's date in the page header, so the date nearest *before*
the body wins over the first date on the page. Times without a zone are the portal's local time
(Asia/Shanghai) and are returned as aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree

from newsbot.extract import dom

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
_TITLE_SPLIT = re.compile(r"\s*(?:[_|｜]|\s[-–—]\s|--|——)\s*")
_WEAK_SPLIT = re.compile(r"\s*[-–—]\s*")
_HEADINGS = frozenset({"h1", "h2", "h3"})
_TITLE_ATTR = re.compile(r"title|headline|biaoti|^\s*bt\b|tit\b", re.I)
_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*T?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
    r"(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_META_DATE_NAMES = (
    "article:published_time", "og:published_time", "og:release_date", "pubdate", "publishdate",
    "publish_date", "publish-date", "datepublished", "date", "dc.date", "dc.date.issued",
    "weibo:article:create_at", "publishtime", "firstpublishedtime",
)  # fmt: skip
_BYLINE = re.compile(r"((?:来源|作者|记者|通讯员|文|稿源|出处)\s*[:：]\s*[^\s|｜:：]{1,30})")


def meta_content(root: etree._Element, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in wanted and (el.get("content") or "").strip():
            return dom.normalize_space(el.get("content", ""))
    return None


def find_title(root: etree._Element) -> tuple[str, etree._Element | None]:
    """The headline and, when found, the element that shows it.

    The on-page headline is preferred when <title> or og:title confirms it (that drops the
    "_栏目_网站名" tails), else og:title, else the first real segment of <title>.
    """
    page_title = dom.normalize_space(_first_text(root, "title"))
    og = meta_content(root, "og:title")
    reference = og or page_title
    # A candidate must be a real part of the reference, not a section name such as 新闻中心.
    least = 0.4 * len(_title_segment(reference)) if reference else 0
    matched = [
        (text, el)
        for text, el in _headline_candidates(root)
        if text in reference and len(text) >= least
    ]
    if matched:
        return max(matched, key=lambda item: len(item[0]))
    if og:
        return og, None
    if page_title:
        return _title_segment(page_title), None
    h1 = [(text, el) for text, el in _headline_candidates(root) if dom.tag_of(el) == "h1"]
    return h1[0] if h1 else ("", None)


def _headline_candidates(root: etree._Element) -> list[tuple[str, etree._Element]]:
    """Headings, and small elements named like a title (CMS pages often use div.title or td)."""
    found = []
    for el in root.iter():
        tag = dom.tag_of(el)
        if tag in _HEADINGS or (len(el) <= 3 and _TITLE_ATTR.search(dom.attr_words(el))):
            text = dom.normalize_space(el.text_content())
            if 4 <= len(text) <= 120:
                found.append((text, el))
    return found


def _title_segment(page_title: str) -> str:
    segments = [s for s in _TITLE_SPLIT.split(page_title) if s]
    if len(segments) <= 1:
        segments = [s for s in _WEAK_SPLIT.split(page_title) if s] or [page_title]
    return segments[0] if len(segments[0]) >= 6 else max(segments, key=len)


def _first_text(root: etree._Element, tag: str) -> str:
    for el in root.iter(tag):
        return el.text_content() or ""
    return ""


def parse_datetime(text: str) -> datetime | None:
    """The first date (and time) in text, as aware UTC; local time is Asia/Shanghai."""
    for match in _DATE.finditer(text):
        value = _build(match)
        if value is not None:
            return value
    return None


def _build(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if zone:
        try:
            return datetime.fromisoformat(local.isoformat() + _iso_zone(zone)).astimezone(UTC)
        except ValueError:
            pass  # an impossible offset such as +9999: read the time as local
    try:
        return local.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _iso_zone(zone: str) -> str:
    if zone == "Z":
        return "+00:00"
    return zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"


def published_from_markup(root: etree._Element) -> datetime | None:
    content = meta_content(root, *_META_DATE_NAMES)
    if content and (value := parse_datetime(content)):
        return value
    for el in root.iter("time"):
        if value := parse_datetime(el.get("datetime") or el.text_content() or ""):
            return value
    return None


def published_near(lines_before: list[str], lines_after: list[str]) -> tuple[datetime | None, str]:
    """The date nearest before the body (else first after it) and the line that held it."""
    for line in reversed(lines_before):
        if value := parse_datetime(line):
            return value, line
    for line in lines_after:
        if len(line) <= 120 and (value := parse_datetime(line)):
            return value, line
    return None, ""


def byline_from(line: str) -> str | None:
    """来源/作者 from a meta line, else what precedes its date ("网络编辑 阳泉")."""
    found = _BYLINE.findall(line)
    if found:
        return " ".join(dom.normalize_space(f) for f in found)
    match = _DATE.search(line)
    before = dom.normalize_space(line[: match.start()]) if match else ""
    return before if 0 < len(before) <= 30 else None


def lead_image(root: etree._Element, images: tuple[etree._Element, ...], url: str) -> str | None:
    og = meta_content(root, "og:image", "twitter:image")
    if og:
        return urljoin(url, og)
    for img in images:
        if dom.is_content_image(img):
            src = img.get("src") or img.get("data-src") or img.get("data-original") or ""
            return str(urljoin(url, src.strip()))
    return None
