"""The channel-neutral message: what the conversation layer and the digest builder produce, and
what each channel renders in its own format (Telegram HTML, WeCom markdown, plain text).

A Message is a list of blocks (paragraphs); a block is a run of spans (plain, bold, or a link).
Channels split long messages between blocks first, then between sentences, never mid-word, and
escape every span (feed-derived text is never trusted markup).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    url: str | None = None
    bold: bool = False


Block = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: either callback `data` (<= 64 bytes, signed by the channel) or a `url`."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    link_preview: bool = False

    @classmethod
    def plain(cls, *paragraphs: str) -> Message:
        return cls(tuple((Span(p),) for p in paragraphs))

    def plain_text(self) -> str:
        return "\n\n".join("".join(span.text for span in block) for block in self.blocks)


def text_block(text: str, *, bold: bool = False) -> Block:
    return (Span(text, bold=bold),)


def link_block(title: str, url: str, suffix: str = "") -> Block:
    spans = [Span(title, url=url)]
    if suffix:
        spans.append(Span(suffix))
    return tuple(spans)
