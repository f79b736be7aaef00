"""A digest as one short message: for channels where a digest is one message (WeChat), either
a link card to its web page or, without a public URL, one text within the channel's limit.

Pure. The text lists titles in digest order until the next would not fit, then says how many
more there are; nothing is cut mid-title.
"""

from __future__ import annotations

from newsbot.core.digest import TEXTS, Digest, grouped

MORE = {"zh": "……另有 {n} 篇，回复“日报”查看。", "en": "… and {n} more; send 日报 for all."}
PAGE = {"zh": "点开阅读全文（{n} 篇）", "en": "Open to read all {n}"}


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def digest_title(digest: Digest) -> str:
    return TEXTS[_lang(digest)]["title"].format(date=digest.local_date)


def compact_digest_text(digest: Digest, limit_bytes: int) -> str:
    """Header, count, then numbered titles by section while they fit in `limit_bytes`."""
    texts = TEXTS[_lang(digest)]
    lines = [digest_title(digest), texts["count"].format(n=len(digest.items))]
    if digest.empty:
        return "\n".join([lines[0], texts["empty"]])
    number = 0
    for name, items in grouped(digest):
        section = f"【{name}】"
        for item in items:
            number += 1
            candidate = [*lines, section] if section else list(lines)
            candidate.append(f"{number}. {item.title.strip()}")
            rest = len(digest.items) - number
            tail = MORE[_lang(digest)].format(n=rest) if rest else ""
            if _size("\n".join([*candidate, tail])) > limit_bytes:
                more = MORE[_lang(digest)].format(n=len(digest.items) - number + 1)
                return "\n".join([*lines, more])
            lines, section = candidate, ""
    return "\n".join(lines)


def card_description(digest: Digest, limit_chars: int = 120) -> str:
    """The first titles, for the card under its title (WeChat shows about two lines)."""
    titles = "；".join(item.title.strip() for item in digest.items[:3])
    head = PAGE[_lang(digest)].format(n=len(digest.items))
    text = f"{head}：{titles}" if titles else head
    return text if len(text) <= limit_chars else text[: limit_chars - 1] + "…"


def _lang(digest: Digest) -> str:
    return "en" if digest.language == "en" else "zh"
