"""Admin-only commands (config telegram.admins; the console user is the local operator)."""

from __future__ import annotations

from newsbot.conversation.incoming import Response
from newsbot.conversation.services import Unavailable
from newsbot.conversation.turn import Turn


async def stats(turn: Turn, args: str) -> Response:
    counts = await turn.db(turn.services.newsroom.subscriber_counts)
    articles = await turn.services.article_count()
    text = turn.t(
        "stats.body",
        total=counts.total,
        active=counts.active,
        digest=counts.digest_enabled,
        keywords=counts.keywords,
        articles=articles,
    )
    channels = ", ".join(f"{name} {n}" for name, n in sorted(counts.by_channel.items()))
    return turn.say(text + (f"\n{channels}" if channels else ""))


async def broadcast(turn: Turn, args: str) -> Response:
    if not args.strip():
        return turn.say(turn.t("broadcast.usage"))
    try:
        queued = await turn.services.broadcast(args.strip())
    except Unavailable:
        return turn.say(turn.t("broadcast.unavailable"))
    return turn.say(turn.t("broadcast.queued", n=queued))
