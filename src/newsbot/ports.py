"""The seams between the service and the outside world, as Protocols.

Adapters implement these; tests put small fakes here (and only here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from newsbot.core.models import Summary


class Clock(Protocol):
    """Where 'now' comes from: the system in production, a settable clock in tests."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Summarizer(Protocol):
    """Turns an extracted article into key points and figures. Pure and deterministic by default;
    an LLM-backed implementation may do I/O but must keep this signature."""

    def summarize(self, title: str, paragraphs: Sequence[str]) -> Summary: ...
