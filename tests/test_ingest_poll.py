"""Polling end to end against a real origin on 127.0.0.1: every failure ends in a recorded
status, nothing crashes, and the healthy sources are not affected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.origin import Origin, Reply, article_page, http_date, rss
from newsbot.app import build_newsroom
from newsbot.config import Settings
from newsbot.service import Newsroom

FAST = {"total_timeout": 2.5, "read_timeout": 5.0, "connect_timeout": 5.0, "jitter": 0.0}


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as server:
        server.route_prefix("/articles/", lambda path, _h: Reply(body=article_page(path)))
        yield server


def newsroom_for(database_url: str, sources: list[dict[str, Any]], **polling: Any) -> Newsroom:
    settings = Settings.model_validate(
        {"storage": {"database_url": database_url}, "polling": FAST | polling, "sources": sources}
    )
    return build_newsroom(settings)


def feed_source(key: str, url: str, section: str = "news") -> dict[str, Any]:
    return {"key": key, "name": key, "kind": "feed", "url": url, "section": section}


def entries(prefix: str, count: int) -> list[tuple[str, str]]:
    return [(f"/articles/{prefix}/{i}.html", f"{prefix}标题{i}") for i in range(count)]


def gbk_page_with_utf8_header() -> Reply:
    page = article_page("/gbk", title="阳泉高新区查摆出问题4804条").decode()
    body = page.replace("<meta charset='utf-8'>", "<meta charset='gbk'>").encode("gbk")
    return Reply(body=body, content_type="text/html; charset=utf-8")


def build_matrix(origin: Origin) -> dict[str, str]:
    """Every failure of the issue's list, each behind its own source."""
    base = origin.base_url
    truncated = rss(base, entries("trunc", 3))
    truncated = truncated[: truncated.index(b"<item>", truncated.index(b"</item>") + 1) + 60]
    origin.route("/charset-article", gbk_page_with_utf8_header())
    routes = {
        "healthy": Reply(body=rss(base, entries("healthy", 3)), etag='"h1"'),
        "cached": Reply(body=rss(base, entries("cached", 2)), last_modified=http_date(-60)),
        "limited-seconds": Reply(status=429, headers={"Retry-After": "120"}),
        "limited-date": Reply(status=429, headers={"Retry-After": http_date(3600)}),
        "broken": Reply(status=502),
        "redirected": Reply(status=301, headers={"Location": "/hop"}),
        "looping": Reply(status=302, headers={"Location": "/feed/looping"}),
        "zipped": Reply(body=rss(base, entries("zipped", 2)), gzip=True),
        "charset": Reply(body=rss(base, [("/charset-article", "字符集")])),
        "truncated": Reply(body=truncated, content_type="application/rss+xml"),
        "garbage": Reply(body=b"<html><body>not a feed</body></html>"),
        "huge": Reply(size=6 * 1024 * 1024),
        "dripping": Reply(body=b"<rss>" + b" " * 100, drip=0.05),
    }
    origin.route("/hop", Reply(status=302, headers={"Location": "/redirected-feed"}))
    origin.route("/redirected-feed", Reply(body=rss(base, entries("redirected", 2))))
    return {key: origin.route(f"/feed/{key}", reply) for key, reply in routes.items()}


EXPECTED = {
    "healthy": ("ok", 3),
    "cached": ("ok", 2),
    "limited-seconds": ("retry-later", 0),
    "limited-date": ("retry-later", 0),
    "broken": ("http-502", 0),
    "redirected": ("ok", 2),
    "looping": ("fetch-error", 0),
    "zipped": ("ok", 2),
    "charset": ("ok", 1),
    "truncated": ("recovered", 1),
    "garbage": ("parse-error", 0),
    "huge": ("too-large", 0),
    "dripping": ("fetch-error", 0),
}


async def test_failure_matrix_ends_in_recorded_statuses(origin: Origin, database_url: str) -> None:
    urls = build_matrix(origin)
    newsroom = newsroom_for(database_url, [feed_source(k, u) for k, u in urls.items()])
    reports = {r.key: r for r in await newsroom.poll_all()}
    assert {k: (r.status, r.new) for k, r in reports.items()} == EXPECTED
    states = {s.key: s for s in newsroom.source_states()}
    for key, (status, new) in EXPECTED.items():
        assert states[key].last_status == status
        assert states[key].article_count == new
        assert (states[key].last_error is None) == (status == "ok"), key
        assert (states[key].failures == 1) == (new == 0), key
    assert (
        119
        <= (
            states["limited-seconds"].next_poll_at - states["limited-seconds"].last_polled_at
        ).total_seconds()
        < 130
    )
    assert (
        states["limited-date"].next_poll_at - states["limited-date"].last_polled_at
    ).total_seconds() > 3500


async def test_second_poll_uses_validators_and_gets_304(origin: Origin, database_url: str) -> None:
    urls = build_matrix(origin)
    keep = {k: urls[k] for k in ("healthy", "cached", "broken")}
    newsroom = newsroom_for(database_url, [feed_source(k, u) for k, u in keep.items()])
    await newsroom.poll_all()
    second = {r.key: r.status for r in await newsroom.poll_all()}
    assert second == {"healthy": "not-modified", "cached": "not-modified", "broken": "http-502"}
    assert origin.requested("/feed/healthy")[-1]["if-none-match"] == '"h1"'
    broken = next(s for s in newsroom.source_states() if s.key == "broken")
    assert broken.failures == 2  # backoff grows while the source keeps failing
    assert newsroom.article_count() == 5


