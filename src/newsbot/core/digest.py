"""Digests: select, merge near-duplicates, rank and group articles for one subscriber.

Pure: articles, the subscriber and `now` come in; a Digest (data) and a neutral Message come out.
Channels render the Message within their own limits (core/render.py), so nothing here knows about
Telegram's 4096 units or WeCom's 4096 bytes.

Ranking is a sum of three signals, each in [0, 1] before weighting:
- recency: exponential decay with a 12 h half-life (a digest is about today's news);
- keyword hits: the subscriber's alert keywords found in the article (the same matcher as search);
- headline figures: an article with concrete figures (查摆出问题4804条) is usually the substantive one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsbot.core import keypoints
from newsbot.core.models import Article, Figure, Subscriber
from newsbot.core.replies import Block, Message, Span, text_block
from newsbot.core.text import split_sentences

Matcher = Callable[[str, str, str], bool]  # (keyword, title, text) -> matched

RECENCY_HALF_LIFE_HOURS = 12.0
WEIGHT_RECENCY = 1.0
WEIGHT_KEYWORDS = 1.5
WEIGHT_FIGURES = 0.5
MAX_POINTS = 3
MAX_FIGURES = 3
FALLBACK_POINT_CHARS = 220

TEXTS = {
    "zh": {
        "title": "📰 每日摘要 · {date}",
        "count": "共 {n} 篇",
        "alerts": "🔔 关键词提醒",
        "other": "其他",
        "empty": "今天暂无新的文章。",
        "figures": "📊 ",
        "also": "（另有 {n} 篇相同报道）",
    },
    "en": {
        "title": "📰 Daily digest · {date}",
        "count": "{n} articles",
        "alerts": "🔔 Keyword alerts",
        "other": "Other",
        "empty": "No new articles today.",
        "figures": "📊 ",
        "also": " (+{n} similar reports)",
    },
}


@dataclass(frozen=True, slots=True)
class DigestItem:
    article_id: int
    title: str
    url: str
    section: str
    key_points: tuple[str, ...]
    figures: tuple[str, ...]
    score: float
    keyword_hits: tuple[str, ...] = ()
    merged_ids: tuple[int, ...] = ()  # near-duplicates folded into this item


@dataclass(frozen=True, slots=True)
class Digest:
    subscriber_id: int
    local_date: str
    items: tuple[DigestItem, ...]
    language: str = "zh"
    alerts_first: bool = False  # alert_mode "digest": keyword matches get their own group on top

    @property
    def article_ids(self) -> tuple[int, ...]:
        return tuple(i for item in self.items for i in (item.article_id, *item.merged_ids))

    @property
    def empty(self) -> bool:
        return not self.items


def article_time(article: Article) -> datetime:
    """When an article counts as new: its publication time, else when we fetched it."""
    return article.published_at or article.fetched_at


def select_articles(
    articles: Iterable[Article],
    since: datetime,
    now: datetime,
    sections: Sequence[str],
    oldest: datetime | None = None,
) -> list[Article]:
    """Articles fetched after `since` (the last digest), dated between `oldest` and now, in sections.

    `oldest` (now - window) keeps an old article found late (a back-filled page) out of today's news.
    """
    wanted = set(sections)
    floor = oldest or since
    chosen = []
    for article in articles:
        when = article_time(article)
        if article.fetched_at <= since or when > now or when < floor:
            continue
        if wanted and article.section not in wanted:
            continue
        chosen.append(article)
    return chosen


_TITLE_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """Titles that differ only in spacing and punctuation are the same story."""
    return _TITLE_NOISE.sub("", title).lower()


def merge_near_duplicates(articles: Sequence[Article]) -> list[tuple[Article, tuple[int, ...]]]:
    """Fold marked duplicates (duplicate_of) and same-title reprints into the earliest article."""
    by_id = {a.id: a for a in articles}
    groups: dict[int, list[int]] = {}
    leader_of_title: dict[str, int] = {}
    for article in sorted(articles, key=lambda a: (article_time(a), a.id)):
        root = article.duplicate_of if article.duplicate_of in by_id else None
        key = title_key(article.title)
        if root is None and key:
            root = leader_of_title.get(key)
        if root is None:
            groups[article.id] = []
            if key:
                leader_of_title[key] = article.id
        else:
            groups.setdefault(root, []).append(article.id)
    return [(by_id[leader], tuple(members)) for leader, members in groups.items()]


def keyword_hits(article: Article, keywords: Sequence[str], matcher: Matcher) -> tuple[str, ...]:
    return tuple(k for k in keywords if matcher(k, article.title, article.text))


def _figures(article: Article) -> tuple[Figure, ...]:
    if article.summary is None:
        return ()
    return article.summary.headline_figures or article.summary.figures[:MAX_FIGURES]


def score(article: Article, now: datetime, hits: int, keyword_count: int) -> float:
    age_hours = max(0.0, (now - article_time(article)).total_seconds() / 3600.0)
    recency = math.pow(0.5, age_hours / RECENCY_HALF_LIFE_HOURS)
    keywords = hits / keyword_count if keyword_count else 0.0
    figures = min(len(_figures(article)), MAX_FIGURES) / MAX_FIGURES
    return WEIGHT_RECENCY * recency + WEIGHT_KEYWORDS * keywords + WEIGHT_FIGURES * figures


def key_points(article: Article) -> tuple[str, ...]:
    """1-3 key points: the summary's, else the opening of the first paragraph."""
    if article.summary is not None and article.summary.key_points:
        return article.summary.key_points[:MAX_POINTS]
    for paragraph in article.paragraphs:
        sentences = split_sentences(paragraph.strip(), semicolons=False)
        if sentences:
            # A whole sentence or its leading clauses, never a cut glued with "…".
            return (keypoints.trim(sentences[0], FALLBACK_POINT_CHARS),)
    return ()


