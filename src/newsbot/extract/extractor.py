"""extract_article: decode, parse, find the body (profile or generic), then the metadata."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from newsbot.config import ExtractionProfile
from newsbot.core.models import ExtractedPage
from newsbot.errors import ParseError
from newsbot.extract import dom, generic, meta
from newsbot.extract.decode import decode_html
from newsbot.extract.profile import select

_CONTEXT_LINES = 12  # lines around the body searched for the date / byline


def extract_article(
    body: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    profile: ExtractionProfile | None = None,
) -> ExtractedPage:
    """The article in a page; ParseError when the page has no parseable HTML."""
    text = body if isinstance(body, str) else decode_html(body, content_type)
    try:
        return _extract(text, url, profile)
    except RecursionError:
        raise ParseError(url, "HTML nested too deeply to extract") from None


def _extract(text: str, url: str, profile: ExtractionProfile | None) -> ExtractedPage:
    root = dom.parse(text, url)
    title, _heading = meta.find_title(root)
    published = meta.published_from_markup(root)
    og_image = meta.lead_image(root, (), url)
    for el in list(dom.iter_elements(root, frozenset(dom.DROP_TAGS))):
        if el.getparent() is not None:
            el.drop_tree()
    if profile is not None:
        title = _selected_text(root, profile.title, "title") or title
    blocks, start, end = _body_blocks(root, profile)
    found = generic.assemble(blocks[start:end])
    paragraphs = _without_title(found.paragraphs, title)
    before = [b.text for b in blocks[max(0, start - _CONTEXT_LINES) : start] if b.text]
    after = [b.text for b in blocks[start : start + 3] if b.text]
    near, line = meta.published_near(before, after)
    return ExtractedPage(
        url=url,
        title=title,
        paragraphs=paragraphs,
        published=_profile_published(root, profile) or published or near,
        byline=_profile_byline(root, profile) or (meta.byline_from(line) if line else None),
        lead_image=og_image or meta.lead_image(root, found.images, url),
        image_captions=found.captions,
    )


def _body_blocks(
    root: etree._Element, profile: ExtractionProfile | None
) -> tuple[list[dom.Block], int, int]:
    """All blocks of the page and the [start, end) span of the body among them."""
    if profile is not None:
        for selector in profile.remove:
            for el in select(root, selector, "remove"):
                if el.getparent() is not None:
                    el.drop_tree()
        containers = select(root, profile.body, "body")
        if containers:
            return _profiled(root, containers)
    generic.clean(root)
    blocks = dom.blocks(root)
    start, end = generic.densest_run(blocks)
    return blocks, start, end


def _profiled(
    root: etree._Element, containers: list[etree._Element]
) -> tuple[list[dom.Block], int, int]:
    """The profile's body containers, cleaned, placed within the page's blocks for context."""
    for container in containers:
        generic.clean(container)
    # The containers are referenced here, so lxml hands out the same proxy objects for them.
    blocks = dom.blocks(root)
    indexes = [i for i, b in enumerate(blocks) if _within(b.element, containers)]
    if not indexes:
        return blocks, 0, 0
    return blocks, indexes[0], indexes[-1] + 1


def _without_title(paragraphs: tuple[str, ...], title: str) -> tuple[str, ...]:
    if paragraphs and title and paragraphs[0] == title:
        return paragraphs[1:]
    return paragraphs


def _selected_text(root: etree._Element, selector: str | None, field: str) -> str:
    for el in select(root, selector, field):
        text = dom.normalize_space(el.get("datetime") or el.text_content() or "")
        if text:
            return text
    return ""


def _profile_published(root: etree._Element, profile: ExtractionProfile | None) -> datetime | None:
    if profile is None or not profile.published:
        return None
    return meta.parse_datetime(_selected_text(root, profile.published, "published"))


def _profile_byline(root: etree._Element, profile: ExtractionProfile | None) -> str | None:
    if profile is None or not profile.byline:
        return None
    return _selected_text(root, profile.byline, "byline") or None


def _within(el: etree._Element, containers: list[etree._Element]) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if any(node is c for c in containers):
            return True
        node = node.getparent()
    return False
