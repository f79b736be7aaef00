"""Render a neutral Message for each channel, split into chunks within the channel's limit.

- Telegram: HTML parse mode; every span escaped with html.escape (feed text is never markup);
  limit 4096 UTF-16 units of *visible* text (what Telegram counts after entity parsing) and at
  most 100 entities per message.
- Plain text: the console (no limit) and WeChat text replies (2048 BYTES: pass limit and
  measure="bytes").
- WeCom markdown: 4096 BYTES of markdown source. WeCom has no escape syntax, so characters
  that would become markup in feed text are replaced by their fullwidth forms.

Splitting never truncates: blocks (paragraphs) are packed greedily; a block that does not fit an
empty chunk is split between sentences (。！？；.!? and newlines), and a sentence that alone is
too long is hard-split, at a space when one is near the end, else between characters. A
Message's buttons belong with the last chunk (the channel attaches them).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from newsbot.core.channels import ChannelProfile, Dialect, SizeUnit
from newsbot.core.replies import Message, Span

TELEGRAM_LIMIT = 4096
TELEGRAM_MAX_ENTITIES = 100
WECHAT_TEXT_LIMIT_BYTES = 2048
WECOM_MARKDOWN_LIMIT_BYTES = 4096
UNLIMITED = 1 << 40

# A sentence ends after one of these (plus any closing quotes/brackets), or at a newline.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;.\n])[”’」』）)\]\"']*")
_WECOM_ACTIVE = str.maketrans(
    {"*": "＊", "[": "［", "]": "］", "`": "｀", "<": "＜", ">": "＞", "_": "＿"}
)

Piece = tuple[Span, str]  # a span and (part of) its text
Part = tuple[Piece, ...]  # (part of) a block


@dataclass(frozen=True, slots=True)
class _Format:
    """How a channel renders a span and what counts against its limit (additive per character,
    plus a fixed markup cost per rendered span piece)."""

    render: Callable[[Span, str], str]
    text_cost: Callable[[str], int]
    markup_cost: Callable[[Span], int]
    entities: Callable[[Span], int]
    limit: int
    max_entities: int = UNLIMITED
    separator: str = "\n\n"

    def cost(self, span: Span, text: str) -> int:
        return self.text_cost(text) + self.markup_cost(span) if text else 0


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def render_telegram(message: Message, *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Telegram HTML chunks, each within `limit` UTF-16 units and 100 entities."""
    fmt = _Format(
        render=_telegram_span,
        text_cost=utf16_len,
        markup_cost=lambda _span: 0,
        entities=lambda span: int(span.bold) + int(span.url is not None),
        limit=limit,
        max_entities=TELEGRAM_MAX_ENTITIES,
    )
    return _render(message, fmt)


def render_plain(
    message: Message, *, limit: int | None = None, measure: Literal["chars", "bytes"] = "chars"
) -> list[str]:
    """Plain-text chunks; links as 'title (url)'. WeChat: limit=2048, measure='bytes'."""
    sizer: Callable[[str], int] = (lambda s: len(s.encode("utf-8"))) if measure == "bytes" else len
    fmt = _Format(
        render=_plain_span,
        text_cost=sizer,
        markup_cost=lambda span: sizer(f" ({span.url})") if span.url else 0,
        entities=lambda _span: 0,
        limit=limit or UNLIMITED,
    )
    return _render(_merge_links(message), fmt)


def render_wecom_markdown(
    message: Message, *, limit_bytes: int = WECOM_MARKDOWN_LIMIT_BYTES
) -> list[str]:
    """WeCom group-robot markdown chunks, each within `limit_bytes` bytes."""
    fmt = _Format(
        render=_wecom_span,
        text_cost=lambda text: len(text.translate(_WECOM_ACTIVE).encode("utf-8")),
        markup_cost=_wecom_markup_cost,
        entities=lambda _span: 0,
        limit=limit_bytes,
    )
    return _render(_merge_links(message), fmt)


def _merge_links(message: Message) -> Message:
    """Adjacent spans of one link (a title with marked words) become one span, so formats that
    spell the URL out show it once."""
    blocks = []
    for block in message.blocks:
        merged: list[Span] = []
        for span in block:
            last = merged[-1] if merged else None
            if last is not None and span.url and last.url == span.url:
                merged[-1] = Span(last.text + span.text, url=span.url, bold=last.bold and span.bold)
            else:
                merged.append(span)
        blocks.append(tuple(merged))
    return Message(tuple(blocks), message.buttons, message.link_preview)


# --- span formats ----------------------------------------------------------------------------


def _telegram_span(span: Span, text: str) -> str:
    out = html.escape(text, quote=False)
    if span.url:
        out = f'<a href="{html.escape(span.url, quote=True)}">{out}</a>'
    if span.bold:
        out = f"<b>{out}</b>"
    return out


def _plain_span(span: Span, text: str) -> str:
    if span.url and text.strip() and text.strip() != span.url:
        return f"{text} ({span.url})"
    return text


