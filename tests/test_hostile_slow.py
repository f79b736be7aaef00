"""A slow origin cannot hold the cycle: the per-source time budget, the poll deadline and
stragglers giving back their global slot. Real slow-drip servers on 127.0.0.1; the assertions are
on recorded outcomes and request counts, not on timings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.origin import Origin, Reply, article_page, rss
from newsbot.adapters.http import Fetcher
from newsbot.app import build_newsroom
from newsbot.config import PollingSettings, Settings
from newsbot.core.polling import TimeBudget
from newsbot.errors import OverBudget

DRIP = Reply(body=b"<html>" + b" " * 2000, drip=0.05)  # 100 s to send: never finishes here


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as server:
        server.route_prefix("/articles/", lambda path, _h: Reply(body=article_page(path)))
        server.route_prefix("/slow/", DRIP)
        yield server


def settings(database: Path, sources: list[dict[str, Any]], **polling: Any) -> Settings:
    base = {"total_timeout": 2.0, "read_timeout": 5.0, "connect_timeout": 2.0, "jitter": 0.0}
    return Settings.model_validate(
        {
            "storage": {"database_url": f"sqlite:///{database}"},
            "polling": base | polling,
            "sources": sources,
        }
    )


def feed(key: str, url: str) -> dict[str, Any]:
    return {"key": key, "name": key, "kind": "feed", "url": url}


def test_twenty_slow_drip_links_use_up_the_budget_not_the_cycle(
    tmp_path: Path, origin: Origin
) -> None:
    slow_links = [(f"/slow/{i}.html", f"慢{i}") for i in range(20)]
    origin.route("/slow.xml", Reply(body=rss(origin.base_url, slow_links)))
    healthy = [(f"/articles/h/{i}.html", f"好{i}") for i in range(5)]
    origin.route("/healthy.xml", Reply(body=rss(origin.base_url, healthy)))
    newsroom = build_newsroom(
        settings(
            tmp_path / "n.db",
            [feed("slow", origin.url("/slow.xml")), feed("healthy", origin.url("/healthy.xml"))],
            source_budget_seconds=3.0,
        )
    )
    reports = {r.key: r for r in asyncio.run(newsroom.poll_all())}
    slow, good = reports["slow"], reports["healthy"]
    assert (good.status, good.new) == ("ok", 5)
    assert slow.status == "partial" and slow.error is not None
    assert "time budget of 3s used up" in slow.error and "left for the next poll" in slow.error
    slow_requests = [p for p, _ in origin.requests if p.startswith("/slow/")]
    assert len(slow_requests) <= 6  # two per round at most, about 3 s / 2 s rounds: never 20
    (state,) = [s for s in newsroom.source_states() if s.key == "slow"]
    assert state.last_error and "time budget" in state.last_error


def test_the_poll_deadline_ends_a_poll_and_records_who_was_cut(
    tmp_path: Path, origin: Origin
) -> None:
    origin.route("/dripping-feed.xml", Reply(body=b"<rss>" + b" " * 500, drip=0.05))
    origin.route("/ok.xml", Reply(body=rss(origin.base_url, [("/articles/o/1.html", "好")])))
    newsroom = build_newsroom(
        settings(
            tmp_path / "n.db",
            [feed("stuck", origin.url("/dripping-feed.xml")), feed("ok", origin.url("/ok.xml"))],
            total_timeout=30.0,
            poll_deadline_seconds=1.0,
        )
    )
    reports = {r.key: r for r in asyncio.run(newsroom.poll_all())}
    assert reports["ok"].status == "ok"
    assert reports["stuck"].status == "deadline"
    assert "poll deadline of 1s reached" in (reports["stuck"].error or "")


async def test_a_straggler_gives_its_global_slot_to_the_next_request(origin: Origin) -> None:
    polling = PollingSettings.model_validate(
        {"global_concurrency": 1, "straggler_seconds": 0.2, "total_timeout": 20.0}
    )
    slow_url = origin.url("/slow/x.html")
    fast_url = origin.url("/articles/f/1.html").replace("127.0.0.1", "localhost")
    async with Fetcher(polling) as fetcher:
        slow = asyncio.create_task(fetcher.fetch(slow_url, source_url=slow_url))
        await asyncio.sleep(0.05)  # the slow request holds the only global slot first
        fast = await fetcher.fetch(fast_url, source_url=fast_url)
        assert fast.status == 200 and not slow.done()
        slow.cancel()


async def test_a_spent_budget_refuses_further_requests(origin: Origin) -> None:
    polling = PollingSettings.model_validate({"total_timeout": 20.0})
    budget = TimeBudget(0.5)
    url = origin.url("/slow/y.html")
    async with Fetcher(polling) as fetcher:
        with pytest.raises(OverBudget):
            await fetcher.fetch(url, source_url=url, budget=budget)
        assert budget.exhausted(time.perf_counter())
        with pytest.raises(OverBudget):
            await fetcher.fetch(origin.url("/articles/z/1.html"), source_url=url, budget=budget)
    assert [p for p, _ in origin.requests] == ["/slow/y.html"]
