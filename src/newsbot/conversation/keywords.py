"""/keywords add|remove|list: the words that trigger alerts (several at once, capped).

A keyword is a search query (债务 -招聘, 债务|化债) matched by core.query.matches, the same
meaning as a search; one that can never match (only exclusions) is refused."""

from __future__ import annotations

from newsbot.conversation.incoming import Response
from newsbot.conversation.parsing import split_keywords
from newsbot.conversation.turn import Turn, listing
from newsbot.core.models import MAX_KEYWORD_CHARS
from newsbot.core.query import InvalidQuery, check_keyword

_ADD = {"add", "+", "添加", "增加"}
_REMOVE = {"remove", "rm", "del", "delete", "-", "删除"}
_LIST = {"list", "ls", "列表", "查看"}


async def keywords(turn: Turn, args: str) -> Response:
    verb, _, rest = args.partition(" ")
    verb = verb.strip().casefold()
    words = split_keywords(rest)
    if not verb or verb in _LIST:
        return await _list(turn)
    if verb not in _ADD | _REMOVE:
        return turn.say(turn.t("keywords.usage"))
    if not words:
        return turn.say(turn.t("keywords.none_given"), turn.t("keywords.usage"))
    if verb in _ADD:
        return await _add(turn, words)
    return await _remove(turn, words)


async def _list(turn: Turn) -> Response:
    words = turn.subscriber.keywords
    if not words:
        return turn.say(turn.t("keywords.empty"))
    limit = turn.services.newsroom.max_keywords
    return turn.say(turn.t("keywords.list", count=len(words), limit=limit, keywords=listing(words)))


async def _add(turn: Turn, words: list[str]) -> Response:
    refused = [word for word in words if not _can_match(word)]
    words = [word for word in words if word not in refused]
    lines = []
    if refused:
        lines.append(turn.t("keywords.never_matches", keywords=listing(refused)))
    if not words:
        return turn.say(*lines)
    change = await turn.db(turn.services.newsroom.add_keywords, turn.subscriber, words)
    limit = turn.services.newsroom.max_keywords
    if change.added:
        lines.append(turn.t("keywords.added", keywords=listing(change.added)))
    if change.existing:
        lines.append(turn.t("keywords.existing", keywords=listing(change.existing)))
    if change.over_limit:
        count = change.total
        lines.append(
            turn.t(
                "keywords.over_limit",
                limit=limit,
                count=count,
                n=len(change.over_limit),
                keywords=listing(change.over_limit),
            )
        )
    if change.too_long:
        lines.append(
            turn.t("keywords.too_long", limit=MAX_KEYWORD_CHARS, keywords=listing(change.too_long))
        )
    return turn.say(*lines)


def _can_match(keyword: str) -> bool:
    try:
        check_keyword(keyword)
    except InvalidQuery:
        return False
    return True


async def _remove(turn: Turn, words: list[str]) -> Response:
    removed, missing = await turn.db(turn.services.newsroom.remove_keywords, turn.subscriber, words)
    lines = []
    if removed:
        lines.append(turn.t("keywords.removed", keywords=listing(removed)))
    if missing:
        lines.append(turn.t("keywords.not_found", keywords=listing(missing)))
    return turn.say(*lines)
