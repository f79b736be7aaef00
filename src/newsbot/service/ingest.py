"""Ingest: poll sources, fetch each new article page once, extract, summarize, store + index.

Restart safety: every article is committed on its own (row and index entry in one transaction),
keyed by a unique dedupe key, and a source's ETag / Last-Modified are saved only after all of its
items are stored. A process killed mid-poll therefore re-reads the listing on the next run, skips
what it already has and fetches the rest: nothing is lost, nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from newsbot.config import Settings, SourceSettings
from newsbot.core import dedupe
from newsbot.core.models import (
    ArticleDraft,
    ExtractedPage,
    FeedItem,
    KnownArticle,
    SourceState,
    Summary,
)
from newsbot.core.polling import PollPolicy, TimeBudget, next_poll_at
from newsbot.core.text import display_text
from newsbot.errors import (
    BodyTooLarge,
    FetchError,
    NewsbotError,
    OverBudget,
    ParseError,
    RetryLater,
    UrlRefused,
)
from newsbot.ports import (
    ArticleStore,
    Clock,
    Fetched,
    Listing,
    PageFetcher,
    SourceStore,
    Summarizer,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestParts:
    """The outside-world parts ingest uses, wired in app.build_newsroom."""

    open_fetcher: Callable[[], AbstractAsyncContextManager[PageFetcher]]
    list_items: Callable[[SourceSettings, Fetched], Listing]  # raises ParseError
    extract: Callable[[bytes, str, str | None], ExtractedPage]


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one poll of one source did."""

    key: str
    status: str  # ok, recovered, partial, not-modified, retry-later, http-NNN, fetch-error, ...
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None
    next_poll_at: datetime | None = None
    refused: int = 0  # links the URL policy refused (recorded in the source's last error)
    failures: int = 0  # failed polls in a row, this one included (0 after a success)
    failures_before: int = 0  # the same before this poll (a recovery: failures_before > 0)


@dataclass(frozen=True, slots=True)
class _ItemOutcome:
    outcome: str  # new, updated, unchanged, failed, refused, deferred (over the time budget)
    error: str | None = None


