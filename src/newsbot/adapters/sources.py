"""Glue from a fetched source to its items, and from a fetched page to an ExtractedPage.

The service sees two callables (`list_items`, `PageExtractor`) and never the parsers or the
extraction package themselves; app.build_newsroom hands these in.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.adapters.feeds import parse_feed
from newsbot.adapters.http import FetchResult, is_local
from newsbot.adapters.pages import parse_list_page
from newsbot.config import ExtractionSettings, SourceSettings
from newsbot.core.models import ExtractedPage, FeedItem
from newsbot.errors import ParseError
from newsbot.extract import decode_html, extract_article, profile_for


@dataclass(frozen=True, slots=True)
class Listing:
    """The items a source lists now; `note` says what was recovered from (a bozo feed)."""

    items: list[FeedItem]
    note: str | None = None


def list_items(source: SourceSettings, fetched: FetchResult) -> Listing:
    """Parse a fetched feed or section page; ParseError when it holds nothing usable."""
    if source.kind == "feed":
        parsed = parse_feed(fetched.body, fetched.url, fetched.headers)
        return Listing(_fetchable(fetched.url, parsed.items), parsed.recovered)
    if source.selectors is None:  # config validation forbids this; keep the error clear anyway
        raise ParseError(source.url, "html source without selectors")
    text = decode_html(fetched.body, fetched.content_type)
    return Listing(_fetchable(fetched.url, parse_list_page(text, fetched.url, source.selectors)))


def _fetchable(listing_url: str, items: list[FeedItem]) -> list[FeedItem]:
    """Items a listing may make us fetch: a remote feed must never point us at a local file
    (file:///etc/passwd in a feed would otherwise be read and stored), nor at other schemes."""
    if is_local(listing_url):
        return items
    return [item for item in items if item.url.lower().startswith(("http://", "https://"))]


class PageExtractor:
    """Decode and extract one article page with the site's profile (newsbot.extract)."""

    def __init__(self, settings: ExtractionSettings) -> None:
        self.settings = settings

    def __call__(self, body: bytes, url: str, content_type: str | None) -> ExtractedPage:
        profile = profile_for(url, self.settings)
        return extract_article(body, url, content_type=content_type, profile=profile)
