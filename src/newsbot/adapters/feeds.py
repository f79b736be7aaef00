"""RSS / Atom (feedparser) and JSON Feed (json) -> FeedItems.

feedparser is only ever given bytes wrapped in a BytesIO plus the response headers: a str (or even
bytes, which it tries as a file name first) can make it open files or the network. Its HTML
sanitizer and relative-URI resolution are turned off because they dominate its run time; titles
and summaries are reduced to plain text here, and links are resolved against the feed URL by us.
Feed HTML is never rendered anywhere.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin

import feedparser

from newsbot.core.models import FeedItem
from newsbot.errors import ParseError

_TAG = re.compile(r"<[^>]*>")
_JSON_FEED_TYPES = ("application/feed+json", "application/json")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The items of one feed document; `recovered` names the problem feedparser worked around."""

    items: list[FeedItem]
    recovered: str | None = None
    title: str = ""


def plain_text(value: str | None) -> str:
    """Tags stripped, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    return " ".join(html.unescape(_TAG.sub(" ", value)).split())


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse one feed document; raise ParseError when nothing usable is in it."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if _looks_like_json(body, headers.get("content-type", "")):
        return parse_json_feed(body, url)
    body, repaired = repair_gbk_runs(body, headers.get("content-type", ""))
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's own bugs must not take a poll down
        raise ParseError(url, f"feed parser failed: {type(exc).__name__}: {exc}") from None
    base = headers.get("content-location") or url
    items = [
        item
        for entry in parsed.get("entries", [])
        if (item := _entry_item(entry, base)) is not None
    ]
    problem = _bozo_reason(parsed)
    if repaired:
        note = f"{repaired} run(s) of GBK bytes in the UTF-8 feed decoded as GBK"
        problem = f"{problem}; {note}" if problem else note
    if not parsed.get("entries") and (problem or not parsed.get("version")):
        raise ParseError(url, f"not a usable feed: {problem or 'no RSS/Atom/JSON Feed found'}")
    title = plain_text(parsed.feed.get("title")) if parsed.get("feed") else ""
    return ParsedFeed(items=items, recovered=problem, title=title)


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def repair_gbk_runs(body: bytes, content_type: str = "") -> tuple[bytes, int]:
    """A feed that says (or defaults to) UTF-8 but holds runs of GBK bytes — a CMS pasting a
    legacy-encoded title into a UTF-8 template — as clean UTF-8: each invalid run is decoded as
    GB18030 instead of becoming mojibake (feedparser would re-decode the whole document as
    windows-1252). Returns (body, number of runs repaired); other feeds are left alone."""
    declared = _XML_ENCODING.match(body)
    charset = _CHARSET.search(content_type)
    label = declared.group(1).decode() if declared else charset.group(1) if charset else "utf-8"
    if label.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return body, 0
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body, 0
    # Decide per stretch of non-ASCII bytes: a GBK pair can also be a valid UTF-8 character
    # (泉 is C8 AA, which UTF-8 reads as Ȫ), so the whole stretch must decode as UTF-8 to be
    # taken as UTF-8; ASCII between stretches is the same in both.
    parts: list[str] = []
    position = runs = 0
    for stretch in _NON_ASCII.finditer(body):
        parts.append(body[position : stretch.start()].decode("ascii"))
        raw = stretch.group()
        try:
            parts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            parts.append(raw.decode("gb18030", errors="replace"))
            runs += 1
        position = stretch.end()
    parts.append(body[position:].decode("ascii"))
    return "".join(parts).encode("utf-8"), runs


_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if isinstance(exc, feedparser.NonXMLContentType):
        return None  # a well-formed feed served as text/html: common on CMSs, and harmless
    return f"{type(exc).__name__}: {exc}" if exc is not None else "ill-formed feed"


def _entry_item(entry: Any, base: str) -> FeedItem | None:
    guid = str(entry.get("id") or "").strip() or None
    link = str(entry.get("link") or "").strip()
    if entry.get("guidislink") and not link.startswith(("http://", "https://")):
        link = ""  # feedparser copied a non-URL guid into the link: there is no page to fetch
    if not link:
        link = next((str(x.get("href", "")) for x in entry.get("links", []) if x.get("href")), "")
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None  # nothing to fetch: an item without a page is not an article
    return FeedItem(
        url=urljoin(base, link),
        title=plain_text(entry.get("title")),
        guid=guid,
        published=_struct_to_datetime(entry.get("published_parsed") or entry.get("updated_parsed")),
        summary=plain_text(entry.get("summary")),
        category=_first_category(entry),
    )


def _struct_to_datetime(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


# --- JSON Feed (https://jsonfeed.org/version/1.1) -------------------------------------------------


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if content_type.split(";")[0].strip().lower() in _JSON_FEED_TYPES:
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _first_category(entry: Any) -> str:
    """The entry's first <category> (RSS) or Atom category term, as plain text."""
    for tag in entry.get("tags") or ():
        term = plain_text(str(tag.get("term") or tag.get("label") or ""))
        if term:
            return term
    return ""


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1; feedparser does not read it."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(url, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise ParseError(url, "JSON document is not a JSON Feed (no jsonfeed.org version)")
    entries = data.get("items")
    if not isinstance(entries, list):
        raise ParseError(url, "JSON Feed without an items list")
    base = str(data.get("feed_url") or url)
    items = [item for entry in entries if (item := _json_item(entry, base)) is not None]
    return ParsedFeed(items=items, title=plain_text(str(data.get("title") or "")))


def _json_item(entry: Any, base: str) -> FeedItem | None:
    if not isinstance(entry, dict):
        return None
    link = str(entry.get("url") or entry.get("external_url") or "").strip()
    guid = str(entry.get("id") or "").strip() or None
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    summary = entry.get("summary") or entry.get("content_text") or entry.get("content_html")
    return FeedItem(
        url=urljoin(base, link),
        title=plain_text(str(entry.get("title") or "")),
        guid=guid,
        published=_iso_datetime(entry.get("date_published") or entry.get("date_modified")),
        summary=plain_text(str(summary or "")),
    )


def _iso_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
