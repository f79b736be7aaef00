"""The pure storage decisions in core.dedupe: new / updated / unchanged, the update cap, and
near-duplicate matching within a time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsbot.core.dedupe import NearDuplicateIndex, save_decision, simhash

NOW = datetime(2026, 5, 4, tzinfo=UTC)


def test_new_updated_unchanged_and_the_cap() -> None:
    assert save_decision(None, 0, "h1", 5) == "new"
    assert save_decision("h1", 0, "h1", 5) == "unchanged"
    assert save_decision("h1", 4, "h2", 5) == "updated"
    assert save_decision("h1", 5, "h2", 5) == "unchanged"  # the cap: no more re-sends
    assert save_decision("h1", 0, "h2", 0) == "unchanged"  # updates switched off


def test_near_duplicates_match_only_inside_the_window() -> None:
    text = "阳泉高新区累计摸底合同367份，查摆出问题4804条，需化解债务3029.56万元。" * 3
    a = simhash("阳泉高新区党建", text)
    b = simhash("阳泉高新区党建工作", text + "（记者 王某）")
    assert a is not None and b is not None
    index = NearDuplicateIndex(3, timedelta(days=7))
    index.add(1, a, NOW - timedelta(days=1))
    assert index.find(b, NOW - timedelta(days=7)) == 1
    assert index.find(b, NOW) is None  # the first was fetched before the window
    index.prune(NOW)
    assert len(index) == 0
