"""A digest as the outbox rows of one channel: rendered chunks, which chunk carries which
article (for the delivery ledger), and for channels where a digest is one message (WeChat:
profile.digest_as_card) one compact text plus a link card to the digest's web page.

With a page URL, chat channels get the page's link as the digest's last line.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass, replace

from newsbot.core.channels import ChannelProfile, LinkCard
from newsbot.core.digest import Digest, digest_message
from newsbot.core.digest_compact import card_description, compact_digest_text, digest_title
from newsbot.core.render import render_for
from newsbot.core.replies import Span

PAGE_LINK = {"zh": "📄 网页版（手机阅读）", "en": "📄 Web page (for phones)"}


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    chunks: tuple[str, ...]
    owners: dict[int, int]  # article id -> index of the chunk that carries it
    link_preview: bool
    card: dict[str, str] | None = None  # payload of a LinkCard (service.sending)


def rendered(
    profile: ChannelProfile, digest: Digest, empty_day: str, page_url: str | None
) -> RenderedDigest | None:
    """The digest's outbox chunks for this channel; None for an empty day when skipped."""
    shared = replace(digest, subscriber_id=0)
    if profile.digest_as_card and not digest.empty:
        return _one_message(profile, shared, page_url)
    if page_url is None or digest.empty:
        return rendered_digest(profile, shared, empty_day)
    message = digest_message(shared, empty_day)
    assert message is not None  # not empty
    label = PAGE_LINK["en" if digest.language == "en" else "zh"]
    message = replace(message, blocks=(*message.blocks, (Span(label, url=page_url),)))
    chunks = tuple(render_for(profile, message))
    return RenderedDigest(chunks, _chunk_of_articles(shared, chunks), message.link_preview)


def _one_message(profile: ChannelProfile, digest: Digest, page_url: str | None) -> RenderedDigest:
    limit = profile.limits.max_size or 2048
    text = compact_digest_text(digest, limit)
    owners = {a: 0 for item in digest.items for a in (item.article_id, *item.merged_ids)}
    if page_url is None:
        return RenderedDigest((text,), owners, False)
    card = LinkCard(digest_title(digest), card_description(digest), page_url)
    payload = {"title": card.title, "description": card.description, "url": card.url, "image": ""}
    return RenderedDigest((text,), owners, False, payload)


@functools.lru_cache(maxsize=1024)
def rendered_digest(
    profile: ChannelProfile, digest: Digest, empty_day: str
) -> RenderedDigest | None:
    """Memoised because most subscribers of a fan-out share the same digest (same sections,
    no keywords)."""
    message = digest_message(digest, empty_day)
    if message is None:
        return None
    chunks = tuple(render_for(profile, message))
    return RenderedDigest(chunks, _chunk_of_articles(digest, chunks), message.link_preview)


def _chunk_of_articles(digest: Digest, chunks: Sequence[str]) -> dict[int, int]:
    """article id -> index of the chunk that carries its link (the ledger's 'which message')."""
    owners: dict[int, int] = {}
    for item in digest.items:
        index = next(
            (
                i
                for i, chunk in enumerate(chunks)
                if item.url in chunk or html.escape(item.url) in chunk
            ),
            0,
        )
        for article_id in (item.article_id, *item.merged_ids):
            owners[article_id] = index
    return owners
