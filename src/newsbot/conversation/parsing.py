"""Pure parsing of what subscribers type: commands, times, timezones, keyword lists, deep links."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_COMMAND = re.compile(
    r"^[/／]([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+|$)(.*)$", re.DOTALL
)
_TIME = re.compile(r"^(\d{1,2})[:：.](\d{2})$")
_KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")
_RULE_SEPARATORS = re.compile(r"[\n,，、;；]+")
# The search query language in a keyword list: -exclusion, a|b, a OR b, a 或 b, "phrase".
_QUERY_SYNTAX = re.compile(r'(?:^|\s)[-－]\S|[|｜"“”「」]|(?:^|\s)(?:OR|或)(?:\s|$)')
_TZ_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+){0,2}$")


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # lower-case, without the slash
    args: str  # the rest of the text, stripped
    bot: str | None = None  # /cmd@bot


def parse_command(text: str) -> Command | None:
    """'/Time@newsbot 7:30' -> Command('time', '7:30', 'newsbot'); None if not a command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return Command(match.group(1).lower(), match.group(3).strip(), match.group(2))


def parse_time(value: str) -> time | None:
    """'7:30', '07:30', '7：30' -> time(7, 30); None for anything else (25:99, 7, 7:3)."""
    match = _TIME.match(value.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_timezone(value: str) -> str | None:
    """An IANA name that zoneinfo knows ('asia/shanghai' is accepted as Asia/Shanghai)."""
    name = value.strip()
    if not _TZ_NAME.match(name) or ".." in name:  # never let a path reach zoneinfo
        return None
    for candidate in (name, _title_case(name), name.upper()):
        try:
            ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
        return candidate
    return None


def _title_case(name: str) -> str:
    return "/".join(
        "_".join(p[:1].upper() + p[1:].lower() for p in part.split("_")) for part in name.split("/")
    )


def split_words(text: str) -> list[str]:
    """Keywords or sections separated by spaces, commas (，,), 、 or semicolons."""
    return [w for w in _KEYWORD_SEPARATORS.split(text.strip()) if w]


def split_keywords(text: str) -> list[str]:
    """Alert keywords: words separated by spaces or commas as before, but a list written in the
    search query language (债务 -招聘, 债务|化债) keeps spaces inside one rule; rules are then
    separated by commas, 、, semicolons or new lines."""
    if not _QUERY_SYNTAX.search(text):
        return split_words(text)
    return [" ".join(rule.split()) for rule in _RULE_SEPARATORS.split(text) if rule.strip()]


@dataclass(frozen=True, slots=True)
class DeepLink:
    kind: str  # "keyword", "section", "lang", or "" when not understood
    value: str


def parse_deep_link(payload: str) -> DeepLink:
    """/start payloads (t.me/bot?start=...): kw_WORD, sec_NAME, lang_en; kwb_/secb_ carry the word
    as base64url UTF-8, because Telegram allows only A-Z a-z 0-9 _ - in start parameters."""
    prefix, sep, value = payload.strip().partition("_")
    if not sep or not value:
        return DeepLink("", payload)
    if prefix in ("kwb", "secb"):
        decoded = _b64(value)
        if decoded is None:
            return DeepLink("", payload)
        prefix, value = prefix[:-1], decoded
    kinds = {"kw": "keyword", "sec": "section", "lang": "lang"}
    value = value.strip()
    return DeepLink(kinds.get(prefix, "") if value else "", value or payload)


def _b64(value: str) -> str | None:
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def deep_link_payload(kind: str, value: str) -> str:
    """The payload to put in a t.me link for a keyword or section (base64url when not ASCII)."""
    prefix = {"keyword": "kw", "section": "sec", "lang": "lang"}[kind]
    if re.fullmatch(r"[A-Za-z0-9-]+", value):
        return f"{prefix}_{value}"
    encoded = base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{prefix}b_{encoded}"
