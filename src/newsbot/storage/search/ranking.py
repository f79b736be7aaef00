"""Relevance blended with recency: the score halves every `half_life_days` of age."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


def rank(rows: Sequence[Any], now: datetime, half_life_days: float) -> list[tuple[int, float]]:
    """(article id, score) best first; rows carry id, relevance and ts (aware UTC)."""
    scored = []
    for row in rows:
        age_days = max(0.0, (now - row.ts).total_seconds() / 86400) if row.ts else 3650.0
        relevance = max(float(row.relevance or 0.0), 1e-9)
        scored.append((row.id, relevance * 0.5 ** (age_days / half_life_days)))
    scored.sort(key=lambda pair: (pair[1], pair[0]), reverse=True)
    return scored
