"""`newsbot poll | extract | articles | sources`: ingest from the command line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from newsbot.adapters.http import Fetcher
from newsbot.adapters.sources import PageExtractor
from newsbot.app import build_newsroom
from newsbot.cli import CliState, pass_state
from newsbot.errors import NewsbotError
from newsbot.service import Newsroom
from newsbot.service.ingest import SourceReport


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll once and exit (default: loop on the schedule).")
@click.option(
    "--all", "poll_all", is_flag=True, help="Poll every source now, ignoring the schedule."
)
@pass_state
def poll(state: CliState, once: bool, poll_all: bool) -> None:
    """Poll the sources: new / updated / unchanged / failed per source."""
    newsroom = build_newsroom(state.settings)
    if once:
        reports = asyncio.run(_poll_once(newsroom, poll_all))
        _print_reports(reports)
        if reports and all(r.status not in _OK for r in reports):
            sys.exit(1)
        return
    asyncio.run(_poll_forever(newsroom, state.settings.scheduler.poll_tick_seconds, poll_all))


_OK = frozenset({"ok", "recovered", "partial", "not-modified"})


async def _poll_once(newsroom: Newsroom, poll_all: bool) -> list[SourceReport]:
    keys = await (newsroom.all_source_keys() if poll_all else newsroom.due_source_keys())
    if not keys:
        when = await newsroom.next_poll_at()
        click.echo(f"no source is due; next poll at {_when(when)}")
        return []
    bar: AbstractContextManager[Any] = nullcontext()
    if sys.stdout.isatty():  # a progress bar only for a person watching, never in logs or pipes
        bar = click.progressbar(length=len(keys), label="polling", file=sys.stderr)
    with bar as progress:
        advance: Callable[[SourceReport], None] | None = None
        if progress is not None:
            advance = lambda _report: progress.update(1)  # noqa: E731
        return await newsroom.poll_sources(keys, advance)


async def _poll_forever(newsroom: Newsroom, tick: int, poll_all: bool) -> None:
    """Poll what is due, sleep until the next source is due (at most `tick`), until a signal.
    A signal cancels a running poll: each article is committed on its own, so that is safe."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    first = True
    while not stop.is_set():
        task = asyncio.create_task(_poll_once(newsroom, poll_all and first))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not task.done():
            task.cancel()
            break
        _print_reports(task.result())
        first = False
        when = await newsroom.next_poll_at()
        delay = tick if when is None else (when - newsroom.clock.now()).total_seconds()
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(max(delay, 1.0), tick))
    click.echo("stopped", err=True)


def _print_reports(reports: Sequence[SourceReport]) -> None:
    for r in sorted(reports, key=lambda r: r.key):
        line = (
            f"{r.key:<24} {r.status:<13} new={r.new} updated={r.updated} "
            f"unchanged={r.unchanged} failed={r.failed}"
        )
        if r.refused:
            line += f" refused={r.refused}"

        if r.error:
            line += f"  error: {r.error[:200]}"
        click.echo(line)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


@click.command("extract")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input, one per line.")
@click.argument("inputs", nargs=-1, required=True)
@pass_state
def extract(state: CliState, as_json: bool, inputs: tuple[str, ...]) -> None:
    """Fetch (URL) or read (path) pages and print what extraction finds in them."""
    results = asyncio.run(_extract_all(state, inputs))
    for result in results:
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        elif "error" in result:
            click.echo(f"== {result['url']}\nerror: {result['error']}\n")
        else:
            click.echo(f"== {result['url']}\n{result['title']}\n{result['published'] or '-'}")
            click.echo(f"{result['text']}\n({result['elapsed_ms']} ms)\n")
    if any("error" in r for r in results):
        sys.exit(1)


async def _extract_all(state: CliState, inputs: Sequence[str]) -> list[dict[str, Any]]:
    settings = state.settings
    extractor = PageExtractor(settings.extraction)
    async with Fetcher(settings.polling) as fetcher:

        async def one(url: str) -> dict[str, Any]:
            started = time.perf_counter()
            try:
                fetched = await fetcher.fetch(url, source_url=url)  # typed by the operator
                page = await asyncio.to_thread(
                    extractor, fetched.body, fetched.url, fetched.content_type
                )
            except NewsbotError as exc:
                return {"url": url, "error": str(exc)}
            return {
                "url": page.url,
                "title": page.title,
                "published": page.published.isoformat() if page.published else None,
                "text": page.text,
                "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
            }

        return list(await asyncio.gather(*(one(url) for url in inputs)))


@click.command("articles")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@pass_state
def articles(state: CliState, limit: int) -> None:
    """The newest stored articles."""
    newsroom = build_newsroom(state.settings)
    zone = _display_zone(state.settings.delivery.default_timezone)
    for article in newsroom.latest_articles(limit):
        when = _local(article.published_at or article.fetched_at, zone)
        mark = f" (duplicate of {article.duplicate_of})" if article.duplicate_of else ""
        click.echo(
            f"{article.id:>6}  {when:%Y-%m-%d %H:%M%z}  {article.source_key:<16} "
            f"{article.title}{mark}"
        )
        click.echo(f"        {article.url}")


def _display_zone(name: str) -> tzinfo:
    """The configured default timezone (delivery.default_timezone), else UTC: times printed
    for a person are in their zone, and the zone is always printed with them."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local(value: datetime, zone: tzinfo) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone)


@click.command("sources")
@pass_state
def sources(state: CliState) -> None:
    """Each source with its last status, last error, next poll time and article count."""
    newsroom = build_newsroom(state.settings)
    header = f"{'key':<20} {'kind':<5} {'status':<13} {'articles':>8}  {'next poll':<23} last error"
    click.echo(header)
    for s in newsroom.source_states():
        error = (s.last_error or "")[:120]
        click.echo(
            f"{s.key:<20} {s.kind:<5} {s.last_status or 'never':<13} {s.article_count:>8}  "
            f"{_when(s.next_poll_at):<23} {error}"
        )


COMMANDS = [poll, extract, articles, sources]
