"""The live demo portal: the sample portal moved into the present, one article at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from newsbot.config import load_settings
from newsbot.demo import demo_config_path, live_sources
from newsbot.demo.portal import DemoPortal
from newsbot.demo.timeline import Timeline, sample_articles
from newsbot.sample_portal import root

START = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def timeline() -> Timeline:
    return Timeline(sample_articles(root()), start=START, initial=8)


def test_the_timeline_releases_one_article_every_few_minutes() -> None:
    line = timeline()
    assert len(line.articles) == 20
    first = line.visible(START)
    assert len(first) == 8
    assert max(first.values()) == START - timedelta(minutes=5)  # the newest is fresh
    assert min(first.values()) > START - timedelta(hours=24)  # all inside a digest window
    later = line.visible(START + timedelta(minutes=7))
    assert len(later) == 10 and line.next_release(START) == START + timedelta(minutes=3)
    assert len(line.visible(START + timedelta(days=1))) == 20
    assert line.next_release(START + timedelta(days=1)) is None


def test_pages_show_only_published_articles_dated_today() -> None:
    line = timeline()
    portal = DemoPortal(root(), line, lambda: START + timedelta(minutes=4))
    status, rss, _ = portal.page("/rss.xml")
    assert status == 200 and b"2022" not in rss and b"+0800" in rss
    shown = line.visible(START + timedelta(minutes=4))
    released = line.articles[8].path  # published at +3 min
    assert released in shown and line.articles[9].path not in shown
    status, listing, _ = portal.page("/gsyl/yangquan/index.html")
    assert status == 200 and b"2026-05-04" in listing
    assert portal.page("/" + line.articles[9].path)[0] == 404  # not yet published
    status, page, _ = portal.page("/" + released)
    assert status == 200 and b'<span class="time">2026-05-04 10:03:00</span>' in page
    assert portal.page("/../config.py")[0] == 404


async def test_served_on_loopback() -> None:
    portal = DemoPortal(root(), timeline(), lambda: START + timedelta(hours=1))
    await portal.start()
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{portal.base_url}/rss.xml")
        assert answer.status_code == 200 and "<item>" in answer.text
    finally:
        await portal.stop()


def test_the_packaged_demo_config_points_at_the_packaged_portal() -> None:
    settings = load_settings(demo_config_path(), environ={})
    assert settings.demo.live_portal
    live = live_sources(settings, "http://127.0.0.1:9999")
    urls = [s.url for s in live.sources]
    assert urls[0] == "http://127.0.0.1:9999/rss.xml"
    assert all(u.startswith("http://127.0.0.1:9999/") for u in urls)
    assert "127.0.0.1/32" in live.polling.private_allowlist
    assert settings.polling.private_allowlist == []  # the real portal's policy is untouched
