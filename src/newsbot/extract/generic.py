"""The generic body extractor: clean the tree, weigh every text block, keep the densest run.

Each block gets a weight: its CJK-aware length scaled by (1 - link density), a bonus per Chinese
punctuation mark (article prose is full of ，。; navigation and footers are not), minus a fixed cost
so that short unpunctuated lines (menus, meta lines, tags) count against a region. Boilerplate
lines weigh strongly negative. The body is the run of consecutive blocks with the largest total
(maximum-sum subarray), which needs no per-site knowledge and tolerates short subheadings and
image captions inside the article. Inside that run, furniture lines are removed and captions are
moved to the image they describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from newsbot.extract import dom
from newsbot.extract.boilerplate import (
    NEGATIVE_ATTR,
    POSITIVE_ATTR,
    end_marker,
    is_boilerplate_line,
)

# Weights chosen by a grid search on the tune half of the corpora (docs/extraction.md).
_BLOCK_COST = 30.0
_PUNCT_BONUS = 12.0
_NEGATIVE_CAP = 40.0
_LINK_HEAVY = 0.5
_CAPTION_MAX = 80
_SENTENCE_END = re.compile(r"[。！？]")
_COMMENTS = re.compile(r"comment|reply|pinglun", re.I)
_PHOTO_CREDIT = re.compile(
    r"(摄|供图|图片由.{1,20}提供|图为|资料图|图片来源|（图）|\(图\))\s*[)）]?$|^图[:：为]"
)


@dataclass(frozen=True)
class Body:
    paragraphs: tuple[str, ...]
    images: tuple[etree._Element, ...]
    captions: tuple[str, ...]


def clean(root: etree._Element) -> None:
    """Drop scripts, form controls, hidden nodes and furniture containers (nav, share, comments)."""
    for el in list(dom.iter_elements(root, frozenset(dom.DROP_TAGS))):
        _drop(el)
    total = max(dom.text_length(root.text_content()), 1)
    for el in list(root.iterdescendants()):
        if el.getparent() is None or dom.tag_of(el) in {"body", "html"}:
            continue
        if _hidden(el) or _furniture(el, total):
            _drop(el)


def _drop(el: etree._Element) -> None:
    if el.getparent() is not None:
        el.drop_tree()


def _hidden(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _furniture(el: etree._Element, total: int) -> bool:
    words = dom.attr_words(el)
    if dom.tag_of(el) in {"nav", "footer", "aside"}:
        return dom.text_length(el.text_content()) < 0.5 * total
    if not NEGATIVE_ATTR.search(words) or POSITIVE_ATTR.search(words):
        return False
    # A wrapper holding most of the page is layout, not furniture, whatever its name says; so is
    # one full of unlinked prose (sites do wrap articles in class="nav").
    text = el.text_content()
    if dom.text_length(text) >= 0.5 * total:
        return False
    return _COMMENTS.search(words) is not None or not _prose(el, text)


def _prose(el: etree._Element, text: str) -> bool:
    if len(_SENTENCE_END.findall(text)) < 6:
        return False
    linked = sum(len(a.text_content() or "") for a in el.iter("a"))
    return linked < 0.3 * len(text)


def weight(block: dom.Block) -> float:
    length = dom.text_length(block.text)
    if length == 0:
        return 0.0
    if is_boilerplate_line(block.text):
        return -_BLOCK_COST - length
    if block.link_density > _LINK_HEAVY:
        return -min(length + _BLOCK_COST / 2, _NEGATIVE_CAP)
    punct = dom.punctuation(block.text)
    return length * (1 - block.link_density) + _PUNCT_BONUS * punct - _BLOCK_COST


def densest_run(blocks: list[dom.Block]) -> tuple[int, int]:
    """(start, end) of the maximum-sum run of block weights; end is exclusive."""
    best, best_span = float("-inf"), (0, 0)
    running, start = 0.0, 0
    for i, block in enumerate(blocks):
        if running <= 0:
            running, start = 0.0, i
        running += weight(block)
        if running > best:
            best, best_span = running, (start, i + 1)
    return best_span


def extract_body(root: etree._Element) -> Body:
    """The article body of an already cleaned tree."""
    blocks = dom.blocks(root)
    start, end = densest_run(blocks)
    return assemble(blocks[start:end])


def assemble(blocks: list[dom.Block]) -> Body:
    """Paragraphs, images and captions from a run of blocks, furniture lines removed."""
    paragraphs: list[str] = []
    images: list[etree._Element] = []
    captions: list[str] = []
    after_image = False
    remaining = sum(len(b.text) for b in blocks)
    for block in blocks:
        text = block.text
        remaining -= len(text)
        marker = end_marker(text) if paragraphs else None
        if marker == "hard" or (marker and remaining < 0.25 * len("".join(paragraphs))):
            break
        pictures = [img for img in block.images if dom.is_content_image(img)]
        images.extend(pictures)
        if not text or is_boilerplate_line(text) or _link_line(block):
            after_image = bool(pictures) or (after_image and not text)
            continue
        if _is_caption(block, bool(pictures), after_image):
            captions.append(text)
        else:
            paragraphs.append(text)
        after_image = False
    return Body(tuple(paragraphs), tuple(images), tuple(captions))


def _link_line(block: dom.Block) -> bool:
    return block.link_density > _LINK_HEAVY and dom.punctuation(block.text) < 2


def _is_caption(block: dom.Block, has_picture: bool, after_image: bool) -> bool:
    """A short line inside a figure, or beside / centred right below a content image."""
    text = block.text
    if dom.text_length(text) > _CAPTION_MAX:
        return False
    el = block.element
    if dom.tag_of(el) == "figcaption" or any(dom.tag_of(a) == "figure" for a in el.iterancestors()):
        return True
    if not (has_picture or after_image):
        return False
    # A caption is one statement, often credited (摄 / 图片由…提供); a paragraph that merely
    # shares a block with a picture has several sentences.
    credited = _PHOTO_CREDIT.search(text) is not None
    single = len(_SENTENCE_END.findall(text.rstrip("。！？"))) == 0
    return credited or (single and (block.centered or has_picture))
