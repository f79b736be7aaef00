"""/healthz and /metrics answer from the database state, on both backends."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine

from newsbot.front import HttpFront
from newsbot.health import collect_status, health_routes
from newsbot.storage import db


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


def test_status_of_empty_database(engine: Engine) -> None:
    status = collect_status(engine, FixedClock())
    assert status.ok
    assert status.articles == 0
    assert status.schema_revision == db.head_revision()


async def test_endpoints_on_the_http_front(engine: Engine) -> None:
    front = HttpFront("127.0.0.1", 0)
    front.add(health_routes(engine, FixedClock()))
    await front.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{front.port}") as client:
            health = await client.get("/healthz")
            assert health.status_code == 200
            assert json.loads(health.text)["ok"] is True
            metrics = (await client.get("/metrics")).text
            assert "newsbot_up 1.0" in metrics
            assert "newsbot_articles 0.0" in metrics
            assert (await client.get("/nope")).status_code == 404
            assert (await client.post("/healthz")).status_code == 405
    finally:
        await front.stop()


def test_unreachable_database_reports_not_ok() -> None:
    broken = db.create_db_engine("postgresql://nobody@127.0.0.1:1/none")
    status = collect_status(broken, FixedClock())
    assert not status.ok and status.state == "down"
    assert status.database.startswith("error")
    assert status.reasons and "database unreachable" in status.reasons[0]


def _sources(engine: Engine, *rows: dict[str, object]) -> None:
    from newsbot.storage.schema import sources

    with engine.begin() as conn:
        for i, row in enumerate(rows):
            base = {"key": f"s{i}", "name": f"s{i}", "kind": "feed", "url": f"http://x/{i}"}
            conn.execute(sources.insert().values(base | {"failures": 0} | row))


def test_never_fetched_sources_are_degraded(engine: Engine) -> None:
    _sources(engine, {}, {})
    status = collect_status(engine, FixedClock())
    assert (status.ok, status.state) == (False, "degraded")
    assert status.reasons == ["no source has ever been fetched (2 configured)"]


def test_every_source_failing_is_degraded_with_the_errors(engine: Engine) -> None:
    when = datetime(2025, 12, 31, tzinfo=UTC)
    _sources(
        engine,
        {"failures": 3, "last_error": "HTTP 502", "last_success_at": when},
        {"failures": 1, "last_error": "timed out"},
    )
    status = collect_status(engine, FixedClock())
    assert status.state == "degraded"
    assert status.reasons == ["every source is failing: s0 (HTTP 502); s1 (timed out)"]


def test_some_sources_failing_is_degraded_and_healthy_ones_ok(engine: Engine) -> None:
    when = datetime(2025, 12, 31, tzinfo=UTC)
    _sources(engine, {"last_success_at": when}, {"failures": 2, "last_error": "HTTP 404"})
    assert collect_status(engine, FixedClock()).reasons == ["1 of 2 sources failing: s1 (HTTP 404)"]
    with engine.begin() as conn:
        from newsbot.storage.schema import sources

        conn.execute(sources.update().values(failures=0, last_success_at=when))
    assert collect_status(engine, FixedClock()).state == "ok"


def test_health_requests_log_no_migration_lines(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        collect_status(engine, FixedClock())
    assert not [r for r in caplog.records if r.name.startswith("alembic")]
