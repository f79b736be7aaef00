"""Parsing and measuring HTML with lxml: the page tree, its text blocks, CJK-aware lengths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from newsbot.errors import ParseError

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Characters lxml refuses in a str (NUL and most C0 controls).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9]+")
_PUNCT = re.compile(r"[，。；：！？、,;!?]")
_SPACE = re.compile(r"[ \t\r\n\u00a0\u3000\u2002\u2003\u200b\ufeff]+")

DROP_TAGS = (
    "script", "style", "noscript", "iframe", "textarea", "select", "option", "button", "input",
    "object", "embed", "svg", "canvas", "map", "template", "head",
)  # fmt: skip
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "td",
        "th",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "figcaption",
        "form",
        "fieldset",
        "center",
        "address",
        "hr",
        "body",
        "html",
    ]
)


def parse(text: str, url: str) -> lxml_html.HtmlElement:
    """The document tree; ParseError when there is nothing to parse."""
    cleaned = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    if not cleaned.strip():
        raise ParseError(url, "empty page")
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, recover=True)
    try:
        root = lxml_html.document_fromstring(cleaned, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(url, f"not parseable as HTML: {exc}") from None
    if root is None:
        raise ParseError(url, "not parseable as HTML")
    return root


def normalize_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def text_length(text: str) -> int:
    """Length in reading units: one per CJK character, one per ASCII word."""
    return len(_CJK.findall(text)) + len(_WORD.findall(text))


def punctuation(text: str) -> int:
    return len(_PUNCT.findall(text))


def tag_of(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def attr_words(el: etree._Element) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


@dataclass
class Block:
    """A run of text between block boundaries, with the share of it inside links."""

    text: str
    link_chars: int
    element: etree._Element
    images: list[etree._Element] = field(default_factory=list)
    centered: bool = False

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.images: list[etree._Element] = []
        self.owner: etree._Element | None = None

    def flush(self) -> None:
        text = normalize_space("".join(self.parts))
        if (text or self.images) and self.owner is not None:
            self.blocks.append(
                Block(text, self.link_chars, self.owner, self.images, _centered(self.owner))
            )
        self.parts, self.link_chars, self.images = [], 0, []

    def add(self, text: str | None, in_link: bool) -> None:
        if text:
            self.parts.append(text)
            if in_link:
                self.link_chars += len(normalize_space(text))

    def walk(self, el: etree._Element, in_link: bool = False) -> None:
        tag = tag_of(el)
        is_block = tag in BLOCK_TAGS
        if is_block or tag == "br":
            self.flush()
        if is_block:
            self.owner = el
        if tag == "img":
            self.images.append(el)
        self.add(el.text, in_link or tag == "a")
        for child in el:
            self.walk(child, in_link or tag == "a")
            if is_block:
                self.owner = el
            self.add(child.tail, in_link)
        if is_block:
            self.flush()


def blocks(root: etree._Element) -> list[Block]:
    """The text blocks under root, in document order."""
    walker = _Walker()
    walker.owner = root
    walker.walk(root)
    walker.flush()
    return walker.blocks


def _centered(el: etree._Element) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return el.get("align", "").lower() == "center" or "text-align:center" in style


_ICON = re.compile(
    r"logo|icon|avatar|face|emot|smil|qrcode|erweima|button|spacer|blank|share|\.gif($|\?)", re.I
)


def is_content_image(img: etree._Element) -> bool:
    """A picture of the article, not an icon, avatar, emoticon or spacer."""
    src = img.get("src") or img.get("data-src") or img.get("data-original") or ""
    if not src.strip() or src.startswith("data:") or _ICON.search(src):
        return False
    for name in ("width", "height"):
        value = (img.get(name) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < 80:
            return False
    return True


def iter_elements(root: etree._Element, tags: frozenset[str]) -> Iterator[etree._Element]:
    """Elements with one of the tags (filtered inside lxml, in C)."""
    yield from root.iter(*tags)
