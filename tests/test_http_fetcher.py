"""The Fetcher against a real origin on 127.0.0.1: politeness, caps, deadlines, translation."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakes.origin import Origin, Reply, http_date
from newsbot.adapters.http import Fetcher, parse_max_age, parse_retry_after
from newsbot.config import PollingSettings
from newsbot.errors import BodyTooLarge, FetchError, RetryLater


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as server:
        yield server


def settings(**overrides: object) -> PollingSettings:
    base: dict[str, object] = {"total_timeout": 5.0, "read_timeout": 5.0, "connect_timeout": 2.0}
    return PollingSettings.model_validate(base | overrides)


async def fetch(url: str, polling: PollingSettings | None = None, **kwargs: str | None):  # type: ignore[no-untyped-def]
    async with Fetcher(polling or settings()) as fetcher:
        return await fetcher.fetch(url, source_url=url, **kwargs)


async def test_conditional_get_echoes_validators_verbatim(origin: Origin) -> None:
    last_modified = "Wed, 06 Jul 2022 02:10:33 GMT"
    url = origin.route(
        "/feed", Reply(body=b"<rss/>", etag='W/"a b:1"', last_modified=last_modified)
    )
    first = await fetch(url)
    assert (first.status, first.etag, first.last_modified) == (200, 'W/"a b:1"', last_modified)
    second = await fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = origin.requested("/feed")[-1]
    assert sent["if-none-match"] == 'W/"a b:1"'
    assert sent["if-modified-since"] == last_modified


async def test_retry_after_seconds_and_http_date(origin: Origin) -> None:
    seconds = origin.route("/busy", Reply(status=429, headers={"Retry-After": "120"}))
    dated = origin.route("/later", Reply(status=503, headers={"Retry-After": http_date(600)}))
    with pytest.raises(RetryLater) as first:
        await fetch(seconds)
    assert first.value.retry_after == 120 and first.value.status == 429
    with pytest.raises(RetryLater) as second:
        await fetch(dated)
    assert 590 <= second.value.retry_after <= 601 and second.value.status == 503


async def test_server_errors_become_fetch_errors(origin: Origin) -> None:
    url = origin.route("/broken", Reply(status=500, body=b"oops"))
    with pytest.raises(FetchError) as error:
        await fetch(url)
    assert error.value.status == 500 and not isinstance(error.value, RetryLater)


async def test_redirect_chain_is_followed_to_the_final_url(origin: Origin) -> None:
    origin.route("/r1", Reply(status=301, headers={"Location": "/r2"}))
    origin.route("/r2", Reply(status=302, headers={"Location": origin.url("/r3")}))
    origin.route("/r3", Reply(status=307, headers={"Location": "final"}))
    origin.route("/final", Reply(body=b"done"))
    result = await fetch(origin.url("/r1"))
    assert result.url == origin.url("/final") and result.body == b"done"


async def test_redirect_loop_and_limit(origin: Origin) -> None:
    origin.route("/a", Reply(status=302, headers={"Location": "/b"}))
    origin.route("/b", Reply(status=302, headers={"Location": "/a"}))
    with pytest.raises(FetchError, match="redirect loop"):
        await fetch(origin.url("/a"))
    for i in range(4):
        origin.route(f"/hop{i}", Reply(status=302, headers={"Location": f"/hop{i + 1}"}))
    origin.route("/hop4", Reply(body=b"end"))
    with pytest.raises(FetchError, match="more than 2 redirects"):
        await fetch(origin.url("/hop0"), settings(max_redirects=2))


async def test_gzip_is_decoded(origin: Origin) -> None:
    url = origin.route("/zipped", Reply(body="山西大院".encode() * 100, gzip=True))
    assert (await fetch(url)).body == "山西大院".encode() * 100


async def test_six_mib_body_is_aborted(origin: Origin) -> None:
    url = origin.route("/big", Reply(size=6 * 1024 * 1024))
    with pytest.raises(BodyTooLarge):
        await fetch(url)


async def test_streamed_cap_counts_decoded_bytes(origin: Origin) -> None:
    """A small gzip body that inflates past the cap is aborted while streaming."""
    url = origin.route("/bomb", Reply(body=b"0" * (6 * 1024 * 1024), gzip=True))
    with pytest.raises(BodyTooLarge, match="aborted"):
        await fetch(url)


async def test_slow_drip_body_hits_the_total_deadline(origin: Origin) -> None:
    url = origin.route("/drip", Reply(body=b"x" * 200, drip=0.05))
    started = time.perf_counter()
    with pytest.raises(FetchError, match="deadline"):
        await fetch(url, settings(total_timeout=0.5))
    assert time.perf_counter() - started < 3


async def test_max_age_is_returned(origin: Origin) -> None:
    url = origin.route(
        "/cached", Reply(body=b"x", headers={"Cache-Control": "public, max-age=1800"})
    )
    assert (await fetch(url)).max_age == 1800


async def test_connection_refused_is_a_fetch_error() -> None:
    with pytest.raises(FetchError):
        await fetch("http://127.0.0.1:9/nothing")


async def test_per_host_cap_holds(origin: Origin) -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def slow(_path: str, _headers: Mapping[str, str]) -> Reply:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.15)
        with lock:
            active -= 1
        return Reply(body=b"ok")

    origin.route_prefix("/slow/", slow)
    async with Fetcher(settings(per_host_concurrency=2)) as fetcher:
        await asyncio.gather(
            *(fetcher.fetch(u, source_url=u) for u in (origin.url(f"/slow/{i}") for i in range(6)))
        )
    assert peak == 2


async def test_local_paths_and_file_urls(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_bytes("<p>大院</p>".encode())
    by_path = await fetch(str(page))
    assert by_path.body == page.read_bytes() and by_path.content_type == "text/html"
    again = await fetch(page.as_uri(), last_modified=by_path.last_modified)
    assert again.not_modified
    with pytest.raises(FetchError, match="cannot read"):
        await fetch(str(tmp_path / "missing.xml"))


def test_header_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None
    assert parse_max_age("no-cache, max-age=60") is None
    assert parse_max_age('max-age="90"') == 90
