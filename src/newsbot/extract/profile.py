"""Per-site extraction profiles: CSS selectors from [extraction.profiles."<host>"].

A profile is looked up by the page's host (exact, then without "www.", then parent domains);
local files use the key "file". Anything a profile does not give, or a selector that matches
nothing, falls back to the generic extractor.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

from newsbot.config import ExtractionProfile, ExtractionSettings
from newsbot.errors import ConfigError

FILE_KEY = "file"


def host_key(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme in {"", "file"} or len(parts.scheme) == 1:  # "C:" drive letters too
        return FILE_KEY
    return (parts.hostname or "").lower()


def profile_for(url: str, settings: ExtractionSettings | None) -> ExtractionProfile | None:
    """The configured profile for url's host, or None for the generic extractor."""
    if settings is None or not settings.profiles:
        return None
    profiles = {key.lower(): profile for key, profile in settings.profiles.items()}
    host = host_key(url)
    candidates = [host, host.removeprefix("www.")]
    labels = host.split(".")
    candidates += [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    for key in candidates:
        if key in profiles:
            return profiles[key]
    return None


def select(root: etree._Element, selector: str | None, field: str) -> list[etree._Element]:
    """Elements matching a profile selector; ConfigError names the field of a bad selector."""
    if not selector:
        return []
    try:
        compiled = CSSSelector(selector)
    except (SelectorError, SyntaxError, ValueError) as exc:
        problem = f"bad CSS selector {selector!r}: {exc}"
        raise ConfigError(f"extraction.profiles.*.{field}", problem) from None
    return list(compiled(root))


def check_profile(profile: ExtractionProfile) -> None:
    """Compile every selector of a profile once, so a bad one is reported at start."""
    empty = etree.Element("html")
    for field in ("title", "body", "published", "byline"):
        select(empty, getattr(profile, field), field)
    for selector in profile.remove:
        select(empty, selector, "remove")
