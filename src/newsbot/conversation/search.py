"""/search QUERY (and plain text): one page of results with previous/next buttons.

Page buttons carry the query itself when it fits the signed callback data ("s:PAGE:QUERY");
a longer query is kept as the subscriber's last_query in the database and the button carries
a short hash of it ("S:PAGE:HASH"), so an old button for a different query is refused clearly.
A query that fits clears last_query (no hash button matches after it). last_query is written
only when it changes (most searches write nothing) and read with the turn's subscriber.
"""

from __future__ import annotations

import hashlib
import math

from newsbot.conversation.incoming import Response
from newsbot.conversation.reading import local_day
from newsbot.conversation.services import Unavailable
from newsbot.conversation.turn import Turn
from newsbot.core.query import SearchHit, SearchResults
from newsbot.core.replies import Block, Button, Message, Span, text_block
from newsbot.core.text import unquoted
from newsbot.errors import QueryError

MAX_PAGE = 1000


async def search(turn: Turn, args: str) -> Response:
    query = args.strip()
    if not query:
        return turn.say(turn.tw("error.empty"))
    limit = turn.services.settings.search.max_query_chars
    if len(query) > limit:
        return turn.say(turn.t("search.too_long", length=len(query), limit=limit))
    kept = None if turn.signer.fits(f"s:{MAX_PAGE}:{query}") else query
    if kept != turn.subscriber.last_query:  # written only when it changes: not on every search
        await turn.db(turn.services.newsroom.remember_query, turn.subscriber, kept)
    return await _page(turn, query, 1)


async def page_button(turn: Turn, payload: str) -> Response:
    """s:PAGE:QUERY or S:PAGE:HASH -> that page, replacing the message in place."""
    kind, _, rest = payload.partition(":")
    page_text, _, value = rest.partition(":")
    if not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE or not value:
        return Response(notice=turn.t("error.bad_callback"))
    query: str | None = value
    if kind == "S":
        query = turn.subscriber.last_query  # read with the subscriber, at this turn's start
        if query is None or _digest(query) != value:
            return Response(notice=turn.t("search.expired"))
    assert query is not None
    response = await _page(turn, query, int(page_text))
    return Response(response.messages, edit=True)


async def _page(turn: Turn, query: str, page: int) -> Response:
    try:
        results = await turn.services.search(query, page)
    except Unavailable:
        return turn.say(turn.t("search.unavailable"))
    except QueryError as exc:
        explain = getattr(exc, "message", None)
        return turn.say(explain(turn.lang) if callable(explain) else str(exc))
    if not results.hits:
        return turn.say(turn.t("search.none", query=unquoted(query)[:50]))
    return Response((results_message(turn, query, results),))


def results_message(turn: Turn, query: str, results: SearchResults) -> Message:
    pages = max(1, math.ceil(results.total / results.page_size))
    key = "search.header_capped" if results.total_capped else "search.header"
    shown = unquoted(query)[:50]  # the template quotes it once
    header = turn.t(key, query=shown, total=results.total, page=results.page, pages=pages)
    blocks: list[Block] = [text_block(header, bold=True)]
    blocks.extend(text_block(f"ℹ️ {note.message(turn.lang)}") for note in results.notes)
    first = (results.page - 1) * results.page_size + 1
    for number, hit in enumerate(results.hits, start=first):
        blocks.extend(_hit_blocks(turn, number, hit))
    return Message(tuple(blocks), buttons=_buttons(turn, query, results))


def _hit_blocks(turn: Turn, number: int, hit: SearchHit) -> list[Block]:
    title = hit.title.strip() or hit.url
    spans = [Span(f"{number}. ")]
    spans.extend(
        Span(text, url=hit.url, bold=bold) for text, bold in _marked(title, hit.title_spans)
    )
    when = local_day(turn, hit.published) if hit.published else ""
    meta = " · ".join(p for p in (hit.section, when) if p)
    if meta:
        spans.append(Span(f"\n{meta}"))
    blocks: list[Block] = [tuple(spans)]
    snippet = tuple(Span(text, bold=bold) for text, bold in hit.snippet.parts() if text)
    if snippet:
        blocks.append(snippet)
    return blocks


def _marked(text: str, marks: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    pieces, at = [], 0
    for start, end in marks:
        if start >= at and end <= len(text) and start < end:
            if start > at:
                pieces.append((text[at:start], False))
            pieces.append((text[start:end], True))
            at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def _buttons(turn: Turn, query: str, results: SearchResults) -> tuple[tuple[Button, ...], ...]:
    row = []
    if results.page > 1:
        row.append(turn.button(turn.t("search.prev"), _payload(turn, query, results.page - 1)))
    if results.has_more and results.page < MAX_PAGE:
        row.append(turn.button(turn.t("search.next"), _payload(turn, query, results.page + 1)))
    return (tuple(row),) if row else ()


def _payload(turn: Turn, query: str, page: int) -> str:
    inline = f"s:{page}:{query}"
    return inline if turn.signer.fits(inline) else f"S:{page}:{_digest(query)}"


def _digest(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:8]
