"""Telegram's HTML parse mode, checked the way the Bot API checks it.

`parse_telegram_html(text)` returns the plain text Telegram would show (entities decoded, tags
removed) or raises `HtmlParseError` with a message shaped like Telegram's
("Unsupported start tag "div" at byte offset 0"). Used by the fake Bot API and by the renderer's
property tests, so "valid for Telegram" means one thing everywhere.

Rules (https://core.telegram.org/bots/api#html-style): the tags b, strong, i, em, u, ins, s,
strike, del, span class="tg-spoiler", tg-spoiler, a href="...", code, pre, blockquote
[expandable], tg-emoji; properly nested; the named entities &lt; &gt; &amp; &quot; and numeric
entities; every other < > & must be escaped.
"""

from __future__ import annotations

import re

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
MAX_TEXT_UTF16 = 4096
MAX_ENTITIES = 100

_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; str() is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_telegram_html(text: str) -> str:
    """The visible text of a Telegram-HTML message, or HtmlParseError."""
    out: list[str] = []
    stack: list[str] = []
    entities = 0
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            pos, entities = _tag(text, pos, stack, entities)
        elif char == "&":
            match = _ENTITY.match(text, pos)
            if match is None:
                raise HtmlParseError(
                    f"Can't find end of the entity starting at byte offset {_offset(text, pos)}"
                )
            out.append(_decode_entity(match.group(1)))
            pos = match.end()
        elif char == ">":
            raise HtmlParseError(f"Unmatched end of tag at byte offset {_offset(text, pos)}")
        else:
            out.append(char)
            pos += 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    if entities > MAX_ENTITIES:
        raise HtmlParseError(f"Too many entities: {entities} > {MAX_ENTITIES}")
    return "".join(out)


def _tag(text: str, pos: int, stack: list[str], entities: int) -> tuple[int, int]:
    match = _TAG.match(text, pos)
    if match is None:
        raise HtmlParseError(f"Unsupported start tag at byte offset {_offset(text, pos)}")
    closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
    if name not in ALLOWED_TAGS:
        kind = "end" if closing else "start"
        raise HtmlParseError(f'Unsupported {kind} tag "{name}" at byte offset {_offset(text, pos)}')
    if closing:
        if not stack or stack[-1] != name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {_offset(text, pos)}, expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
            )
        stack.pop()
        return match.end(), entities
    _check_attributes(name, dict(_attributes(attrs)), text, pos)
    if stack and stack[-1] in ("pre", "code") and not (stack[-1] == "pre" and name == "code"):
        raise HtmlParseError(
            f'Can\'t use tag "{name}" inside "{stack[-1]}" at byte offset {_offset(text, pos)}'
        )
    stack.append(name)
    return match.end(), entities + 1


def _attributes(attrs: str) -> list[tuple[str, str]]:
    found = []
    for match in _ATTR.finditer(attrs):
        value = next((g for g in match.groups()[1:] if g is not None), "")
        found.append((match.group(1).lower(), value))
    return found


def _check_attributes(name: str, attrs: dict[str, str], text: str, pos: int) -> None:
    if name == "a" and not attrs.get("href", "").strip():
        raise HtmlParseError(
            f'Tag "a" must have attribute "href" at byte offset {_offset(text, pos)}'
        )
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_offset(text, pos)}'
        )
    for value in attrs.values():
        if "<" in value:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_offset(text, pos)}")


def _decode_entity(body: str) -> str:
    if body in _NAMED:
        return _NAMED[body]
    code = int(body[2:], 16) if body.startswith("#x") else int(body[1:])
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(f"Invalid entity code {code}")
    return chr(code)


def _offset(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-8"))
