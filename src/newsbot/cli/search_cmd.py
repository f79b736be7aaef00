"""`newsbot search [--json] [--limit N] [--page N] QUERY...` and `newsbot search --reindex`."""

from __future__ import annotations

import json
from typing import Any

import click

from newsbot.cli import CliState, pass_state
from newsbot.core.query import SearchHit, SearchResults
from newsbot.core.query_text import Snippet


@click.command(
    "search",
    context_settings={"ignore_unknown_options": True},  # so that -word (exclude) reaches us
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--limit", type=click.IntRange(1, 50), default=None, help="Results per page.")
@click.option("--page", type=click.IntRange(1, 10_000), default=1, help="Page number.")
@click.option("--reindex", is_flag=True, help="Rebuild the search index, then exit.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Language of notes.")
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
@pass_state
def search(
    state: CliState,
    as_json: bool,
    limit: int | None,
    page: int,
    reindex: bool,
    lang: str,
    words: tuple[str, ...],
) -> None:
    """Search the archive: words (all must match), "phrases", -excluded, section:X, source:KEY,
    since:7d. Example: newsbot search 高新区 债务 since:30d"""
    from newsbot.app import build_newsroom

    newsroom = build_newsroom(state.settings)
    if reindex:
        done = newsroom.reindex_search(progress=lambda n: click.echo(f"  {n} articles", err=True))
        click.echo(f"search index rebuilt: {done} articles")
        return
    if not words:
        raise click.UsageError("give a QUERY (or --reindex)")
    results = newsroom.search(" ".join(words), page=page, page_size=limit)
    if as_json:
        click.echo(json.dumps(results_as_dict(results), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(results, lang))


def results_as_dict(results: SearchResults) -> dict[str, Any]:
    return {
        "page": results.page,
        "page_size": results.page_size,
        "total": results.total,
        "total_capped": results.total_capped,
        "has_more": results.has_more,
        "notes": [note.message("en") for note in results.notes],
        "hits": [_hit_dict(hit) for hit in results.hits],
    }


def _hit_dict(hit: SearchHit) -> dict[str, Any]:
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "url": hit.url,
        "section": hit.section,
        "source": hit.source_key,
        "published": hit.published.isoformat() if hit.published else None,
        "score": round(hit.score, 6),
        "snippet": hit.snippet.text,
        "snippet_spans": [list(span) for span in hit.snippet.spans],
        "title_spans": [list(span) for span in hit.title_spans],
    }


def _marked(snippet: Snippet) -> str:
    return "".join(
        click.style(piece, bold=True, fg="yellow") if hit else piece
        for piece, hit in snippet.parts()
    )


def render_text(results: SearchResults, lang: str = "zh") -> str:
    lines = [f"({note.message(lang)})" for note in results.notes]
    more = "+" if results.total_capped else ""
    lines.append(f"{results.total}{more} found, page {results.page}")
    first = (results.page - 1) * results.page_size + 1
    for number, hit in enumerate(results.hits, start=first):
        date = hit.published.strftime("%Y-%m-%d") if hit.published else "----------"
        title = _marked(Snippet(hit.title, hit.title_spans))
        lines.append(f"{number:>3}. [{hit.section or hit.source_key}] {title}  {date}")
        lines.append(f"     {_marked(hit.snippet)}")
        lines.append(f"     {hit.url}")
    return "\n".join(lines)


COMMANDS = [search]