def _wecom_span(span: Span, text: str) -> str:
    out = text.translate(_WECOM_ACTIVE)
    if out.lstrip().startswith("#"):
        out = out.replace("#", "＃", 1)  # a leading # would become a heading
    if span.url and out.strip():
        out = f"[{out}]({_wecom_url(span.url)})"
    if span.bold and out.strip():
        out = f"**{out}**"
    return out


def _wecom_markup_cost(span: Span) -> int:
    cost = 2  # a leading "#" becomes a 3-byte "＃"
    if span.url:
        cost += 4 + len(_wecom_url(span.url).encode("utf-8"))
    return cost + (4 if span.bold else 0)


def _wecom_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


# --- splitting -------------------------------------------------------------------------------


def _render(message: Message, fmt: _Format) -> list[str]:
    chunks = []
    for chunk in _pack(message, fmt):
        text = fmt.separator.join(
            "".join(fmt.render(span, t) for span, t in part) for part in chunk
        )
        if any(piece.strip() for part in chunk for _span, piece in part):  # not only whitespace
            chunks.append(text)
    return chunks


def _pack(message: Message, fmt: _Format) -> Iterator[list[Part]]:
    """Greedy packing of blocks into chunks; an oversized block is split across chunks."""
    current: list[Part] = []
    used = entities = 0
    sep = fmt.text_cost(fmt.separator)
    for block in message.blocks:
        part: Part = tuple((span, span.text) for span in block if span.text)
        if not part:
            continue
        cost, ents = _cost(part, fmt), _entities(part, fmt)
        extra = sep if current else 0
        if current and (used + extra + cost > fmt.limit or entities + ents > fmt.max_entities):
            yield current
            current, used, entities, extra = [], 0, 0, 0
        if cost <= fmt.limit and ents <= fmt.max_entities:
            current.append(part)
            used, entities = used + extra + cost, entities + ents
            continue
        pieces = list(_split_block(part, fmt))
        yield from ([p] for p in pieces[:-1])
        current = [pieces[-1]]
        used, entities = _cost(pieces[-1], fmt), _entities(pieces[-1], fmt)
    if current:
        yield current


def _split_block(part: Part, fmt: _Format) -> Iterator[Part]:
    """Sentence units packed into parts that each fit one chunk."""
    current: list[Piece] = []
    used = entities = 0
    for unit in _units(part, fmt):
        cost, ents = fmt.cost(*unit), fmt.entities(unit[0])
        if current and (used + cost > fmt.limit or entities + ents > fmt.max_entities):
            yield tuple(current)
            current, used, entities = [], 0, 0
        current.append(unit)
        used, entities = used + cost, entities + ents
    if current:
        yield tuple(current)


def _units(part: Part, fmt: _Format) -> Iterator[Piece]:
    for span, text in part:
        if fmt.markup_cost(span) >= fmt.limit:  # the markup alone (a huge URL) cannot fit
            span = Span(f"{text} ({span.url})" if span.url else text, bold=span.bold)
            text = span.text
        for sentence in split_sentences(text):
            if fmt.cost(span, sentence) <= fmt.limit:
                yield span, sentence
            else:
                yield from ((span, piece) for piece in _hard_split(span, sentence, fmt))


def split_sentences(text: str) -> list[str]:
    """Sentences with their end punctuation kept; joined they give back `text` exactly."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end > start:
            pieces.append(text[start:end])
            start = end
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _hard_split(span: Span, text: str, fmt: _Format) -> Iterator[str]:
    """The last resort: as long as fits, cut at a late space if there is one."""
    overhead = fmt.markup_cost(span)
    start = 0
    while start < len(text):
        end, used = start, overhead
        while end < len(text):
            step = fmt.text_cost(text[end])
            if used + step > fmt.limit:
                break
            used += step
            end += 1
        end = max(end, start + 1)
        space = text.rfind(" ", start + 1, end)
        if end < len(text) and space > start + (end - start) // 2:
            end = space + 1
        yield text[start:end]
        start = end


def _cost(part: Part, fmt: _Format) -> int:
    return sum(fmt.cost(span, text) for span, text in part)


def _entities(part: Part, fmt: _Format) -> int:
    return sum(fmt.entities(span) for span, _text in part)


def render_for(profile: ChannelProfile, message: Message) -> list[str]:
    """A neutral message as chunks in the profile's dialect, each within its size limit."""
    limits = profile.limits
    if profile.dialect is Dialect.TELEGRAM_HTML:
        return render_telegram(message, limit=limits.max_size or TELEGRAM_LIMIT)
    if profile.dialect in (Dialect.WECOM_MARKDOWN, Dialect.MARKDOWN, Dialect.FEISHU_POST):
        from newsbot.core import robot_render  # it builds on this module: imported late

        return robot_render.render(profile.dialect.value, message, limits.max_size)
    measure: Literal["chars", "bytes"] = "bytes" if limits.unit is SizeUnit.UTF8_BYTES else "chars"
    return render_plain(message, limit=limits.max_size, measure=measure)
