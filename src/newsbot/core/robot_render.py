"""Rendering for the group robots: WeCom and DingTalk markdown, Feishu rich text ("post").

Pure. Each renderer turns a neutral Message into chunks that each fit the platform's byte limit,
and never truncates (core.render's packer: whole blocks first, then sentences, then a hard split):

- Items stay whole: a digest item's blocks (linked title, key points, figures) become one block,
  and a section header joins the item after it, so a long digest splits *between* items and a
  header never ends a message (`keep_items_together`).
- Sizes are what each platform counts: WeCom the UTF-8 bytes of `markdown.content` (4,096);
  DingTalk and Feishu the whole JSON request body (20,000 bytes), so their costs are the
  JSON-escaped UTF-8 bytes of the text plus an upper bound for the envelope and markup.
- Markup in article text is neutralised per dialect. WeCom and DingTalk markdown have no escape
  syntax, so active characters become their fullwidth forms (＊ ［ ］ ＿ ＃ …) and a line that
  would start a list or quote gets a fullwidth marker; link URLs have ( ) and spaces encoded.
  Feishu's post elements are structured JSON whose text is shown literally: nothing to escape.
"""

from __future__ import annotations

import json
import re

from newsbot.core.render import _Format, _merge_links, _pack, render_wecom_markdown
from newsbot.core.replies import Block, Message, Span

WECOM_MARKDOWN_BYTES = 4096
WECOM_TEXT_BYTES = 2048
DINGTALK_BODY_BYTES = 20_000
FEISHU_BODY_BYTES = 20_000  # "20 KB": read as 20,000, the stricter of 20,000 and 20,480
ENVELOPE_BYTES = 600  # msgtype, title, timestamp and sign around the text: an upper bound
DINGTALK_TEXT_BUDGET = DINGTALK_BODY_BYTES - ENVELOPE_BYTES
FEISHU_CONTENT_BUDGET = FEISHU_BODY_BYTES - ENVELOPE_BYTES

_DINGTALK_ACTIVE = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "[": "［",
        "]": "］",
        "`": "｀",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "|": "｜",
        "~": "～",
    }
)
_LIST_START = re.compile(r"^(\s*)([-+]|\d+\.)(\s)")
_FULLWIDTH_MARKER = {"-": "－", "+": "＋"}


def keep_items_together(message: Message, line_break: str = "\n") -> Message:
    """One block per digest item (its header joins it); lines inside a block are `line_break`.

    A block with a link starts an item; a bold block without a link is a section header; any
    other block continues the current unit (key points, figures, the digest's count line).
    """
    units: list[list[Block]] = []
    open_header = False
    for block in message.blocks:
        is_item = any(span.url for span in block)
        is_header = all(span.bold and not span.url for span in block)
        if not units or is_header or (is_item and not open_header):
            units.append([block])
            open_header = is_header
        else:
            units[-1].append(block)
            open_header = open_header and not is_item
    merged = tuple(_join_lines(unit, line_break) for unit in units)
    return Message(merged, message.buttons, message.link_preview)


def _join_lines(blocks: list[Block], line_break: str) -> Block:
    spans: list[Span] = []
    for index, block in enumerate(blocks):
        if index:
            spans.append(Span(line_break))
        spans.extend(block)
    return tuple(spans)


# --- WeCom group robot -------------------------------------------------------------------------


def render_wecom_robot(message: Message, *, limit: int = WECOM_MARKDOWN_BYTES) -> list[str]:
    """WeCom markdown chunks of at most `limit` bytes of content, split between items."""
    return render_wecom_markdown(keep_items_together(message, "\n"), limit_bytes=limit)


# --- DingTalk custom robot ----------------------------------------------------------------------


