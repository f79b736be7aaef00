"""Value objects shared across the pipeline. Frozen, I/O-free, easy to compare in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry found in a feed or on a section page: enough to decide whether to fetch it."""

    url: str
    title: str = ""
    guid: str | None = None
    published: datetime | None = None
    summary: str = ""
    category: str = ""  # the feed's <category> (RSS) / tag: a section when it names one


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What the extractor got out of one article page."""

    url: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime | None = None
    byline: str | None = None
    lead_image: str | None = None
    image_captions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Figure:
    """A quantity found in the text: 需化解债务3029.56万元 -> value 30295600, unit 元."""

    text: str
    value: float
    unit: str
    label: str
    approx: bool = False
    sentence: int = 0
    value_max: float | None = None  # upper end of a range such as 3至5个

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "text": self.text,
            "value": self.value,
            "unit": self.unit,
            "label": self.label,
            "approx": self.approx,
            "sentence": self.sentence,
        }
        if self.value_max is not None:
            data["value_max"] = self.value_max
        return data


@dataclass(frozen=True, slots=True)
class Summary:
    """Key points (sentences of the article, in article order) and its figures."""

    key_points: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    headline_figures: tuple[Figure, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "key_points": list(self.key_points),
            "figures": [f.as_dict() for f in self.figures],
            "headline_figures": [f.as_dict() for f in self.headline_figures],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Summary:
        def figures(name: str) -> tuple[Figure, ...]:
            items = data.get(name) or []
            assert isinstance(items, list)
            return tuple(Figure(**item) for item in items)

        points = data.get("key_points") or []
        assert isinstance(points, list)
        return cls(tuple(str(p) for p in points), figures("figures"), figures("headline_figures"))


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article as every reader (digest, alert, search) sees it."""

    id: int
    source_key: str
    section: str
    url: str
    title: str
    text: str
    published_at: datetime | None
    fetched_at: datetime
    byline: str | None = None
    lead_image: str | None = None
    summary: Summary | None = None
    duplicate_of: int | None = None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p for p in self.text.split("\n") if p)


# Defaults of a new subscriber, here once (config, storage and the groups read them from here).
DEFAULT_DIGEST_TIME = time(8, 0)
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_LANGUAGE = "zh"  # reader-facing text is Chinese first
DEFAULT_ALERT_MODE = "push"
MAX_KEYWORD_CHARS = 30  # a keyword alert is a word or a short phrase, not a query
GROUP_CHAT_TYPES = frozenset({"group", "supergroup", "channel"})


def hhmm(at: time) -> str:
    """A time of day as people write it and the database keeps it: time(7, 30) -> '07:30'."""
    return f"{at.hour:02d}:{at.minute:02d}"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A chat that receives digests and alerts; settings live in the database."""

    id: int
    channel: str
    chat_id: str
    chat_type: str = "private"
    language: str = DEFAULT_LANGUAGE
    timezone: str = DEFAULT_TIMEZONE
    digest_time: time = DEFAULT_DIGEST_TIME  # local, in `timezone`
    digest_enabled: bool = True
    sections: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    alert_mode: str = (
        DEFAULT_ALERT_MODE  # "push" right after ingest, or "digest" to fold into the next digest
    )
    quiet_start: str | None = None
    quiet_end: str | None = None
    active: bool = True
    last_digest_at: datetime | None = None
    created_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
    last_query: str | None = None  # the last search too long for its page buttons to carry

    @property
    def is_group(self) -> bool:
        """A group recipient (per-group flood limits apply), by its record, never its id."""
        return self.chat_type in GROUP_CHAT_TYPES


@dataclass(frozen=True, slots=True)
class SummaryDefaults:
    """The defaults, here once ([summary] in config.py takes them from here)."""

    min_points: int = 3
    max_points: int = 5
    max_point_chars: int = 220
    headline_figures: int = 4


DEFAULT_SUMMARY = SummaryDefaults()


# --- records the stores exchange with the service (ports/) ------------------------------------


@dataclass(frozen=True, slots=True)
class SourceState:
    """One source as stored: what it is and how its polling went."""

    id: int
    key: str
    name: str
    kind: str
    url: str
    section: str
    etag: str | None = None
    last_modified: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    next_poll_at: datetime | None = None
    failures: int = 0
    article_count: int = 0


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An extracted article about to be stored."""

    source_id: int
    section: str
    dedupe_key: str
    url: str
    title: str
    text: str
    guid: str | None = None
    byline: str | None = None
    lead_image: str | None = None
    published_at: datetime | None = None
    summary: Summary | None = None
    listed_title: str = ""  # the title the feed or section page gave


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What ingest needs to know about a stored article to decide whether to fetch it again."""

    id: int
    listed_title: str
    content_hash: str
    update_count: int


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """What add_keywords did: added, already there, refused over the cap, refused as too long."""

    added: tuple[str, ...] = ()
    existing: tuple[str, ...] = ()
    over_limit: tuple[str, ...] = ()
    too_long: tuple[str, ...] = ()
    total: int = 0


@dataclass(frozen=True, slots=True)
class SubscriberCounts:
    total: int = 0
    active: int = 0
    digest_enabled: int = 0
    keywords: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


# The states of a digest record: one per (subscriber, local date), claimed before anything is sent.
CLAIMED, QUEUED, EMPTY, SKIPPED = "claimed", "queued", "empty", "skipped"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One rendered chunk in the outbox, as the sender claims it."""

    id: int
    dedupe_key: str
    subscriber_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    claim_token: str | None = None

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A chunk to enqueue; `article_ids` go to the delivery ledger with this row."""

    dedupe_key: str
    subscriber_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    article_ids: tuple[int, ...] = ()
    not_before: datetime | None = None  # e.g. the end of the subscriber's quiet hours
