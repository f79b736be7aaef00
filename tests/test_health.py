"""/healthz and /metrics answer from the database state, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
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
    assert not status.ok
    assert status.database.startswith("error")
