"""/digest (today's digest now) and /latest (the newest articles)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from newsbot.conversation.incoming import Response
from newsbot.conversation.services import Unavailable
from newsbot.conversation.turn import Turn
from newsbot.core.models import Article
from newsbot.core.replies import Block, Message, Span, text_block

LATEST_COUNT = 5


async def digest(turn: Turn, args: str) -> Response:
    try:
        message = await turn.services.digest(turn.subscriber)
    except Unavailable:
        return turn.say(turn.t("digest.unavailable"))
    if message is None:
        return turn.say(turn.t("digest.empty"))
    return Response((message,))


async def latest(turn: Turn, args: str) -> Response:
    articles = await turn.services.latest(LATEST_COUNT)
    if not articles:
        return turn.say(turn.t("latest.empty"))
    blocks: list[Block] = [text_block(turn.t("latest.header"), bold=True)]
    for article in articles:
        blocks.extend(article_blocks(turn, article))
    return Response((Message(tuple(blocks)),))


def article_blocks(turn: Turn, article: Article) -> list[Block]:
    """Title (linked), section and date; the first key point when there is a summary."""
    when = article.published_at or article.fetched_at
    meta = " · ".join(p for p in (article.section, local_day(turn, when)) if p)
    title = (Span(article.title.strip() or article.url, url=article.url),)
    blocks: list[Block] = [(*title, Span(f"\n{meta}")) if meta else title]
    if article.summary and article.summary.key_points:
        blocks.append(text_block(f"• {article.summary.key_points[0]}"))
    return blocks


def local_day(turn: Turn, when: datetime) -> str:
    """The date in the subscriber's timezone."""
    try:
        zone = ZoneInfo(turn.subscriber.timezone)
    except (KeyError, ValueError):
        return when.date().isoformat()
    return when.astimezone(zone).date().isoformat()
