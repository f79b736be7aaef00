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


MAX_DEPTH = 2048  # libxml2's nesting limit with huge_tree (256 without it)
_CONTAINER_TAG = re.compile(r"</?(?:div|span|font|section|center|article)\b[^>]*>", re.I)


def parse(text: str, url: str) -> lxml_html.HtmlElement:
    """The document tree; ParseError when there is nothing to parse.

    libxml2 stops at 256 levels of nesting and silently drops everything after that point (the
    rest of the article included); huge_tree lifts the limit to 2048. A page nested deeper still
    is re-read with its layout containers (div, span, font ...) removed, which flattens every
    real-world case; when even that is too deep the page is refused with a ParseError saying so,
    never returned with its text missing."""
    cleaned = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    if not cleaned.strip():
        raise ParseError(url, "empty page")
    root, too_deep = _parse(cleaned, url)
    if too_deep:
        root, too_deep = _parse(_CONTAINER_TAG.sub(" ", cleaned), url)
        if too_deep:
            raise ParseError(url, f"nested deeper than {MAX_DEPTH} elements; text would be lost")
    return root


def _parse(text: str, url: str) -> tuple[lxml_html.HtmlElement, bool]:
    parser = lxml_html.HTMLParser(
        remove_comments=True, remove_pis=True, recover=True, huge_tree=True
    )
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(url, f"not parseable as HTML: {exc}") from None
    if root is None:
        raise ParseError(url, "not parseable as HTML")
    too_deep = any("Excessive depth" in str(error.message) for error in parser.error_log)
    return root, too_deep


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

    def walk(self, root: etree._Element) -> None:
        """Document order, iteratively (a page may nest 2048 deep: recursion would overflow).

        For each element: its text belongs to it (inside a link if it or an ancestor is <a>);
        each child's tail belongs back to the parent, with the parent's own link state."""
        stack: list[tuple[etree._Element, bool, bool, bool]] = []  # el, block, link in, link
        for event, el in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                tag = tag_of(el)
                is_block = tag in BLOCK_TAGS
                if is_block or tag == "br":
                    self.flush()
                if is_block:
                    self.owner = el
                if tag == "img":
                    self.images.append(el)
                incoming = stack[-1][3] if stack else False
                inside = incoming or tag == "a"
                self.add(el.text, inside)
                stack.append((el, is_block, incoming, inside))
                continue
            _, is_block, _, _ = stack.pop()
            if is_block:
                self.flush()
            if stack:
                parent, parent_block, parent_incoming, _ = stack[-1]
                if parent_block:
                    self.owner = parent
                self.add(el.tail, parent_incoming)


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
