"""Sources' polling state and the stored articles every reader reads."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from newsbot.core.dedupe import SaveOutcome
from newsbot.core.models import Article, ArticleDraft, KnownArticle, SourceState


class SourceStore(Protocol):
    """The configured sources and their polling state."""

    def sync(self, configured: Sequence[Any]) -> None: ...
    def get(self, key: str) -> SourceState | None: ...
    def all(self) -> list[SourceState]: ...
    def due(self, now: datetime, keys: Sequence[str]) -> list[SourceState]: ...
    def next_due_at(self, keys: Sequence[str]) -> datetime | None: ...
    def record_success(
        self,
        key: str,
        *,
        status: str,
        polled_at: datetime,
        next_poll_at: datetime,
        etag: str | None,
        last_modified: str | None,
        keep_validators: bool = False,
        error: str | None = None,
    ) -> None: ...
    def record_not_modified(
        self, key: str, *, polled_at: datetime, next_poll_at: datetime
    ) -> None: ...
    def record_failure(
        self,
        key: str,
        *,
        status: str,
        error: str,
        polled_at: datetime,
        next_poll_at: datetime,
        failures: int,
    ) -> None: ...


class ArticleStore(Protocol):
    """Articles: ingest saves them (the decisions are core.dedupe's), every reader reads them."""

    def held_open(self) -> AbstractContextManager[None]: ...
    def known(self, keys: Sequence[str]) -> dict[str, KnownArticle]: ...
    def adopt_section(self, keys: Sequence[str], section: str) -> int: ...
    def save(self, draft: ArticleDraft, now: datetime) -> tuple[SaveOutcome, int]: ...
    def get(self, article_id: int) -> Article | None: ...
    def recent(
        self, since: datetime, limit: int, sections: Sequence[str] = ()
    ) -> list[Article]: ...
    def latest(self, limit: int) -> list[Article]: ...
    def count(self) -> int: ...


class ArticleReader(Protocol):
    """The article reads the digest tick makes (an ArticleStore)."""

    def get(self, article_id: int) -> Article | None: ...

    def latest(self, limit: int) -> list[Article]: ...

    def recent(
        self, since: datetime, limit: int, sections: Sequence[str] = ()
    ) -> list[Article]: ...


class ArticleGetter(Protocol):
    """One article by id, for keyword alerts (an ArticleStore)."""

    def get(self, article_id: int) -> Article | None: ...