class Ingestor:
    """Polls the configured sources; one instance per Newsroom."""

    def __init__(
        self,
        settings: Settings,
        sources: SourceStore,
        articles: ArticleStore,
        clock: Clock,
        parts: IngestParts,
        *,
        summarizer: Summarizer | None = None,
        rand: Callable[[], float] = random.random,
        workers: int = 2,
    ) -> None:
        self.settings = settings
        self.sources = sources
        self.articles = articles
        self.clock = clock
        self.parts = parts
        self.summarizer = summarizer
        self.rand = rand
        self.configured = {s.key: s for s in settings.sources if s.enabled}
        polling = settings.polling
        self.policy = PollPolicy(
            interval_seconds=polling.interval_seconds,
            backoff_base_seconds=polling.backoff_base_seconds,
            backoff_max_seconds=polling.backoff_max_seconds,
            jitter=polling.jitter,
        )
        self._synced = False
        # Extraction, summaries and storage are CPU-bound Python: more threads than cores only
        # add GIL contention (measured in benchmarks/bench_poll.py, see docs/ingest.md).
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")

    def sync_sources(self) -> None:
        """Bring the sources table in line with the configuration (idempotent)."""
        self.sources.sync(list(self.configured.values()))
        self._synced = True

    async def due_keys(self) -> list[str]:
        """Keys of the enabled sources whose next poll time has come."""
        await self._ensure_synced()
        due = await asyncio.to_thread(self.sources.due, self.clock.now(), list(self.configured))
        return [s.key for s in due]

    async def poll_due(self) -> list[SourceReport]:
        return await self.poll(await self.due_keys())

    async def poll_all(self) -> list[SourceReport]:
        return await self.poll(list(self.configured))

    async def poll_source(self, key: str) -> SourceReport:
        if key not in self.configured:
            raise NewsbotError(f"no enabled source {key!r} in the configuration")
        return (await self.poll([key]))[0]

    async def next_due_at(self) -> datetime | None:
        await self._ensure_synced()
        return await asyncio.to_thread(self.sources.next_due_at, list(self.configured))

    async def poll(
        self, keys: Sequence[str], progress: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        """Poll `keys` concurrently under one fetcher (so the per-host caps hold across them)."""
        await self._ensure_synced()
        with self.articles.held_open():
            return await self._poll_with_fetcher(keys, progress)

    async def _poll_with_fetcher(
        self, keys: Sequence[str], progress: Callable[[SourceReport], None] | None
    ) -> list[SourceReport]:
        async with self.parts.open_fetcher() as fetcher:

            async def one(key: str) -> SourceReport:
                report = await self._poll_guarded(fetcher, key)
                if progress is not None:
                    progress(report)
                return report

            tasks = {key: asyncio.create_task(one(key)) for key in keys}
            deadline = self.settings.polling.poll_deadline_seconds
            _, late = await asyncio.wait(tasks.values(), timeout=deadline) if tasks else ((), ())
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            return [await self._report_of(key, task, progress) for key, task in tasks.items()]

    async def _report_of(
        self,
        key: str,
        task: asyncio.Task[SourceReport],
        progress: Callable[[SourceReport], None] | None,
    ) -> SourceReport:
        """A finished source's report; a source cut by the poll deadline is recorded as such
        (what it stored stays stored; its validators are kept, so the next poll resumes)."""
        if not task.cancelled():
            return task.result()
        deadline = self.settings.polling.poll_deadline_seconds
        report = await self._fail(
            key, "deadline", f"poll deadline of {deadline:g}s reached; continued next poll", None
        )
        if progress is not None:
            progress(report)
        return report

    async def _ensure_synced(self) -> None:
        if not self._synced:
            await asyncio.to_thread(self.sync_sources)

    async def _poll_guarded(self, fetcher: PageFetcher, key: str) -> SourceReport:
        """The top of one source's job: nothing it raises may stop the other sources."""
        try:
            return await self._poll_source(fetcher, key)
        except Exception as exc:
            log.exception("poll of source %s failed", key)
            error = f"{type(exc).__name__}: {exc}"
            try:
                return await self._fail(key, "error", error, None)
            except Exception:
                return SourceReport(key=key, status="error", error=error)

    async def _poll_source(self, fetcher: PageFetcher, key: str) -> SourceReport:
        config = self.configured[key]
        state = await asyncio.to_thread(self.sources.get, key)
        if state is None:
            raise NewsbotError(f"source {key!r} is not in the sources table")
        report = await self._poll_known(fetcher, key, config, state)
        return dataclasses.replace(report, failures_before=state.failures)

    async def _poll_known(
        self, fetcher: PageFetcher, key: str, config: SourceSettings, state: SourceState
    ) -> SourceReport:
        budget = TimeBudget(self.settings.polling.source_budget_seconds)
        try:
            fetched = await fetcher.fetch(
                config.url,
                etag=state.etag,
                last_modified=state.last_modified,
                source_url=config.url,
                budget=budget,
            )
        except RetryLater as exc:
            return await self._fail(key, "retry-later", str(exc), exc.retry_after, state)
        except BodyTooLarge as exc:
            return await self._fail(key, "too-large", str(exc), None, state)
        except FetchError as exc:
            status = f"http-{exc.status}" if exc.status else "fetch-error"
            return await self._fail(key, status, str(exc), None, state)
        if fetched.not_modified:
            return await self._not_modified(key, fetched, config)
        try:
            listing = await asyncio.to_thread(self.parts.list_items, config, fetched)
        except ParseError as exc:
            return await self._fail(key, "parse-error", str(exc), None, state)
        return await self._ingest_listing(fetcher, config, state, fetched, listing, budget)

    async def _ingest_listing(
        self,
        fetcher: PageFetcher,
        config: SourceSettings,
        state: SourceState,
        fetched: Fetched,
        listing: Listing,
        budget: TimeBudget,
    ) -> SourceReport:
        work = _unique_by_key(listing.items[: self.settings.polling.max_articles_per_poll])
        known = await asyncio.to_thread(self.articles.known, [key for key, _ in work])
        if config.section and known:
            # A story first seen in a section-less feed belongs to the section that lists it.
            await asyncio.to_thread(self.articles.adopt_section, list(known), config.section)
        todo = [(key, item) for key, item in work if self._needs_fetch(item, known.get(key))]
        outcomes = await asyncio.gather(
            *(self._ingest_item(fetcher, config, state.id, key, item, budget) for key, item in todo)
        )
        counts = {
            name: sum(o.outcome == name for o in outcomes)
            for name in ("new", "updated", "failed", "refused", "deferred")
        }
        unchanged = len(work) - sum(counts.values())
        errors = [o.error for o in outcomes if o.error and o.outcome in ("failed", "deferred")]
        refusals = [o.error for o in outcomes if o.error and o.outcome == "refused"]
        status = "partial" if errors else ("recovered" if listing.note else "ok")
        error = errors[0] if errors else listing.note
        if counts["deferred"]:  # the source's time budget ran out: the rest waits for next time
            error = (
                f"time budget of {budget.seconds:g}s used up; {counts['deferred']} link(s) left "
                f"for the next poll; first error: {error}"
            )
        if refusals:  # recorded, not retried as failures: the link will not become safe
            note = f"{len(refusals)} link(s) refused, e.g. {refusals[0]}"
            error = f"{error}; {note}" if error else note
        now = self.clock.now()
        when = self._next_poll(now, fetched, config)
        await asyncio.to_thread(
            self.sources.record_success,
            config.key,
            status=status,
            polled_at=now,
            next_poll_at=when,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            keep_validators=bool(errors),  # unstored items must be seen again next time
            error=error,
        )
        return SourceReport(
            config.key,
            status,
            counts["new"],
            counts["updated"],
            unchanged,
            counts["failed"] + counts["deferred"],
            error,
            when,
            counts["refused"],
        )

    def _needs_fetch(self, item: FeedItem, known: KnownArticle | None) -> bool:
        """New items are fetched; a known one only when its listed title changed (a real
        update is likely) and it still has updates left. Everything else is fetched once."""
        if known is None:
            return True
        if known.update_count >= self.settings.polling.max_updates_per_article or not item.title:
            return False
        return dedupe.normalize_text(item.title) != dedupe.normalize_text(known.listed_title)

    async def _ingest_item(
        self,
        fetcher: PageFetcher,
        config: SourceSettings,
        source_id: int,
        key: str,
        item: FeedItem,
        budget: TimeBudget,
    ) -> _ItemOutcome:
        try:
            page = await fetcher.fetch(item.url, source_url=config.url, budget=budget)
        except OverBudget as exc:
            return _ItemOutcome("deferred", str(exc))
        except UrlRefused as exc:
            log.info("source %s: link %s", config.key, exc)
            return _ItemOutcome("refused", str(exc))
        except FetchError as exc:
            return _ItemOutcome("failed", str(exc))
        try:
            loop = asyncio.get_running_loop()
            store = functools.partial(self._store_page, config, source_id, key, item, page)
            return await loop.run_in_executor(self._workers, store)
        except (
            Exception
        ) as exc:  # one bad page (extractor bug, storage hiccup) must not stop the rest
            log.warning("article %s not stored: %s", item.url, exc)
            return _ItemOutcome("failed", f"{item.url}: {type(exc).__name__}: {exc}")

    def _store_page(
        self, config: SourceSettings, source_id: int, key: str, item: FeedItem, page: Fetched
    ) -> _ItemOutcome:
        extracted = self.parts.extract(page.body, page.url, page.content_type)
        # Chinese typography once, here, for everything a reader sees (core.text.display_text).
        title = display_text(extracted.title or item.title)
        raw = extracted.paragraphs or ((item.summary,) if item.summary else ())
        paragraphs = tuple(display_text(p) for p in raw)
        draft = ArticleDraft(
            source_id=source_id,
            section=config.section or self._section_named(item.category),
            dedupe_key=key,
            url=item.url,
            guid=item.guid,
            title=title,
            text="\n".join(paragraphs),
            byline=extracted.byline,
            lead_image=extracted.lead_image,
            published_at=extracted.published or item.published,
            summary=self._summarize(title, paragraphs),
            listed_title=item.title,
        )
        outcome, _ = self.articles.save(draft, self.clock.now())
        return _ItemOutcome(outcome)

    def _section_named(self, category: str) -> str:
        """A feed item's <category> is its section when it names a configured one."""
        sections = {s.section for s in self.settings.sources if s.section}
        return category.strip() if category.strip() in sections else ""

    def _summarize(self, title: str, paragraphs: Sequence[str]) -> Summary | None:
        if self.summarizer is None or not paragraphs:
            return None
        try:
            return self.summarizer.summarize(title, paragraphs)
        except Exception as exc:  # the article is worth keeping without its summary
            log.warning("summary of %r failed: %s", title, exc)
            return None

    def _next_poll(self, now: datetime, fetched: Fetched, config: SourceSettings) -> datetime:
        """After an answer from the origin: its max-age, else the source's interval (jittered)."""
        return next_poll_at(
            now,
            self.policy,
            max_age=fetched.max_age,
            interval=config.interval_seconds,
            rand=self.rand,
        )

    async def _not_modified(
        self, key: str, fetched: Fetched, config: SourceSettings
    ) -> SourceReport:
        now = self.clock.now()
        when = self._next_poll(now, fetched, config)
        await asyncio.to_thread(
            self.sources.record_not_modified, key, polled_at=now, next_poll_at=when
        )
        return SourceReport(key, "not-modified", next_poll_at=when)

    async def _fail(
        self,
        key: str,
        status: str,
        error: str,
        retry_after: float | None,
        state: SourceState | None = None,
    ) -> SourceReport:
        if state is None:
            state = await asyncio.to_thread(self.sources.get, key)
        failures = (state.failures if state else 0) + 1
        now = self.clock.now()
        when = next_poll_at(
            now, self.policy, failures=failures, retry_after=retry_after, rand=self.rand
        )
        await asyncio.to_thread(
            self.sources.record_failure,
            key,
            status=status,
            error=error,
            polled_at=now,
            next_poll_at=when,
            failures=failures,
        )
        return SourceReport(key, status, error=error, next_poll_at=when, failures=failures)


def _unique_by_key(items: Sequence[FeedItem]) -> list[tuple[str, FeedItem]]:
    seen: set[str] = set()
    result: list[tuple[str, FeedItem]] = []
    for item in items:
        key = dedupe.dedupe_key(item.url, item.guid)
        if key not in seen:
            seen.add(key)
            result.append((key, item))
    return result