def figure_text(figure: Figure) -> str:
    if figure.label and figure.label not in figure.text:
        return f"{figure.label}{figure.text}"
    return figure.text


def build_digest(
    subscriber: Subscriber,
    articles: Iterable[Article],
    *,
    since: datetime,
    now: datetime,
    local_date: str,
    max_items: int,
    matcher: Matcher,
    window: timedelta = timedelta(hours=24),
) -> Digest:
    """The subscriber's digest for `local_date`: at most `max_items`, best first."""
    chosen = select_articles(articles, since, now, subscriber.sections, now - window)
    items = []
    for article, merged in merge_near_duplicates(chosen):
        hits = keyword_hits(article, subscriber.keywords, matcher)
        items.append(
            DigestItem(
                article_id=article.id,
                title=article.title.strip() or article.url,
                url=article.url,
                section=article.section,
                key_points=key_points(article),
                figures=tuple(figure_text(f) for f in _figures(article)[:MAX_FIGURES]),
                score=score(article, now, len(hits), len(subscriber.keywords)),
                keyword_hits=hits,
                merged_ids=merged,
            )
        )
    items.sort(key=lambda item: (-item.score, -item.article_id))
    return Digest(
        subscriber_id=subscriber.id,
        local_date=local_date,
        items=tuple(items[:max_items]),
        language=subscriber.language if subscriber.language in TEXTS else "zh",
        alerts_first=subscriber.alert_mode == "digest" and bool(subscriber.keywords),
    )


def grouped(digest: Digest) -> list[tuple[str, list[DigestItem]]]:
    """Groups in display order: keyword alerts first (if folded in), then sections by best item."""
    texts = TEXTS[digest.language]
    groups: dict[str, list[DigestItem]] = {}
    for item in digest.items:
        if digest.alerts_first and item.keyword_hits:
            name = texts["alerts"]
        else:
            name = item.section or texts["other"]
        groups.setdefault(name, []).append(item)
    return list(groups.items())


def _item_blocks(item: DigestItem, texts: dict[str, str]) -> list[Block]:
    spans = [Span(item.title, url=item.url)]
    if item.merged_ids:
        spans.append(Span(texts["also"].format(n=len(item.merged_ids))))
    blocks: list[Block] = [tuple(spans)]
    blocks.extend(text_block(f"• {point}") for point in item.key_points)
    if item.figures:
        blocks.append(text_block(texts["figures"] + " · ".join(item.figures)))
    return blocks


def digest_message(digest: Digest, empty_day: str = "skip") -> Message | None:
    """The neutral message for a digest; None for an empty day when the behaviour is 'skip'."""
    texts = TEXTS[digest.language]
    header = text_block(texts["title"].format(date=digest.local_date), bold=True)
    if digest.empty:
        return None if empty_day == "skip" else Message((header, text_block(texts["empty"])))
    blocks: list[Block] = [header, text_block(texts["count"].format(n=len(digest.items)))]
    for name, items in grouped(digest):
        blocks.append(text_block(f"【{name}】", bold=True))
        for item in items:
            blocks.extend(_item_blocks(item, texts))
    return Message(tuple(blocks), link_preview=False)


def alert_message(article: Article, hits: Sequence[str], language: str = "zh") -> Message:
    """A pushed keyword alert for one article."""
    label = "🔔 关键词" if language != "en" else "🔔 Keywords"
    item = DigestItem(
        article_id=article.id,
        title=article.title.strip() or article.url,
        url=article.url,
        section=article.section,
        key_points=key_points(article),
        figures=tuple(figure_text(f) for f in _figures(article)[:MAX_FIGURES]),
        score=0.0,
        keyword_hits=tuple(hits),
    )
    texts = TEXTS["en" if language == "en" else "zh"]
    separator = ": " if language == "en" else "："  # full-width after Chinese text
    header = text_block(f"{label}{separator}{'、'.join(hits)}", bold=True)
    return Message((header, *_item_blocks(item, texts)), link_preview=True)
