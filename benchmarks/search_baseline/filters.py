"""SQL fragments shared by both backends: the filters of a query, always as bind parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.sql.elements import BindParameter

from newsbot.storage.schema import UTCDateTime
from search_baseline.query import Query
from search_baseline.query_text import normalize


@dataclass
class Fragments:
    """WHERE conditions (SQL text written by us) and their bound values (the user's text)."""

    where: list[str] = field(default_factory=list)
    binds: list[BindParameter[Any]] = field(default_factory=list)
    counter: int = 0

    def param(self, value: Any, *, expanding: bool = False, type_: Any = None) -> str:
        name = f"p{self.counter}"
        self.counter += 1
        self.binds.append(bindparam(name, value, expanding=expanding, type_=type_))
        return f":{name}"


def article_filters(query: Query, since: datetime | None, fragments: Fragments) -> None:
    """Conditions on `a` (articles): not a near-duplicate, section, source, time."""
    fragments.where.append("a.duplicate_of IS NULL")
    if query.sections:
        names = sorted({s for section in query.sections for s in (section, normalize(section))})
        fragments.where.append(f"a.section IN {fragments.param(names, expanding=True)}")
    if query.sources:
        keys = sorted({key.lower() for key in query.sources} | set(query.sources))
        fragments.where.append(
            "a.source_id IN (SELECT src.id FROM sources AS src WHERE src.key IN "
            f"{fragments.param(keys, expanding=True)})"
        )
    if since is not None:
        placeholder = fragments.param(since, type_=UTCDateTime())
        fragments.where.append(f"coalesce(a.published_at, a.fetched_at) >= {placeholder}")


def age_days(now: datetime, fragments: Fragments, dialect: str) -> str:
    """SQL for the article's age in days at `now` (published, else fetched)."""
    placeholder = fragments.param(now, type_=UTCDateTime())
    stamp = "coalesce(a.published_at, a.fetched_at)"
    if dialect == "postgresql":
        seconds = f"EXTRACT(EPOCH FROM (CAST({placeholder} AS TIMESTAMP) - {stamp}))"
        return f"GREATEST(0.0, {seconds} / 86400.0)"
    return f"max(0.0, julianday({placeholder}) - julianday({stamp}))"