async def test_charset_header_contradicting_the_page(origin: Origin, sqlite_url: str) -> None:
    urls = build_matrix(origin)
    newsroom = newsroom_for(sqlite_url, [feed_source("charset", urls["charset"])])
    await newsroom.poll_all()
    (article,) = newsroom.latest_articles(5)
    assert "4804" in article.title and "\ufffd" not in article.title + article.text


async def test_failed_article_page_keeps_the_source_retryable(
    origin: Origin, sqlite_url: str
) -> None:
    origin.route("/articles/flaky/1.html", Reply(status=500))
    url = origin.route(
        "/feed/flaky", Reply(body=rss(origin.base_url, entries("flaky", 3)), etag='"f"')
    )
    newsroom = newsroom_for(sqlite_url, [feed_source("flaky", url)])
    first = await newsroom.poll_all()
    assert (first[0].status, first[0].new, first[0].failed) == ("partial", 2, 1)
    origin.routes.pop("/articles/flaky/1.html")
    second = await newsroom.poll_all()  # the ETag was not saved, so the feed is read again
    assert (second[0].status, second[0].new, second[0].unchanged) == ("ok", 1, 2)
    assert "if-none-match" not in origin.requested("/feed/flaky")[-1]
    third = await newsroom.poll_all()
    assert third[0].status == "not-modified"


async def test_backoff_resets_after_success(origin: Origin, sqlite_url: str) -> None:
    url = origin.route("/feed/flappy", Reply(status=500))
    newsroom = newsroom_for(sqlite_url, [feed_source("flappy", url)])
    await newsroom.poll_all()
    await newsroom.poll_all()
    assert newsroom.source_states()[0].failures == 2
    origin.route("/feed/flappy", Reply(body=rss(origin.base_url, entries("flappy", 1))))
    await newsroom.poll_all()
    state = newsroom.source_states()[0]
    assert (state.failures, state.last_status, state.article_count) == (0, "ok", 1)
    assert await newsroom.poll_due() == []  # nothing due right after a success


async def test_one_story_in_two_sections_is_stored_once_for_readers(
    origin: Origin, sqlite_url: str
) -> None:
    title = "阳泉高新区党建赋能 激活高质量发展红色引擎"
    page = article_page("/same-story", title=title)
    origin.route("/a/story.html", Reply(body=page))
    origin.route("/b/story.html", Reply(body=page))
    one = origin.route("/feed/one", Reply(body=rss(origin.base_url, [("/a/story.html", title)])))
    two = origin.route("/feed/two", Reply(body=rss(origin.base_url, [("/b/story.html", title)])))
    newsroom = newsroom_for(
        sqlite_url, [feed_source("one", one, "yangquan"), feed_source("two", two, "dangjian")]
    )
    await newsroom.poll_source("one")
    await newsroom.poll_source("two")
    stored = newsroom.latest_articles(10)
    assert len(stored) == 2
    duplicate = next(a for a in stored if a.duplicate_of is not None)
    assert duplicate.duplicate_of == next(a.id for a in stored if a.duplicate_of is None)
    assert duplicate.section == "dangjian"


async def test_updates_are_real_and_bounded(origin: Origin, sqlite_url: str) -> None:
    store_url = "/articles/upd/0.html"
    feed = origin.route(
        "/feed/upd", Reply(body=rss(origin.base_url, [(store_url, version_title(0))]))
    )
    newsroom = newsroom_for(sqlite_url, [feed_source("upd", feed)], max_updates_per_article=1)
    await newsroom.poll_all()
    for version in (1, 2):
        origin.route(store_url, Reply(body=article_page(store_url, title=version_title(version))))
        origin.route(
            "/feed/upd", Reply(body=rss(origin.base_url, [(store_url, version_title(version))]))
        )
        report = (await newsroom.poll_all())[0]
        assert (report.updated, report.unchanged) == ((1, 0) if version == 1 else (0, 1))
    (article,) = newsroom.latest_articles(5)
    assert article.title == version_title(1)  # the second change is past max_updates_per_article


def version_title(version: int) -> str:
    return f"阳泉高新区抓党建促基层治理能力提升综述（第{version}版）"


async def test_a_remote_feed_cannot_point_at_local_files(
    origin: Origin, sqlite_url: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text("<h1>secret</h1><p>do not read</p>", encoding="utf-8")
    links = [(f"/articles/safe/{i}.html", f"安全{i}") for i in range(2)]
    body = rss(origin.base_url, links).replace(
        b"</channel>",
        f"<item><title>x</title><link>{secret.as_uri()}</link></item></channel>".encode(),
    )
    url = origin.route("/feed/sneaky", Reply(body=body))
    newsroom = newsroom_for(sqlite_url, [feed_source("sneaky", url)])
    (report,) = await newsroom.poll_all()
    assert (report.status, report.new) == ("ok", 2)
    assert all("secret" not in a.text for a in newsroom.latest_articles(10))