def json_bytes(text: str) -> int:
    """Bytes `text` takes inside a JSON string (UTF-8, quotes/backslashes/controls escaped)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2


def render_dingtalk_markdown(message: Message, *, limit: int = DINGTALK_TEXT_BUDGET) -> list[str]:
    """DingTalk markdown chunks whose JSON-escaped text stays within `limit` bytes."""
    fmt = _Format(
        render=_dingtalk_span,
        text_cost=lambda text: json_bytes(text.translate(_DINGTALK_ACTIVE)),
        markup_cost=_dingtalk_markup_cost,
        entities=lambda _span: 0,
        limit=limit,
    )
    units = keep_items_together(_merge_links(message), "  \n")
    chunks = []
    for chunk in _pack(units, fmt):
        text = fmt.separator.join("".join(fmt.render(s, t) for s, t in part) for part in chunk)
        if text.strip():
            chunks.append(text)
    return chunks


def _dingtalk_span(span: Span, text: str) -> str:
    out = _neutral_line_start(text.translate(_DINGTALK_ACTIVE))
    if span.url and out.strip():
        out = f"[{out}]({_encoded_url(span.url)})"
    if span.bold and out.strip():
        out = f"**{out}**"
    return out


def _neutral_line_start(text: str) -> str:
    """'- x', '+ x', '1. x' at the start would become a list item: use fullwidth markers."""
    match = _LIST_START.match(text)
    if match is None:
        return text
    marker = match.group(2)
    marker = _FULLWIDTH_MARKER.get(marker, marker[:-1] + "．")
    return match.group(1) + marker + text[match.end(2) :]


def _dingtalk_markup_cost(span: Span) -> int:
    cost = 2  # a list marker made fullwidth grows by 2 bytes
    if span.url:
        cost += 4 + json_bytes(_encoded_url(span.url))
    return cost + (4 if span.bold else 0)


def _encoded_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


# --- Feishu / Lark custom bot ---------------------------------------------------------------------

_TEXT_ELEMENT = len('{"tag":"text","text":""},')
_LINK_ELEMENT = len('{"tag":"a","text":"","href":""},')
_BOLD_STYLE = len(',"style":["bold"]')
_PARAGRAPH = len("[],")
_POST_ENVELOPE = len('{"zh_cn":{"title":"","content":[]}}')


def render_feishu_post(message: Message, *, limit: int = FEISHU_CONTENT_BUDGET) -> list[str]:
    """Feishu post contents (JSON strings: {"zh_cn": {"title", "content"}}) within `limit` bytes.

    Every block is a paragraph and every line break starts a new one; items are separated by an
    empty paragraph. Costs are upper bounds of the JSON each piece becomes.
    """
    fmt = _Format(
        render=lambda _span, text: text,
        text_cost=json_bytes,
        markup_cost=_feishu_markup_cost,
        entities=lambda _span: 0,
        limit=limit - _POST_ENVELOPE,
        separator="\n\n",
    )
    chunks = []
    for chunk in _pack(keep_items_together(_merge_links(message), "\n"), fmt):
        paragraphs = _paragraphs(chunk)
        if any(paragraphs):
            post = {"zh_cn": {"title": "", "content": paragraphs}}
            chunks.append(json.dumps(post, ensure_ascii=False, separators=(",", ":")))
    return chunks


def _paragraphs(chunk: list[tuple[tuple[Span, str], ...]]) -> list[list[dict[str, object]]]:
    paragraphs: list[list[dict[str, object]]] = [[]]
    for index, part in enumerate(chunk):
        if index:
            paragraphs.extend([[], []])  # an empty paragraph between items
        for span, text in part:
            if text == "\n":
                paragraphs.append([])
            elif text:
                paragraphs[-1].append(_feishu_element(span, text))
    return [p for i, p in enumerate(paragraphs) if p or 0 < i < len(paragraphs) - 1]


def _feishu_element(span: Span, text: str) -> dict[str, object]:
    element: dict[str, object] = (
        {"tag": "a", "text": text, "href": span.url} if span.url else {"tag": "text", "text": text}
    )
    if span.bold:
        element["style"] = ["bold"]
    return element


def _feishu_markup_cost(span: Span) -> int:
    cost = _LINK_ELEMENT + json_bytes(span.url) if span.url else _TEXT_ELEMENT
    return cost + _PARAGRAPH + (_BOLD_STYLE if span.bold else 0)


def render(dialect: str, message: Message, limit: int | None = None) -> list[str]:
    """core.render.render_for's entry for the robot dialects (limit: the profile's max size)."""
    if dialect == "feishu_post":
        return render_feishu_post(message, limit=limit or FEISHU_CONTENT_BUDGET)
    if dialect == "markdown":
        return render_dingtalk_markdown(message, limit=limit or DINGTALK_TEXT_BUDGET)
    return render_wecom_robot(message, limit=limit or WECOM_MARKDOWN_BYTES)
