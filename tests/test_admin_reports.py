"""Failing sources are reported to the admin chats (`[admin] chats`) when they start failing and
when they recover, not on every failure; every failure is a log line. Real polls of a loopback
origin through the scheduler's poll tick, real outbox rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from fakes.chat_world import SettableClock
from fakes.origin import Origin, Reply, article_page, rss
from newsbot.app import build_newsroom, engine_of
from newsbot.config import Settings
from newsbot.service import Newsroom
from newsbot.service.admin_reports import source_events
from newsbot.service.ingest import SourceReport
from newsbot.storage.schema import outbox

pytestmark = pytest.mark.timeout(120)


def admin_rows(newsroom: Newsroom) -> list[tuple[str, str, str]]:
    with engine_of(newsroom).connect() as conn:
        rows = conn.execute(
            select(outbox.c.channel, outbox.c.chat_id, outbox.c.payload)
            .where(outbox.c.subscriber_id.is_(None))
            .order_by(outbox.c.id)
        )
        payloads = [(r.channel, r.chat_id, r.payload) for r in rows]
    return [
        (c, chat, (json.loads(p) if isinstance(p, str) else p)["text"]) for c, chat, p in payloads
    ]


def test_source_events_only_at_the_threshold_and_after_a_reported_failure() -> None:
    def report(failures: int, before: int) -> SourceReport:
        status = "http-500" if failures else "ok"
        return SourceReport("k", status, error="boom" if failures else None, failures=failures,
                            failures_before=before)  # fmt: skip

    names = {"k": "要闻"}
    assert source_events([report(1, 0)], names, 2) == []
    (failing,) = source_events([report(2, 1)], names, 2)
    assert failing.kind == "failing" and failing.name == "要闻" and failing.error == "boom"
    assert source_events([report(3, 2)], names, 2) == []  # not on every failure
    (recovered,) = source_events([report(0, 5)], names, 2)
    assert recovered.kind == "recovered" and recovered.failures == 5
    assert source_events([report(0, 1)], names, 2) == []  # its failure was never reported


def test_failing_and_recovering_source_reported_once_each(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="newsbot.sources")
    with Origin() as origin:
        origin.route("/a/1.html", Reply(body=article_page("/a/1.html", "阳泉市召开党建会议")))
        feed = Reply(status=500, body=b"down")
        origin.route("/feed.xml", lambda _path, _headers: feed)
        settings = Settings.model_validate(
            {
                "storage": {"database_url": database_url},
                "sources": [
                    {
                        "key": "yaowen",
                        "name": "要闻",
                        "kind": "feed",
                        "url": origin.url("/feed.xml"),
                    }
                ],
                "admin": {"chats": ["telegram:1001", "console:ops"], "report_after_failures": 2},
            }
        )
        clock = SettableClock()
        newsroom = build_newsroom(settings, clock=clock)
        try:

            def tick() -> None:
                if database_url.startswith("sqlite"):
                    asyncio.run(newsroom.poll_tick())  # the scheduler's tick, as in production
                else:  # the leader lock is one per server: other tests' processes may hold it
                    newsroom.report_sources(asyncio.run(newsroom.poll_due()))
                clock.current += timedelta(days=1)  # the source is due again, whatever backoff

            tick()
            assert admin_rows(newsroom) == []  # one failure is not news
            tick()
            rows = admin_rows(newsroom)
            assert [(c, chat) for c, chat, _ in rows] == [("telegram", "1001"), ("console", "ops")]
            assert "来源“要闻”（yaowen）已连续 2 次抓取失败" in rows[0][2]
            assert "500" in rows[0][2]
            tick()
            tick()
            assert len(admin_rows(newsroom)) == 2  # still failing: no message per failure

            feed = Reply(
                body=rss(origin.base_url, [("/a/1.html", "阳泉市召开党建会议")]),
                content_type="text/xml",
            )
            tick()
            rows = admin_rows(newsroom)
            assert len(rows) == 4
            assert "来源“要闻”（yaowen）已恢复，此前连续失败 4 次" in rows[2][2]
            tick()
            assert len(admin_rows(newsroom)) == 4
        finally:
            newsroom.close()
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert sum("source yaowen failed" in m for _, m in messages) == 4  # each failure: INFO
    assert any(level == "WARNING" and "source yaowen is failing (2 polls in a row)" in m
               for level, m in messages)  # fmt: skip
    assert any(
        level == "INFO" and "source yaowen works again after 4 failed polls" in m
        for level, m in messages
    )
