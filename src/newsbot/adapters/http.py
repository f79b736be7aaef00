"""The one way newsbot fetches anything: a polite async Fetcher over httpx.AsyncClient.

Politeness and safety, in one place:
- conditional GET: the stored ETag / Last-Modified are echoed verbatim (If-None-Match /
  If-Modified-Since); a 304 comes back as a FetchResult with not_modified=True;
- Retry-After (seconds or HTTP-date) on 429/503 becomes errors.RetryLater(retry_after=...);
  Cache-Control max-age is returned as data, the scheduler decides what to do with it;
- at most `per_host_concurrency` requests per host and `global_concurrency` in all;
- connect/read timeouts, plus a total deadline per request so a slow-drip body cannot hold a
  slot forever (the deadline starts when the request gets its slot, not while it queues);
- a request still running after `straggler_seconds` gives its global slot to the next one (it
  keeps its per-host slot and its deadline): twenty slow origins cannot starve the healthy ones;
- a per-source TimeBudget (core.polling) charged with each request's running time: once spent,
  the source's further requests fail with errors.OverBudget and its running ones are cut;
- redirects followed by hand: a limit and loop detection;
- the body is streamed and aborted past `max_body_bytes` (errors.BodyTooLarge), counted after
  gzip decoding so a compressed bomb is caught too;
- file:// URLs and local paths, for the offline demo and tests;
- the URL policy (adapters.urlpolicy): a link or a redirect reaches public addresses only, the
  connection goes to the address that was checked, and only the configured source's own origin
  may be private; refusals are errors.UrlRefused with the reason;
- a proxy from `polling.proxy`, else the environment (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY).

Every httpx error is translated into newsbot.errors (FetchError and subclasses).
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies_environment, url2pathname

import httpx

from newsbot.adapters.urlpolicy import (
    AddressRefused,
    GuardedTransport,
    UrlPolicy,
    origin_of,
    same_origin,
    trusting,
)
from newsbot.config import PollingSettings
from newsbot.core.polling import TimeBudget
from newsbot.errors import BodyTooLarge, FetchError, OverBudget, RetryLater, UrlRefused
from newsbot.ports import Clock, SystemClock

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched resource (or a 304), with what the scheduler and the parsers need."""

    url: str  # the final URL, after redirects
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    etag: str | None = None
    last_modified: str | None = None
    max_age: float | None = None
    elapsed_ms: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def is_local(url: str) -> bool:
    """A file:// URL or a plain filesystem path (no scheme)."""
    return url.startswith("file://") or "://" not in url


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP-date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(cache_control: str | None) -> float | None:
    """max-age of a Cache-Control header; None when absent or when caching is refused."""
    if not cache_control:
        return None
    directives = [part.strip().lower() for part in cache_control.split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age" and value.strip().strip('"').isdigit():
            return float(value.strip().strip('"'))
    return None


class Fetcher:
    """Polite HTTP(S) and local-file fetching; use as `async with Fetcher(settings) as f:`."""

    def __init__(
        self,
        settings: PollingSettings,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: UrlPolicy | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.policy = policy or UrlPolicy.from_settings(
            settings.allow_private_networks, settings.private_allowlist
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=None,  # queueing is bounded by our own semaphores and deadline
        )
        # No cap on connections in httpx itself: our semaphores bound the work, and stragglers
        # that gave back their global slot must not make a healthy request wait in httpx's pool.
        limits = httpx.Limits(
            max_connections=None,
            max_keepalive_connections=settings.global_concurrency,
        )
        self._client = httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent},
            transport=transport or GuardedTransport(self.policy, limits),
            mounts=proxy_mounts(settings, limits, os.environ if environ is None else environ),
            trust_env=False,
        )
        self._global = asyncio.Semaphore(settings.global_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        source_url: str | None = None,
        budget: TimeBudget | None = None,
    ) -> FetchResult:
        """GET `url` (or read the local file), following redirects; raise FetchError & co.

        `source_url` is the operator's configured URL this fetch belongs to: its origin may be a
        private address (an intranet feed); everything else must be public (adapters.urlpolicy).
        `budget` is the source's time budget for this poll, shared by all its requests.
        """
        if is_local(url):
            return await asyncio.to_thread(self._read_local, url, last_modified)
        started = time.perf_counter()
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen: set[str] = set()
        current = url
        spent = 0.0
        for _hop in range(self.settings.max_redirects + 1):
            seen.add(current)
            hop_started = time.perf_counter()
            deadline = self.settings.total_timeout - spent
            outcome = await self._one_hop(current, headers, deadline, source_url, budget)
            spent += time.perf_counter() - hop_started
            if isinstance(outcome, FetchResult):
                elapsed = (time.perf_counter() - started) * 1000
                return _with_elapsed(outcome, elapsed)
            current = outcome
            if current in seen:
                raise FetchError(url, f"redirect loop at {current}")
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return slot

    async def _one_hop(
        self,
        url: str,
        headers: dict[str, str],
        deadline: float,
        source_url: str | None,
        budget: TimeBudget | None,
    ) -> FetchResult | str:
        """One request: a FetchResult, or the next URL of a redirect."""
        if deadline <= 0:
            raise FetchError(url, f"total deadline of {self.settings.total_timeout:g}s exceeded")
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL: {exc}") from None
        trusted = origin_of(parsed) if same_origin(parsed, source_url) else None
        with trusting(trusted):
            try:
                await self.policy.check(parsed)
                return await self._guarded_hop(url, headers, deadline, budget)
            except AddressRefused as exc:
                raise UrlRefused(url, exc.reason) from None

    async def _guarded_hop(
        self, url: str, headers: dict[str, str], deadline: float, budget: TimeBudget | None
    ) -> FetchResult | str:
        async with self._host_slot(url):
            clock = time.perf_counter
            if budget is not None and budget.exhausted(clock()):
                raise OverBudget(url, f"source time budget of {budget.seconds:g}s used up")
            limit = deadline if budget is None else min(deadline, budget.remaining(clock()))
            ticket = budget.begin(clock()) if budget is not None else 0
            try:
                async with asyncio.timeout(limit):
                    return await self._request_in_global_slot(url, headers)
            except TimeoutError:
                if budget is not None and limit < deadline:
                    raise OverBudget(
                        url, f"source time budget of {budget.seconds:g}s used up"
                    ) from None
                raise FetchError(
                    url, f"total deadline of {self.settings.total_timeout:g}s exceeded"
                ) from None
            except httpx.TimeoutException as exc:
                raise FetchError(url, f"timed out ({type(exc).__name__})") from None
            except httpx.InvalidURL as exc:
                raise FetchError(url, f"invalid URL: {exc}") from None
            except httpx.HTTPError as exc:
                raise FetchError(url, f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
            finally:
                if budget is not None:
                    budget.end(ticket, clock())

    async def _request_in_global_slot(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        """The request under a global slot that a straggler gives back after
        `straggler_seconds`: the cap is for work in progress, not for waiting on a slow drip."""
        async with self._global_slot() as slot:
            request = asyncio.ensure_future(self._request(url, headers))
            try:
                done, _ = await asyncio.wait({request}, timeout=self.settings.straggler_seconds)
                if not done:
                    slot.release()
                return await request
            finally:
                if not request.done():
                    request.cancel()
                    with contextlib.suppress(BaseException):
                        await request

    @contextlib.asynccontextmanager
    async def _global_slot(self) -> AsyncIterator[_Slot]:
        await self._global.acquire()
        slot = _Slot(self._global)
        try:
            yield slot
        finally:
            slot.release()

    async def _request(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(url, f"HTTP {status} without Location", status)
                return str(urljoin(url, location.strip()))
            self._raise_for_status(url, response)
            body = b"" if status == 304 else await self._read_capped(url, response)
            return _result(str(response.url), status, body, response.headers)

    def _raise_for_status(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400 or status == 304:
            return
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
        if status == 429 or (status == 503 and retry_after is not None):
            wait = retry_after if retry_after is not None else self.settings.backoff_base_seconds
            raise RetryLater(url, f"HTTP {status}, retry after {wait:g}s", wait, status)
        raise FetchError(url, f"HTTP {status}", status)

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        cap = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(url, f"body of {declared} bytes is over the {cap}-byte cap", 200)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise BodyTooLarge(url, f"body passed the {cap}-byte cap; download aborted", 200)
            chunks.append(chunk)
        return b"".join(chunks)

    def _read_local(self, url: str, last_modified: str | None) -> FetchResult:
        path = Path(url2pathname(urlsplit(url).path)) if url.startswith("file://") else Path(url)
        try:
            stat = path.stat()
            if stat.st_size > self.settings.max_body_bytes:
                raise BodyTooLarge(url, f"file of {stat.st_size} bytes is over the cap")
            stamp = formatdate(stat.st_mtime, usegmt=True)
            if last_modified == stamp:
                return FetchResult(url=url, status=304, last_modified=stamp)
            body = path.read_bytes()
        except OSError as exc:
            raise FetchError(url, f"cannot read {path}: {exc.strerror or exc}") from None
        kind, _ = mimetypes.guess_type(path.name)
        headers = {"content-type": kind} if kind else {}
        return FetchResult(url=url, status=200, body=body, headers=headers, last_modified=stamp)


class _Slot:
    """A held semaphore slot that can be given back early, once."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore: asyncio.Semaphore | None = semaphore

    def release(self) -> None:
        if self._semaphore is not None:
            self._semaphore.release()
            self._semaphore = None


def proxy_mounts(
    settings: PollingSettings, limits: httpx.Limits, environ: Mapping[str, str]
) -> dict[str, httpx.AsyncBaseTransport | None]:
    """Transports for proxied schemes: `polling.proxy` for both, else the environment's.

    Through a proxy the proxy connects, so the policy checks the name we resolve but cannot pin
    the address it connects to; NO_PROXY hosts go direct (through the guarded transport).
    """
    found = getproxies_environment() if environ is os.environ else _proxies_from(environ)
    http_proxy = settings.proxy or found.get("http") or found.get("all")
    https_proxy = settings.proxy or found.get("https") or found.get("all")
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for scheme, proxy in (("http://", http_proxy), ("https://", https_proxy)):
        if proxy:
            mounts[scheme] = httpx.AsyncHTTPTransport(proxy=proxy, limits=limits, trust_env=False)
    if mounts and not settings.proxy:
        for host in filter(None, (h.strip() for h in found.get("no", "").split(","))):
            if host == "*":
                return {}
            mounts[f"all://*{host.lstrip('*')}"] = None  # None: the client's own transport
    return mounts


def _proxies_from(environ: Mapping[str, str]) -> dict[str, str]:
    """getproxies_environment() over a given mapping (lower-case names win, as curl does)."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        lowered = name.lower()
        if value and lowered.endswith("_proxy") and (name == lowered or lowered[:-6] not in found):
            found[lowered[:-6]] = value
    return found


def _result(url: str, status: int, body: bytes, headers: httpx.Headers) -> FetchResult:
    plain = {name.lower(): value for name, value in headers.items()}
    return FetchResult(
        url=url,
        status=status,
        body=body,
        headers=plain,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        max_age=parse_max_age(headers.get("cache-control")),
    )


def _with_elapsed(result: FetchResult, elapsed_ms: float) -> FetchResult:
    return FetchResult(
        url=result.url,
        status=result.status,
        body=result.body,
        headers=result.headers,
        etag=result.etag,
        last_modified=result.last_modified,
        max_age=result.max_age,
        elapsed_ms=elapsed_ms,
    )
