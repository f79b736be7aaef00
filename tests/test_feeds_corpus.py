"""Every file of feedparser's own test corpus goes through our feed layer without an uncaught
exception: each is parsed, recovered (bozo, entries kept) or rejected with a clear ParseError."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import shared_path
from newsbot.adapters.feeds import parse_feed
from newsbot.errors import ParseError

_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)


def corpus_headers(body: bytes) -> dict[str, str]:
    """The HTTP headers a corpus file asks for (its `Header:` comment lines)."""
    head = body[:2000]
    return {
        m.group(1).decode().lower(): m.group(2).decode("latin-1") for m in _HEADER.finditer(head)
    }


def test_every_corpus_file_is_parsed_recovered_or_rejected_clearly() -> None:
    root = shared_path("corpora", "feeds", "feedparser-tests")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "LICENSE")
    counts = {"parsed": 0, "recovered": 0, "rejected": 0}
    items = 0
    for path in files:
        outcome, found = classify(path)
        counts[outcome] += 1
        items += found
    print(f"\nfeedparser corpus: {len(files)} files, {counts}, {items} items")
    assert sum(counts.values()) == len(files) > 2000
    assert counts["parsed"] > counts["rejected"]


def classify(path: Path) -> tuple[str, int]:
    body = path.read_bytes()
    url = f"http://127.0.0.1/{path.parent.name}/{path.name}"
    try:
        parsed = parse_feed(body, url, corpus_headers(body))
    except ParseError as exc:
        assert exc.url == url and exc.reason  # a clear error: which feed and why
        return "rejected", 0
    assert all(item.url for item in parsed.items)  # items without a link are dropped, not kept
    return ("recovered" if parsed.recovered else "parsed"), len(parsed.items)
